"""What a new password must satisfy, checked before any hashing happens."""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_CHARACTERS = 8
# bcrypt reads at most 72 bytes; anything longer is refused instead of silently truncated.
MAX_BYTES = 72
_COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@cache
def _common_passwords() -> frozenset[str]:
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, login: str | None = None) -> str | None:
    """The reason ``password`` is unacceptable, or None when it is fine."""
    if len(password) < MIN_CHARACTERS:
        return f"must be at least {MIN_CHARACTERS} characters long"
    if len(password.encode()) > MAX_BYTES:
        return f"must be at most {MAX_BYTES} bytes long in UTF-8"
    if password.casefold() in _common_passwords():
        return "is too common"
    if login is not None and password.casefold() == login.casefold():
        return "must differ from the login"
    return None
