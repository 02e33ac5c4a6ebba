"""Brute force under concurrency, and lockouts that strangers cannot impose or extend.

These run against a process of their own with a bcrypt cost (10) at which a check takes tens of
milliseconds, so requests sent at once really are in flight together, as they would be at the
production cost; its hashing queue holds 6 checks and its failure window is 4 s (60 s for the one
test that climbs the doubling delays).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from auth_http import PASSWORD, Api, AuthProcess, new_login

from devtools.scrape import Scrape

FREE_PER_PAIR = 3  # AUTH_FREE_FAILURES_PER_ACCOUNT of the auth_env processes
FREE_UNKNOWN_SOURCES = 8
WINDOW_SECONDS = 4
QUEUE_LIMIT = 6


def _attacked_process(env: dict[str, str], log_dir: pytest.TempPathFactory, window: int) -> AuthProcess:
    return AuthProcess(
        {
            **env,
            "AUTH_BCRYPT_ROUNDS": "10",
            "AUTH_HASH_QUEUE_LIMIT": str(QUEUE_LIMIT),
            "AUTH_FREE_FAILURES_PER_IP": "1000",
            "AUTH_FREE_FAILURES_PER_ACCOUNT_UNKNOWN_SOURCES": str(FREE_UNKNOWN_SOURCES),
            "AUTH_FAILURE_WINDOW_SECONDS": str(window),
            # Delays double 1, 2, 4, 8 s: long enough to look at a lock on a loaded machine.
            "AUTH_MAX_DELAY_SECONDS": "8",
        },
        log_dir.mktemp("auth-attacked") / "auth.log",
    ).start()


@pytest.fixture(scope="module")
def attacked(auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthProcess]:
    process = _attacked_process(auth_env, tmp_path_factory, WINDOW_SECONDS)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def attacked_long_window(
    auth_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthProcess]:
    """The same limits over a 60 s window: a test that must climb the doubling delays (1 + 2 s of
    waiting, plus the checks) within one window, which 4 s does not leave on a loaded machine."""
    process = _attacked_process(auth_env, tmp_path_factory, 60)
    yield process
    process.stop()


async def _at_once(url: str, attempts: list[tuple[str, str, str]]) -> list[httpx.Response]:
    """POST /login for every (login, password, source IP), all sent together."""
    async with httpx.AsyncClient(base_url=f"{url}/auth/api/v1", timeout=60) as client:
        return await asyncio.gather(
            *(
                client.post(
                    "/login", json={"login": login, "password": password}, headers={"X-Forwarded-For": ip}
                )
                for login, password, ip in attempts
            )
        )


def _scrape(process: AuthProcess) -> Scrape:
    with httpx.Client(base_url=process.url, timeout=60) as client:
        return Scrape.of(client, "/auth/metrics")


def _login(url: str, login: str, ip: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{url}/auth/api/v1/login",
        json={"login": login, "password": password},
        headers={"X-Forwarded-For": ip},
        timeout=60,
    )


def test_guesses_sent_at_once_are_held_by_the_same_count(attacked: AuthProcess) -> None:
    client = Api(attacked.url)
    user = client.sign_up()
    attempts = [(user["login"], f"wrong guess {n}", client.ip) for n in range(19)]
    attempts.insert(10, (user["login"], PASSWORD, client.ip))

    statuses = [response.status_code for response in asyncio.run(_at_once(attacked.url, attempts))]

    checked = [status for status in statuses if status in (200, 401)]
    # Three attempts are free and the fourth locks: no more than four passwords reach bcrypt.
    assert len(checked) <= FREE_PER_PAIR + 1, statuses
    assert statuses.count(429) == len(statuses) - len(checked), statuses
    client.http.close()


def test_a_strangers_failures_do_not_lock_the_owner_out(attacked: AuthProcess) -> None:
    owner = Api(attacked.url)
    user = owner.sign_up()
    attempts = [(user["login"], f"wrong guess {n}", "198.51.100.66") for n in range(15)]

    statuses = [response.status_code for response in asyncio.run(_at_once(attacked.url, attempts))]
    owners = _login(attacked.url, user["login"], owner.ip)

    assert 429 in statuses
    assert owners.status_code == 200, owners.text
    owner.http.close()


def test_a_distributed_guess_locks_new_sources_but_not_the_owners_known_device(
    attacked_long_window: AuthProcess,
) -> None:
    attacked = attacked_long_window
    owner = Api(attacked.url)
    user = owner.sign_up()
    owner.log_in(user["login"])  # the owner's address becomes a known source of the account
    # Two guesses from each of ten addresses: under the per-source limit, over the account's.
    attempts = [(user["login"], "wrong guess", f"203.0.113.{n}") for n in range(10) for _ in range(2)]
    asyncio.run(_at_once(attacked.url, attempts))
    # More guesses from new addresses until the account's lock for new sources lasts 4 s or more,
    # so that the two logins below certainly fall inside it.
    for n in range(20, 40):
        guess = _login(attacked.url, user["login"], f"203.0.113.{n}", "wrong guess")
        if guess.status_code == 429 and int(guess.headers["Retry-After"]) >= 3:
            break
        if guess.status_code == 429:
            time.sleep(int(guess.headers["Retry-After"]))
    else:
        pytest.fail("the account was never locked for new addresses")

    from_a_new_address = _login(attacked.url, user["login"], "203.0.113.200")
    from_the_known_device = _login(attacked.url, user["login"], owner.ip)

    assert from_a_new_address.status_code == 429
    assert int(from_a_new_address.headers["Retry-After"]) >= 1
    assert from_the_known_device.status_code == 200, from_the_known_device.text
    owner.http.close()


def test_failures_do_not_extend_the_window(attacked: AuthProcess) -> None:
    client = Api(attacked.url)
    user = client.sign_up()
    started = time.monotonic()
    for _ in range(FREE_PER_PAIR + 1):  # the last one locks for 1 s
        assert _login(attacked.url, user["login"], client.ip, "wrong guess").status_code == 401
    time.sleep(1.1)
    assert _login(attacked.url, user["login"], client.ip, "wrong guess").status_code == 401  # locks 2 s
    time.sleep(WINDOW_SECONDS + 0.3 - (time.monotonic() - started))

    # The window opened by the first failure is over: this failure starts a new count, no lock.
    assert _login(attacked.url, user["login"], client.ip, "wrong guess").status_code == 401
    assert _login(attacked.url, user["login"], client.ip).status_code == 200
    client.http.close()


async def _queue_depths(url: str, scrapes: int) -> list[float]:
    """The hashing queue's depth, scraped every 20 ms while logins run."""
    depths = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(scrapes):
            await asyncio.sleep(0.02)
            text = (await client.get("/auth/metrics")).text
            depths.append(Scrape.parse(text).value("cinema_auth_hashing_queue_depth"))
    return depths


