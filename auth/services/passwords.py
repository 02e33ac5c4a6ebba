"""bcrypt hashing off the event loop, with a dummy hash so unknown logins cost the same time.

bcrypt reads at most 72 bytes, which is 36 Cyrillic or 24 CJK characters. Passwords are therefore
pre-hashed: HMAC-SHA256 keyed with the bcrypt salt, base64 (44 ASCII characters, no NUL), then
bcrypt; the stored form is ``$sha256-bcrypt$`` followed by bcrypt's own string. Keying with the
salt means the stored hash cannot be matched against a leaked plain SHA-256 of the password.
Hashes made before (bcrypt of the raw password, ``$2b$...``) still verify, and a successful login
replaces them (`needs_upgrade`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

import bcrypt

from auth.errors import HashingBusy
from auth.metrics import HASHING_REFUSALS

log = logging.getLogger("auth.passwords")

Result = TypeVar("Result")

SCHEME = "$sha256-bcrypt$"
# What plain bcrypt reads of a legacy hash's password.
_BCRYPT_BYTES = 72
_SALT_CHARACTERS = 29  # "$2b$12$" and 22 characters of salt


def _prehash(password: str, salt: bytes) -> bytes:
    return base64.b64encode(hmac.new(salt, password.encode(), hashlib.sha256).digest())


def hash_password(password: str, rounds: int) -> str:
    """The stored form of ``password`` (blocking: call it off the event loop)."""
    salt = bcrypt.gensalt(rounds)
    return SCHEME + bcrypt.hashpw(_prehash(password, salt), salt).decode()


def check_password(password: str, stored: str) -> bool:
    """Blocking; both the current scheme and legacy plain bcrypt hashes."""
    if stored.startswith(SCHEME):
        inner = stored[len(SCHEME) :].encode()
        return bcrypt.checkpw(_prehash(password, inner[:_SALT_CHARACTERS]), inner)
    raw = password.encode()
    # A legacy hash was made of at most 72 bytes: a longer password is not the one it holds
    # (bcrypt refuses longer input, so the time is spent on the legal prefix).
    matches = bcrypt.checkpw(raw[:_BCRYPT_BYTES], stored.encode())
    return matches and len(raw) <= _BCRYPT_BYTES


def _lower_priority(niceness: int) -> None:
    """Lower this thread's priority (on Linux a thread id is accepted where a pid is)."""
    if niceness <= 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError) as error:
        log.warning("bcrypt threads keep the normal priority: %r", error)


class PasswordHasher:
    """Hashes and checks passwords in a small thread pool.

    bcrypt releases the GIL while it works, so ``threads`` equal to the core count saturates the
    CPU. The hashing threads run at a lower scheduling priority (``niceness``) than the event loop:
    a cheap request that arrives while every core is hashing preempts the hashing instead of
    waiting for a time slice, so logins use the idle CPU without slowing everything else.

    At most ``queue_limit`` checks wait or run at once: one more raises `HashingBusy` at once
    (503 with Retry-After), so a flood of logins cannot queue up minutes of bcrypt work.
    """

    def __init__(self, rounds: int, threads: int, niceness: int = 0, queue_limit: int = 1_000_000) -> None:
        self._rounds = rounds
        self._threads = threads
        self._queue_limit = queue_limit
        self._pending = 0
        self._pool = ThreadPoolExecutor(
            max_workers=threads,
            thread_name_prefix="bcrypt",
            initializer=_lower_priority,
            initargs=(niceness,),
        )
        # Checked against when the login is unknown, so that answer takes as long as a wrong password.
        self._dummy_hash = hash_password("no such account", rounds)

    async def hash(self, password: str) -> str:
        return await self._run(partial(hash_password, password, self._rounds))

    def needs_upgrade(self, stored: str) -> bool:
        """A legacy hash or a lower cost than configured: worth replacing after a successful login."""
        if not stored.startswith(SCHEME):
            return True
        return int(stored[len(SCHEME) :].split("$")[2]) < self._rounds

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """True when ``password`` matches; with no hash, spends the same time and returns False."""
        if password_hash is None:
            await self._run(partial(check_password, password, self._dummy_hash))
            return False
        return await self._run(partial(check_password, password, password_hash))

    @property
    def pending(self) -> int:
        """Checks and hashes waiting for a thread or running in one."""
        return self._pending

    def has_room(self) -> bool:
        return self._pending < self._queue_limit

    async def _run(self, call: Callable[[], Result]) -> Result:
        # No await between the check and the count: on one event loop this is atomic.
        if not self.has_room():
            HASHING_REFUSALS.inc()
            raise HashingBusy(retry_after=max(1, self._pending // (self._threads * 4)))
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        finally:
            self._pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
