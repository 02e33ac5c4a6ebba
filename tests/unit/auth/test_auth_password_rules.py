"""Password policy and hashing: the rules, the 72-byte limit, the dummy check, the default cost."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import bcrypt
import pytest

from auth.services.password_policy import password_problem
from auth.services.passwords import PasswordHasher
from auth.settings import Settings


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("seven77", "must be at least 8 characters long"),
        ("€" * 25, "must be at most 72 bytes long in UTF-8"),  # 25 characters, 75 bytes
        ("Password1", "is too common"),
        ("someone-else", "must differ from the login"),
    ],
)
def test_bad_passwords_are_named_with_their_reason(password: str, problem: str) -> None:
    assert password_problem(password, login="Someone-Else") == problem


@pytest.mark.parametrize("password", ["eight ch", "x" * 72, "пароль-из-букв", "€" * 24])
def test_acceptable_passwords_pass(password: str) -> None:
    assert password_problem(password, login="someone") is None


def test_the_default_cost_is_12() -> None:
    assert Settings().bcrypt_rounds == 12


def test_hashes_carry_the_configured_cost_and_verify() -> None:
    hasher = PasswordHasher(rounds=5, threads=1)

    async def scenario() -> tuple[str, bool, bool]:
        digest = await hasher.hash("correct horse")
        return digest, await hasher.verify("correct horse", digest), await hasher.verify("wrong", digest)

    digest, right, wrong = asyncio.run(scenario())
    hasher.close()
    assert digest.startswith("$2b$05$")
    assert (right, wrong) == (True, False)


def test_an_unknown_account_still_costs_one_bcrypt_check(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(rounds=4, threads=1)
    checks: list[bytes] = []
    real_check = bcrypt.checkpw

    def counting_check(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed)
        return real_check(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_check)

    assert asyncio.run(hasher.verify("anything at all", None)) is False
    assert asyncio.run(hasher.verify("x" * 80, "$2b$04$" + "a" * 53)) is False  # too long: never compared
    hasher.close()
    assert len(checks) == 2
    assert checks[0].startswith(b"$2b$04$")


def test_hashing_threads_run_at_a_lower_priority_than_the_event_loop() -> None:
    hasher = PasswordHasher(rounds=4, threads=1, niceness=7)
    asyncio.run(hasher.hash("warm up the thread"))

    niceness = {
        int(Path(task, "stat").read_text().rsplit(")", 1)[1].split()[16])
        for task in Path("/proc/self/task").iterdir()
    }
    hasher.close()

    assert 7 in niceness
    assert os.getpriority(os.PRIO_PROCESS, 0) in niceness  # the other threads keep theirs