async def _at_once_watching_the_queue(
    url: str, attempts: list[tuple[str, str, str]]
) -> tuple[list[httpx.Response], list[float]]:
    return await asyncio.gather(_at_once(url, attempts), _queue_depths(url, 10))


def test_a_full_hashing_queue_answers_503_with_retry_after(attacked: AuthProcess) -> None:
    users = [Api(attacked.url) for _ in range(20)]
    logins = [client.sign_up()["login"] for client in users]
    before = _scrape(attacked)

    responses, depths = asyncio.run(
        _at_once_watching_the_queue(
            attacked.url, [(login, PASSWORD, client.ip) for login, client in zip(logins, users, strict=True)]
        )
    )

    statuses = [response.status_code for response in responses]
    busy = [response for response in responses if response.status_code == 503]
    after = _scrape(attacked)
    # Every 503 is counted as a busy login, and the queue was seen full but never over its limit.
    busy_logins = after.value("cinema_auth_logins_total", outcome="busy")
    assert busy_logins - before.value("cinema_auth_logins_total", outcome="busy") == len(busy)
    assert 0 < max(depths) <= QUEUE_LIMIT, depths
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= QUEUE_LIMIT
    assert busy, statuses
    assert all(response.json()["code"] == "busy" for response in busy)
    assert all(int(response.headers["Retry-After"]) >= 1 for response in busy)
    for client in users:
        client.http.close()


def test_unknown_logins_are_throttled_like_known_ones(attacked: AuthProcess) -> None:
    login = new_login()
    statuses = [
        response.status_code
        for response in asyncio.run(
            _at_once(attacked.url, [(login, "guess", "192.0.2.77") for _ in range(12)])
        )
    ]

    assert statuses.count(401) <= FREE_PER_PAIR + 1
    assert 429 in statuses
