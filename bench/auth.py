"""Auth benchmark (a script that prints numbers, not a test): `make bench-auth`.

An auth process at the default bcrypt cost (12) on a spare port, with its own database
(`bench_auth`, dropped at the end) and Redis db 10 (flushed at the end), measures:

1. logins per second with concurrent clients, against the bcrypt-bound limit measured in the same
   run: cores / the time of one cost-12 check (target: at least 80% of that limit). Rounds
   alternate the baseline and the logins; each round also measures a bare thread pool shaped like
   the service's (one thread per core, same niceness), which shows what hashing could get from
   the machine at that moment when other work shares it;
2. p50/p99 of `GET /users/me` alone, then while 20 logins run at once (target: p99 under 20 ms);
3. access-token verifications per second in process (signature and claims, as another service
   verifying locally with the JWKS would do), and `GET /users/me` per second over HTTP (which
   adds the revocation lookup).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt
import httpx
import psycopg
import redis

from auth.services.passwords import hash_password
from auth.services.signing_keys import load_signing_key
from auth.services.tokens import TokenCodec, TokenType
from auth.settings import Settings
from bench.figures import Figure, save
from devtools.processes import ServiceDidNotStart, ServiceProcess, free_port
from devtools.stack import Stack

DATABASE = "bench_auth"
REDIS_DB = 10
PASSWORD = "benchmark passphrase"  # noqa: S105 (the seeded accounts' password)
ROUNDS = 12
NICENESS = Settings().hash_thread_niceness


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# ------------------------------------------------------------------------------ the baseline
def one_hash_seconds(samples: int) -> float:
    """Median time of one cost-12 bcrypt check, in this process, on an idle machine."""
    digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(ROUNDS))
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        bcrypt.checkpw(PASSWORD.encode(), digest)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pool_hash_rate(threads: int, niceness: int, seconds: float) -> float:
    """Checks per second of a bare thread pool shaped like the service's (threads, priority)."""
    digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(ROUNDS))
    stop = time.perf_counter() + seconds

    def worker() -> int:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        count = 0
        while time.perf_counter() < stop:
            bcrypt.checkpw(PASSWORD.encode(), digest)
            count += 1
        return count

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        total = sum(pool.map(lambda _: worker(), range(threads)))
    return total / (time.perf_counter() - started)


# ------------------------------------------------------------------------------ the service
class Service:
    def __init__(self, stack: Stack, work: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/auth"
        self.admin_dsn = stack.pg_dsn("postgres")
        self.dsn = stack.pg_dsn(DATABASE)
        self.redis_url = stack.auth_redis_url(REDIS_DB)
        self.key_file = work / "keys" / "private.pem"
        self.log = work / "auth.log"
        self.env = {
            **os.environ,
            "AUTH_HOST": "127.0.0.1",
            "AUTH_PORT": str(self.port),
            "AUTH_DATABASE_URL": self.dsn.replace("postgresql://", "postgres://", 1),
            "AUTH_REDIS_URL": self.redis_url,
            "AUTH_PRIVATE_KEY_FILE": str(self.key_file),
            "AUTH_DATABASE_POOL_SIZE": "30",
        }
        self.server: ServiceProcess | None = None

    def __enter__(self) -> Service:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        redis.Redis.from_url(self.redis_url).flushdb()
        command = [sys.executable, "-m", "auth"]
        subprocess.run([*command, "generate-keys", str(self.key_file.parent)], env=self.env, check=True)
        self.server = ServiceProcess([*command, "serve"], self.env, self.log, "/auth/health", self.port)
        try:
            self.server.wait_until_alive()
        except ServiceDidNotStart as error:
            raise SystemExit(f"auth did not start: {error}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server:
            self.server.stop()
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        redis.Redis.from_url(self.redis_url).flushdb()

    def seed_users(self, count: int) -> list[str]:
        """Accounts inserted directly, sharing one hash: sign-up is not what is measured."""
        digest = hash_password(PASSWORD, ROUNDS)
        logins = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(count)]
        with psycopg.connect(self.dsn) as conn, conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO users (id, login, password_hash, created_at, updated_at) "
                "VALUES (%s, %s, %s, now(), now())",
                [(uuid.uuid4(), login, digest) for login in logins],
            )
        return logins


# ------------------------------------------------------------------------------ the load
async def login_loop(
    client: httpx.AsyncClient, logins: list[str], stop: float, done: list[float], first: int, stride: int
) -> None:
    """Client ``first`` of ``stride`` logs in to every stride-th account: concurrent clients are
    different users, as in life (the throttle counts attempts in flight per account and source)."""
    index = first
    while time.perf_counter() < stop:
        login = logins[index % len(logins)]
        index += stride
        response = await client.post("/api/v1/login", json={"login": login, "password": PASSWORD})
        if response.status_code != 200:
            raise SystemExit(f"login failed: {response.status_code} {response.text}")
        done.append(time.perf_counter())


async def logins_per_second(url: str, logins: list[str], clients: int, seconds: float) -> float:
    done: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        warm_stop = time.perf_counter() + 2
        await asyncio.gather(*(login_loop(client, logins, warm_stop, [], n, clients) for n in range(clients)))
        started = time.perf_counter()
        await asyncio.gather(
            *(login_loop(client, logins, started + seconds, done, n, clients) for n in range(clients))
        )
        elapsed = time.perf_counter() - started
    return len(done) / elapsed


