"""What a new password must satisfy, checked before any hashing happens."""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_CHARACTERS = 8
# Counted in characters of any script: passwords are pre-hashed, so bcrypt's 72-byte input limit
# does not apply (see auth/services/passwords.py).
MAX_CHARACTERS = 128
_COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@cache
def _common_passwords() -> frozenset[str]:
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, login: str | None = None) -> str | None:
    """The reason ``password`` is unacceptable, or None when it is fine."""
    if len(password) < MIN_CHARACTERS:
        return f"must be at least {MIN_CHARACTERS} characters long"
    if len(password) > MAX_CHARACTERS:
        return f"must be at most {MAX_CHARACTERS} characters long"
    if password.casefold() in _common_passwords():
        return "is too common"
    if login is not None and password.casefold() == login.casefold():
        return "must differ from the login"
    return None
