"""Where the native stack lives, and stopping and starting its services with `stack.sh`.

A test that stops a service must leave the stack whole for the tests after it: `stopped()`
brings the service back when the block ends, and the test's fixtures then run `stack.sh up` for
the whole stack, because a stopped dependency can take another service down with it (Airflow's
scheduler without Postgres).
"""

from __future__ import annotations

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


def run_stack(*args: str, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """Run `stack.sh ARGS...`; returns its output, raises with the output's tail when it fails."""
    done = subprocess.run(
        [str(STACK), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
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