async def me_latencies(client: httpx.AsyncClient, token: str, seconds: float) -> list[float]:
    latencies = []
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    while time.perf_counter() < stop:
        started = time.perf_counter()
        response = await client.get("/api/v1/users/me", headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"/users/me failed: {response.status_code} {response.text}")
        await asyncio.sleep(0.005)
    return latencies


async def me_under_login_load(url: str, logins: list[str], token: str, seconds: float) -> tuple[list, list]:
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as me_client,
        httpx.AsyncClient(base_url=url, timeout=60) as login_client,
    ):
        idle = await me_latencies(me_client, token, seconds)
        stop = time.perf_counter() + seconds + 1
        loaded_task = asyncio.create_task(me_latencies(me_client, token, seconds))
        await asyncio.gather(*(login_loop(login_client, logins, stop, [], n, 20) for n in range(20)))
        loaded = await loaded_task
    return idle, loaded


async def me_per_second(url: str, token: str, seconds: float, clients: int = 8) -> float:
    count = 0

    async def loop(client: httpx.AsyncClient, stop: float) -> None:
        nonlocal count
        while time.perf_counter() < stop:
            await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
            count += 1

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(loop(client, started + seconds) for _ in range(clients)))
        return count / (time.perf_counter() - started)


def verifications_per_second(key_file: Path, token: str, seconds: float) -> float:
    codec = TokenCodec(load_signing_key(Settings(private_key_file=key_file)), Settings())
    count, stop = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < stop:
        codec.decode(token, TokenType.ACCESS)
        count += 1
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent login clients (default 8)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating baseline/login rounds (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures for bench/report.py")
    args = parser.parse_args()
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="bench-auth-") as work, Service(Stack(), Path(work)) as service:
        logins = service.seed_users(200)
        # On a shared machine the CPU left for hashing changes by the minute, so the baseline
        # and the logins are measured in alternating windows and compared round by round.
        rounds = []
        for _ in range(args.rounds):
            load = os.getloadavg()[0]
            single = one_hash_seconds(samples=3)
            pool = pool_hash_rate(cores, NICENESS, args.seconds / 2)
            rate = asyncio.run(logins_per_second(service.url, logins, args.clients, args.seconds))
            rounds.append((load, single, pool, rate))
            print(
                f"   round: load {load:.2f}, one check {single * 1000:.0f} ms "
                f"-> limit {cores / single:.2f}/s, "
                f"pool of {cores} at nice {NICENESS} {pool:.2f}/s, logins {rate:.2f}/s"
            )
        by_limit = statistics.median(rate * single / cores for _, single, _, rate in rounds)
        by_pool = statistics.median(rate / pool for _, _, pool, rate in rounds)
        rate = statistics.median(rate for *_, rate in rounds)
        single = statistics.median(single for _, single, _, _ in rounds)
        print(
            f"1. logins/s with {args.clients} concurrent clients: {rate:.2f} "
            f"(median of {args.rounds} rounds); "
            f"bcrypt-bound limit {cores} cores / {single * 1000:.0f} ms = {cores / single:.2f}/s"
        )
        print(f"   = {by_limit:.0%} of the bcrypt-bound limit (target >= 80%)")
        print(f"   = {by_pool:.0%} of what a bare pool like the service's hashed in the same conditions")

        token = httpx.post(
            f"{service.url}/api/v1/login", json={"login": logins[0], "password": PASSWORD}
        ).json()["access_token"]
        idle, loaded = asyncio.run(me_under_login_load(service.url, logins, token, args.seconds))
        print(
            f"2. GET /users/me alone: p50 {percentile(idle, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(idle, 0.99) * 1000:.1f} ms ({len(idle)} requests)"
        )
        print(
            f"   GET /users/me during 20 concurrent logins: p50 {percentile(loaded, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(loaded, 0.99) * 1000:.1f} ms ({len(loaded)} requests; target p99 < 20 ms)"
        )

        verified = verifications_per_second(service.key_file, token, min(args.seconds, 5))
        print(f"3. access-token verifications/s in one process (signature + claims): {verified:,.0f}")
        served = asyncio.run(me_per_second(service.url, token, min(args.seconds, 5)))
        print(f"   GET /users/me/s over HTTP (verification + revocation check + user row): {served:,.0f}")
        pool = statistics.median(pool for _, _, pool, _ in rounds)
        loaded_p99, idle_p99 = percentile(loaded, 0.99) * 1000, percentile(idle, 0.99) * 1000
        save(args.json, "auth", [
            Figure(
                f"logins ({args.clients} clients, median of {args.rounds})", rate, "logins/s", cores / single,
                f"bcrypt-bound limit: {cores} cores / one check", ">= 80%", by_limit >= 0.8, by_limit,
            ),
            Figure(
                "logins, against a bare hashing pool", rate, "logins/s", pool,
                f"bare pool of {cores} threads at nice {NICENESS}", ratio=by_pool,
            ),
            Figure(
                "GET /users/me p99 during 20 concurrent logins", loaded_p99, "ms", idle_p99,
                "p99 without logins", "< 20 ms", loaded_p99 < 20,
            ),
            Figure(
                "GET /users/me over HTTP (8 clients)", served, "req/s", verified,
                "token verifications in one process",
            ),
        ])  # fmt: skip


if __name__ == "__main__":
    main()
