"""Shared by the whole-system tests: they talk to the running native stack as its users do,
through the nginx gateway on port 80 (`/api/` and `/auth/`)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from stack_control import GATEWAY_URL


@pytest.fixture
def gateway() -> Iterator[httpx.Client]:
    """An HTTP client for the gateway; each test gets its own connections."""
    with httpx.Client(base_url=GATEWAY_URL, timeout=30) as client:
        yield client
