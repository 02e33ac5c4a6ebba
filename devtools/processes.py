"""A service run as a child process on a spare loopback port, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on right now (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceDidNotStart(RuntimeError):
    """The process exited, or never answered its health check in time; the message ends with its log."""


class ServiceProcess:
    """`command` started from `cwd` (the repository root unless given) with `env`, its output in
    `log_path`.

    The caller picks `port` (usually `free_port()`) and puts it into `env` or `command` the way
    the service reads it; `health` is the path that answers 200 once the service is up.
    """

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        health: str,
        port: int,
        cwd: Path = ROOT,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.health = health
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                list(command), cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT
            )

    def wait_until_alive(self, timeout: float = 60, any_answer: bool = False) -> None:
        """Return once `health` answers 200 (any HTTP answer with `any_answer`, for a service
        started with a dependency down on purpose); otherwise stop the process and raise
        ServiceDidNotStart."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                status = httpx.get(f"{self.url}{self.health}", timeout=1).status_code
                if status == 200 or any_answer:
                    return
            time.sleep(0.2)
        exited = self.process.poll()
        self.stop()
        if exited is not None:
            what = f"exited with {exited}"
        else:
            what = f"did not answer {self.health} in {timeout:.0f} s"
        raise ServiceDidNotStart(f"{self.url} {what}; the end of {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, characters: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
