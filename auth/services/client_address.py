"""Who is on the other end: the client's IP address, believing X-Forwarded-For only from
trusted proxies, and its user agent."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address without an IPv6 zone id (``fe80::1%eth0``): a zone names an interface of the
    sender's machine, means nothing here, and has no length limit."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        return ipaddress.IPv6Address(int(address))
    return address


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


# Longer user agents are cut: the history keeps what identifies a browser, not what a client sends.
MAX_USER_AGENT = 512


@dataclass(frozen=True)
class Client:
    """Who is on the other end of a request, as far as login history is concerned."""

    ip: str | None
    user_agent: str | None

    @classmethod
    def of(cls, ip: str | None, user_agent: str | None) -> Client:
        return cls(ip=ip, user_agent=user_agent[:MAX_USER_AGENT] if user_agent else None)
