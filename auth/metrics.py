"""Auth's metrics beside the HTTP ones of `service_metrics`: login outcomes, throttle refusals,
and the password hashing queue."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge

LOGINS = Counter(
    "cinema_auth_logins_total",
    "Password logins by outcome: success, second_factor (a TOTP challenge opened), "
    "wrong_password, unknown_login, disabled, throttled, busy (the hashing queue was full).",
    ["outcome"],
)
THROTTLE_REFUSALS = Counter(
    "cinema_auth_throttle_refusals_total",
    "Attempts refused by a throttle before any secret was checked, by kind: login, "
    "second-factor (TOTP codes), current-password (the password confirming a change).",
    ["kind"],
)
THROTTLE_UNAVAILABLE = Counter(
    "cinema_auth_throttle_unavailable_total",
    "Attempts let through unthrottled because Redis did not answer, by kind.",
    ["kind"],
)
HASHING_REFUSALS = Counter(
    "cinema_auth_hashing_refusals_total",
    "Password checks and hashes refused with 503 because the hashing queue was full.",
)
HASHING_QUEUE = Gauge(
    "cinema_auth_hashing_queue_depth",
    "Password checks and hashes waiting or running in the bcrypt threads now.",
)


def watch_hashing_queue(depth: Callable[[], int]) -> None:
    """The queue gauge reads `depth` at each scrape (auth is one process)."""
    HASHING_QUEUE.set_function(depth)
