"""X-Forwarded-For is believed only hop by hop from trusted proxies."""

from __future__ import annotations

import ipaddress

import pytest

from auth.services.client_address import client_ip

LOCAL = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("198.51.100.1", "203.0.113.5", "198.51.100.1"),  # the peer is no proxy: header ignored
        ("127.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client's own entry is not trusted
        ("127.0.0.1", "203.0.113.5, 10.1.2.3", "203.0.113.5"),  # two trusted proxies in a row
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),  # only proxies: the farthest one known
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(peer: str, forwarded_for: str | None, expected: str) -> None:
    assert client_ip(peer, forwarded_for, LOCAL) == expected


def test_no_trusted_proxies_means_the_peer() -> None:
    assert client_ip("127.0.0.1", "203.0.113.5", []) == "127.0.0.1"
