"""Where the native stack lives, and stopping and starting its services with `stack.sh`.

A test that stops a service must leave the stack whole for the tests after it: `stopped()`
brings the service back when the block ends, and the test's fixtures then run `stack.sh up` for
the whole stack, because a stopped dependency can take another service down with it (Airflow's
scheduler without Postgres). While a test has a service down it holds stack.sh's lock (`turn()`),
so another engineer's `make up` waits instead of bringing the service back in the middle.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "native" / "stack.sh"
STATE_DIR = Path(os.environ.get("STATE_DIR", ROOT / ".state"))
GATEWAY_URL = "http://127.0.0.1:80"
T = TypeVar("T")
_holding_turn = False


@contextmanager
def turn() -> Iterator[None]:
    """Hold stack.sh's lock: other `up`/`down` calls wait until the block ends, ours go ahead
    (stack.sh skips the lock when CINEMA_STACK_TURN is set)."""
    global _holding_turn
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with (STATE_DIR / "stack.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _holding_turn = True
        try:
            yield
        finally:
            _holding_turn = False


def turn_env() -> dict[str, str]:
    """The environment of a stack.sh call made while this process holds the lock."""
    return {**os.environ, **({"CINEMA_STACK_TURN": "1"} if _holding_turn else {})}


def run_stack(*args: str, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """Run `stack.sh ARGS...`; returns its output, raises with the output's tail when it fails."""
    done = subprocess.run(
        [str(STACK), *args],
        cwd=ROOT,
        env={**turn_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise AssertionError(f"stack.sh {' '.join(args)} exited {done.returncode}:\n{output[-4000:]}")
    return output


@contextmanager
def stopped(service: str) -> Iterator[None]:
    """`service` is down inside the block and up again after it."""
    with turn():
        run_stack("down", service)
        try:
            yield
        finally:
            run_stack("up", service)


def wait_for(what: str, check: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """Poll `check` until it returns a truthy value; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
