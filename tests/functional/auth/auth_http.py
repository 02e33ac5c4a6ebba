"""Helpers of the auth functional tests: the auth child process and an HTTP client per test."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a long enough passphrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def auth_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "auth", *args]


@dataclass
class AuthProcess:
    """One ``python -m auth serve`` child process."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AuthProcess:
        env = {**self.env, "AUTH_HOST": "127.0.0.1", "AUTH_PORT": str(self.port)}
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            auth_command("serve"), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"auth exited early:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.url}/auth/health", timeout=1)
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"auth did not answer:\n{self.log_path.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Api:
    """An HTTP client for one test, coming from its own client IP (X-Forwarded-For via 127.0.0.1)."""

    def __init__(self, base_url: str) -> None:
        self.ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
        self.http = httpx.Client(
            base_url=f"{base_url}/auth/api/v1", headers={"X-Forwarded-For": self.ip}, timeout=30
        )

    def sign_up(self, login: str | None = None, password: str = PASSWORD) -> dict:
        response = self.http.post("/signup", json={"login": login or new_login(), "password": password})
        assert response.status_code == 201, response.text
        return response.json()

    def log_in(self, login: str, password: str = PASSWORD) -> dict:
        response = self.http.post("/login", json={"login": login, "password": password})
        assert response.status_code == 200, response.text
        return response.json()

    def new_user(self) -> tuple[dict, dict]:
        """A fresh account and a token pair for it."""
        user = self.sign_up()
        return user, self.log_in(user["login"])


def bearer(tokens: dict | str) -> dict[str, str]:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}


def new_login() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"
