"""Settings come from AUTH_* variables."""

from __future__ import annotations

import ipaddress

import pytest

from auth.settings import Settings


def test_trusted_proxies_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")

    assert Settings().trusted_proxies == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.7/32"),
    ]


def test_an_empty_trusted_proxies_setting_trusts_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_TRUSTED_PROXIES", "")

    assert Settings().trusted_proxies == []


def test_token_lifetimes_default_to_15_minutes_and_30_days() -> None:
    settings = Settings()

    assert (settings.access_ttl_seconds, settings.refresh_ttl_seconds) == (900, 30 * 24 * 3600)
