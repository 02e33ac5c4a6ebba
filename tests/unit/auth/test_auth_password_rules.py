"""Password policy and hashing: the rules, the 72-byte limit, the dummy check, the default cost."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import bcrypt
import pytest

import auth.services.password_policy
from auth.services.password_policy import password_problem
from auth.services.passwords import PasswordHasher, hash_password
from auth.settings import Settings


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("seven77", "must be at least 8 characters long"),
        ("я" * 129, "must be at most 128 characters long"),
        ("Password1", "is too common"),
        ("someone-else", "must differ from the login"),
    ],
)
def test_bad_passwords_are_named_with_their_reason(password: str, problem: str) -> None:
    assert password_problem(password, login="Someone-Else") == problem


@pytest.mark.parametrize("password", ["eight ch", "x" * 128, "пароль-из-букв", "€" * 64, "鍵" * 64])
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
    assert digest.startswith("$sha256-bcrypt$$2b$05$")
    assert (right, wrong) == (True, False)


def test_long_passwords_of_any_script_differ_beyond_bcrypts_72_bytes() -> None:
    hasher = PasswordHasher(rounds=4, threads=1)
    password = "д" * 64  # 128 bytes: plain bcrypt would compare only the first 36 letters
    almost = "д" * 63 + "е"

    async def scenario() -> tuple[bool, bool]:
        digest = await hasher.hash(password)
        return await hasher.verify(password, digest), await hasher.verify(almost, digest)

    right, wrong = asyncio.run(scenario())
    hasher.close()
    assert (right, wrong) == (True, False)


def test_legacy_plain_bcrypt_hashes_still_verify_and_ask_for_an_upgrade() -> None:
    hasher = PasswordHasher(rounds=4, threads=1)
    legacy = bcrypt.hashpw(b"correct horse", bcrypt.gensalt(4)).decode()

    async def scenario() -> tuple[bool, bool, bool]:
        current = await hasher.hash("correct horse")
        return (
            await hasher.verify("correct horse", legacy),
            await hasher.verify("correct horse" + "x" * 80, legacy),
            hasher.needs_upgrade(current),
        )

    right, too_long, current_needs_upgrade = asyncio.run(scenario())
    hasher.close()
    assert (right, too_long) == (True, False)
    assert hasher.needs_upgrade(legacy)
    assert not current_needs_upgrade
    dearer = PasswordHasher(rounds=5, threads=1)
    assert dearer.needs_upgrade(hash_password("correct horse", 4))
    dearer.close()


def test_the_common_password_list_holds_at_least_the_top_3000() -> None:
    path = Path(auth.services.password_policy.__file__).with_name("common_passwords.txt")
    entries = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    ]

    assert len(entries) >= 3000
    assert len(set(entries)) == len(entries)


def test_an_unknown_account_still_costs_one_bcrypt_check(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(rounds=4, threads=1)
    checks: list[bytes] = []
    real_check = bcrypt.checkpw

    def counting_check(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed)
        return real_check(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_check)

    assert asyncio.run(hasher.verify("anything at all", None)) is False
    hasher.close()
    assert len(checks) == 1
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
