"""bcrypt hashing off the event loop, with a dummy hash so unknown logins cost the same time."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

import bcrypt

from auth.errors import HashingBusy
from auth.services.password_policy import MAX_BYTES

log = logging.getLogger("auth.passwords")

Result = TypeVar("Result")


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
        self._dummy_hash = bcrypt.hashpw(b"no such account", bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self._rounds)
        digest = await self._run(partial(bcrypt.hashpw, password.encode(), salt))
        return digest.decode()

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """True when ``password`` matches; with no hash, spends the same time and returns False.

        No stored password exceeds bcrypt's 72 bytes, so a longer one is wrong without comparing.
        """
        if password_hash is None or len(password.encode()) > MAX_BYTES:
            # bcrypt refuses longer input, so the time is spent on a stand-in of legal length.
            await self._run(partial(bcrypt.checkpw, password.encode()[:MAX_BYTES], self._dummy_hash))
            return False
        return await self._run(partial(bcrypt.checkpw, password.encode(), password_hash.encode()))

    def has_room(self) -> bool:
        return self._pending < self._queue_limit

    async def _run(self, call: Callable[[], Result]) -> Result:
        # No await between the check and the count: on one event loop this is atomic.
        if not self.has_room():
            raise HashingBusy(retry_after=max(1, self._pending // (self._threads * 4)))
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, call)
        finally:
            self._pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
