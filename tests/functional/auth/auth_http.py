"""Helpers of the auth functional tests: the auth child process and an HTTP client per test."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import httpx
import pyotp

from devtools.processes import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a long enough passphrase"
# AUTH_MAX_BODY_BYTES of the test processes: below the default, so a refusal proves the setting works.
MAX_BODY_BYTES = 16 * 1024


def auth_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "auth", *args]


class AuthProcess(ServiceProcess):
    """One ``python -m auth serve`` child process on a spare port; ``start()`` waits for it.

    Any answer of ``/auth/health`` counts as started: some tests start it with Postgres or Redis
    down on purpose, and then it answers 503.
    """

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        port = free_port()
        env = {**env, "AUTH_HOST": "127.0.0.1", "AUTH_PORT": str(port)}
        super().__init__(auth_command("serve"), env, log_path, "/auth/health", port)

    def start(self) -> AuthProcess:
        self.wait_until_alive(any_answer=True)
        return self


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

    def enrol_totp(self, tokens: dict) -> tuple[pyotp.TOTP, list[str]]:
        """Turn two-factor login on for the token's user; its authenticator and backup codes."""
        started = self.http.post("/users/me/totp", headers=bearer(tokens))
        assert started.status_code == 201, started.text
        totp = pyotp.TOTP(started.json()["secret"])
        confirmed = self.http.post(
            "/users/me/totp/confirm", json={"code": totp.now()}, headers=bearer(tokens)
        )
        assert confirmed.status_code == 200, confirmed.text
        return totp, confirmed.json()["backup_codes"]

    def challenge(self, login: str, password: str = PASSWORD) -> str:
        """Step one of a two-factor login: the challenge a right password gives."""
        response = self.http.post("/login", json={"login": login, "password": password})
        assert response.status_code == 202, response.text
        return response.json()["challenge"]

    def log_in_with_code(self, login: str, code: str, password: str = PASSWORD) -> dict:
        challenge = self.challenge(login, password)
        response = self.http.post("/login/second-factor", json={"challenge": challenge, "code": code})
        assert response.status_code == 200, response.text
        return response.json()

    def log_in_admin(self, login: str) -> dict:
        """An admin's tokens: the admin role passes permission checks only after a two-factor
        login, so the account is enrolled first (from a password-only session) if need be."""
        totp, _ = self.enrol_totp(self.log_in(login))
        return self.log_in_with_code(login, next_code(totp))


def bearer(tokens: dict | str) -> dict[str, str]:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step (pyotp's clock moved on, no sleeping): the service
    takes one step ahead for clock drift, and the step of a code it accepted is spent."""
    return totp.at(time.time() + totp.interval)


def new_login() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"
