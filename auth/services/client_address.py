"""The client's IP address, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(peer: str | None, forwarded_for: str | None, trusted: list[Network]) -> str | None:
    """Walk X-Forwarded-For from the right while the hop that added it is a trusted proxy.

    A client can write anything into the header; only entries appended by our own proxies count,
    so the answer is the first address (from the right) that no trusted proxy vouches for.
    """
    current = _parse(peer) if peer else None
    if current is None:
        return peer
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and any(current in network for network in trusted):
        previous = _parse(hops.pop())
        if previous is None:
            break
        current = previous
    return str(current)
