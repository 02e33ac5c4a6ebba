"""Brute-force protection: every attempt is admitted (or refused) and counted in one Redis step.

An attempt is counted *before* its password is checked, in the same Lua script that checks the
locks, so requests sent at once cannot all slip past a check that runs before any of them is
counted: of N simultaneous guesses at most ``free + 1`` reach bcrypt. A success gives its count
back. Counters are kept per scope:

- ``pair``: one account from one source (IP). After ``free_failures_per_account`` attempts that
  did not succeed, each further one locks that pair for a delay that doubles up to a cap. A
  stranger's failures lock the stranger's own pair, never the owner's from elsewhere.
- ``ip``: one source across accounts (password spraying), ``free_failures_per_ip``.
- ``account``: one account from sources it has never logged in from (a distributed guess),
  ``free_failures_per_account_unknown_sources``. Sources where the account logged in before
  (kept 30 days) are not held by this scope, so the owner still gets in from a known device.

Windows are fixed: a counter's expiry is set when it is created and never renewed, and attempts
refused by a lock are not counted, so nobody can extend a lock past the window by keeping on
failing. Without Redis the protection is off rather than the login.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from auth.metrics import THROTTLE_REFUSALS, THROTTLE_UNAVAILABLE
from auth.settings import Settings

log = logging.getLogger("auth.throttle")

KNOWN_SOURCE_SECONDS = 30 * 24 * 3600

# KEYS: per scope its counter and lock (2 keys each), then the refusal marker and the known set.
# ARGV: window, first delay ms, max delay ms, source, then per scope: free count, held by known (0/1).
# Returns {0, 0} when admitted (and counted), {wait_ms, first_refusal} when refused.
_ADMIT = """
local scopes = (#KEYS - 2) / 2
local window = tonumber(ARGV[1])
local first_delay = tonumber(ARGV[2])
local max_delay = tonumber(ARGV[3])
local known = redis.call('SISMEMBER', KEYS[#KEYS], ARGV[4]) == 1
local wait = 0
for i = 1, scopes do
  if not (known and ARGV[4 + 2 * i] == '1') then
    local ttl = redis.call('PTTL', KEYS[2 * i])
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then
  local first = redis.call('SET', KEYS[#KEYS - 1], '1', 'PX', wait, 'NX')
  return {wait, first and 1 or 0}
end
for i = 1, scopes do
  if not (known and ARGV[4 + 2 * i] == '1') then
    local counter = KEYS[2 * i - 1]
    local count = redis.call('INCR', counter)
    if count == 1 then redis.call('EXPIRE', counter, window) end
    local excess = count - tonumber(ARGV[3 + 2 * i])
    if excess > 0 then
      local delay = math.floor(math.min(first_delay * 2 ^ math.min(excess - 1, 30), max_delay))
      redis.call('SET', KEYS[2 * i], '1', 'PX', delay)
    end
  end
end
return {0, 0}
"""

# KEYS: the pair's counter and lock, the other scopes' counters, then the known set.
# ARGV: the source. The pair starts afresh; the others get their count back.
_SUCCEED = """
redis.call('DEL', KEYS[1], KEYS[2])
for i = 3, #KEYS - 1 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
redis.call('SADD', KEYS[#KEYS], ARGV[1])
redis.call('EXPIRE', KEYS[#KEYS], ARGV[2])
return 1
"""


def _name(value: str) -> str:
    """Logins and addresses as fixed-length key parts; logins differing only in case are one."""
    return hashlib.sha256(value.casefold().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may be checked; when refused, how long to wait and whether this is the
    first refusal of the lock (only that one is worth a row in the login history)."""

    retry_after: int
    first_refusal: bool

    @property
    def admitted(self) -> bool:
        return self.retry_after == 0


_ADMITTED = Verdict(0, False)


class AttemptThrottle:
    """One kind of guessed secret (``kind``: login passwords, the old password at a change)."""

    def __init__(self, redis: Redis, settings: Settings, kind: str = "login") -> None:
        self._redis = redis
        self._kind = kind
        self._window = settings.failure_window_seconds
        self._first_delay_ms = settings.first_delay_seconds * 1000
        self._max_delay_ms = settings.max_delay_seconds * 1000
        self._free = {
            "pair": settings.free_failures_per_account,
            "ip": settings.free_failures_per_ip,
            "account": settings.free_failures_per_account_unknown_sources,
        }
        self._admit = redis.register_script(_ADMIT)
        self._succeed = redis.register_script(_SUCCEED)

    def _keys(self, account: str, ip: str | None) -> tuple[dict[str, str], str, str]:
        who, where = _name(account), _name(ip or "unknown")
        prefix = f"auth:throttle:{self._kind}"
        scopes = {"pair": f"{who}:{where}", "ip": where, "account": who}
        known = f"auth:known-sources:{who}"
        return scopes, f"{prefix}:refused:{who}:{where}", known

    async def admit(self, account: str, ip: str | None) -> Verdict:
        """Check the locks and count this attempt, atomically; call before checking the secret."""
        scopes, refused, known = self._keys(account, ip)
        prefix = f"auth:throttle:{self._kind}"
        keys: list[str] = []
        argv: list[Any] = [self._window, self._first_delay_ms, self._max_delay_ms, _name(ip or "unknown")]
        for scope, value in scopes.items():
            keys += [f"{prefix}:count:{scope}:{value}", f"{prefix}:lock:{scope}:{value}"]
            argv += [self._free[scope], 1 if scope == "account" else 0]
        try:
            wait_ms, first = cast("list[int]", await self._admit(keys=[*keys, refused, known], args=argv))
        except RedisError as error:
            log.warning("%s throttle unavailable: %r", self._kind, error)
            THROTTLE_UNAVAILABLE.labels(self._kind).inc()
            return _ADMITTED
        if wait_ms <= 0:
            return _ADMITTED
        THROTTLE_REFUSALS.labels(self._kind).inc()
        return Verdict(max(1, math.ceil(wait_ms / 1000)), bool(first))

    async def succeeded(self, account: str, ip: str | None) -> None:
        """The secret was right: the pair starts afresh, the other scopes get the attempt back,
        and this source becomes a known one for the account."""
        scopes, _, known = self._keys(account, ip)
        prefix = f"auth:throttle:{self._kind}"
        keys = [
            f"{prefix}:count:pair:{scopes['pair']}",
            f"{prefix}:lock:pair:{scopes['pair']}",
            f"{prefix}:count:ip:{scopes['ip']}",
            f"{prefix}:count:account:{scopes['account']}",
            known,
        ]
        try:
            await self._succeed(keys=keys, args=[_name(ip or "unknown"), KNOWN_SOURCE_SECONDS])
        except RedisError as error:
            log.warning("%s throttle unavailable: %r", self._kind, error)
