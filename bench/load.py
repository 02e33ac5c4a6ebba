"""Load through the gateway: a fixed number of mixed requests at a fixed concurrency, with wrk.

The mix (per 2,000 requests): film lists with every sort and some pages or genre filters (400),
film details (400), film searches (300), genre list and details (200), person searches,
details and film lists (300), `/auth/api/v1/users/me` with valid access tokens (399) and one
login: bcrypt at the live cost makes a login a thousand times dearer than the rest, and the auth
service hashes at a lower priority than it answers, so under a saturating load a login waits
seconds (dozens of them would queue past the gateway's timeout). Ids, search words
and accounts come from the live stack (its catalogue is the ETL's): a few accounts are signed
up first. Every answer is expected to be 200.

Debian's wrk runs the list with `bench/load.lua`, each of its threads
stopping after its share of the requests; `--max-seconds` bounds the run in time. Prints the
answer count by status and the p50/p90/p99 latency; exits 1 unless every answer was a 200 and
all were answered. Loopback only: the gateway is 127.0.0.1.

    python -m bench.load [--requests 20000] [--connections 64] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

from devtools.wrk import wrk_path

ROOT = Path(__file__).resolve().parents[1]

LUA = Path(__file__).with_name("load.lua")
THREADS = 2  # the machine's cores; wrk's threads only parse, the stack needs the CPU
MIX_SIZE = 2000
ACCOUNTS = 6


@dataclass
class LoadResult:
    requests: int
    connections: int
    answered: int
    ok: int
    statuses: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    seconds: float
    requests_per_second: float
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        """Answers other than 200, requests never answered, and socket errors."""
        return (
            (self.answered - self.ok)
            + max(0, self.requests - self.answered)
            + sum(self.socket_errors.values())
        )


@dataclass
class Account:
    login: str
    password: str
    token: str


def sign_up_accounts(client: httpx.Client, count: int) -> list[Account]:
    accounts = []
    for _ in range(count):
        login, password = f"load-{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
        response = client.post("/auth/api/v1/signup", json={"login": login, "password": password})
        response.raise_for_status()
        response = client.post("/auth/api/v1/login", json={"login": login, "password": password})
        response.raise_for_status()
        accounts.append(Account(login, password, response.json()["access_token"]))
    return accounts


def wait_until_ready(client: httpx.Client, seconds: float = 180) -> None:
    """Both services ready behind the gateway (a test run before may have restarted one)."""
    deadline = time.monotonic() + seconds
    for path in ("/api/health/ready", "/auth/health"):
        while True:
            try:
                if client.get(path).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{path} is not ready behind the gateway")
            time.sleep(1)


def catalogue_sample(client: httpx.Client) -> dict[str, list[str]]:
    """Ids and words of the live catalogue, read through the gateway."""
    films = client.get("/api/v1/films/", params={"page_size": 100}).raise_for_status().json()
    genres = client.get("/api/v1/genres/", params={"page_size": 100}).raise_for_status().json()
    persons: list[str] = []
    for film in films[:30]:
        detail = client.get(f"/api/v1/films/{film['uuid']}").raise_for_status().json()
        persons += [person["uuid"] for person in detail["actors"] + detail["directors"] + detail["writers"]]
    words = sorted({word for film in films for word in film["title"].split() if len(word) > 3})
    names = [
        client.get(f"/api/v1/persons/{person}").raise_for_status().json()["full_name"]
        for person in persons[:20]
    ]
    if not (films and genres and persons and words):
        raise SystemExit("the live catalogue is empty: is the ETL done?")
    return {
        "films": [film["uuid"] for film in films],
        "genres": [genre["uuid"] for genre in genres],
        "persons": sorted(set(persons)),
        "words": words,
        "names": [name.split()[-1] for name in names],
    }


def request_mix(sample: dict[str, list[str]], accounts: list[Account], seed: int) -> list[str]:
    """MIX_SIZE lines of the request file, shuffled."""
    rng = random.Random(seed)
    films, genres, persons = sample["films"], sample["genres"], sample["persons"]
    sorts = ["-imdb_rating", "imdb_rating", "title", "-title"]

    def get(path: str, token: str = "-") -> str:  # noqa: S107 ("-": no token)
        return f"GET\t{path}\t{token}\t"

    def film_list() -> str:
        if rng.random() < 0.3:
            return get(f"/api/v1/films/?genre={rng.choice(genres)}")
        return get(f"/api/v1/films/?sort={rng.choice(sorts)}&page_number={rng.randint(1, 5)}&page_size=20")

    def genre() -> str:
        return get("/api/v1/genres/") if rng.random() < 0.3 else get(f"/api/v1/genres/{rng.choice(genres)}")

    makers = [  # weights per 2,000 requests
        (400, film_list),
        (400, lambda: get(f"/api/v1/films/{rng.choice(films)}")),
        (300, lambda: get(f"/api/v1/films/search?query={quote(rng.choice(sample['words']))}&page_size=10")),
        (200, genre),
        (100, lambda: get(f"/api/v1/persons/search?query={quote(rng.choice(sample['names']))}")),
        (120, lambda: get(f"/api/v1/persons/{rng.choice(persons)}")),
        (80, lambda: get(f"/api/v1/persons/{rng.choice(persons)}/film")),
        (399, lambda: get("/auth/api/v1/users/me", rng.choice(accounts).token)),
    ]
    lines = [make() for weight, make in makers for _ in range(weight)]
    login = json.dumps({"login": accounts[0].login, "password": accounts[0].password})
    lines.append(f"POST\t/auth/api/v1/login\t-\t{login}")
    assert len(lines) == MIX_SIZE, len(lines)
    rng.shuffle(lines)
    return lines


def run_load(gateway: str, requests: int, connections: int, max_seconds: int, seed: int = 6) -> LoadResult:
    wrk = wrk_path()
    with httpx.Client(base_url=gateway, timeout=30) as client:
        wait_until_ready(client)
        sample = catalogue_sample(client)
        accounts = sign_up_accounts(client, ACCOUNTS)
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    request_file = workdir / "requests.tsv"
    request_file.write_text("\n".join(request_mix(sample, accounts, seed)) + "\n", encoding="utf-8")
    per_thread = -(-requests // THREADS)
    markers = workdir / "done-"
    command = [
        wrk, f"-t{THREADS}", f"-c{connections}", f"-d{max_seconds}s", "--timeout", "30s",
        "-s", str(LUA), gateway, "--", str(request_file), str(per_thread), str(markers),
    ]  # fmt: skip
    started = time.monotonic()
    wrk_process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wrk's main thread sleeps for -d whatever its threads do: once every thread has taken its
    # share, SIGINT (wrk's own way to end early) makes it join them and print the summary.
    while wrk_process.poll() is None and time.monotonic() - started < max_seconds:
        if all(Path(f"{markers}{thread}").exists() for thread in range(THREADS)):
            wrk_process.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    out, err = wrk_process.communicate(timeout=60)
    seconds = time.monotonic() - started
    if wrk_process.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk_process.returncode}):\n{out}\n{err}")
    line = next((row for row in out.splitlines() if row.startswith("LOAD-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    raw = json.loads(line.removeprefix("LOAD-RESULT "))
    shutil.rmtree(workdir, ignore_errors=True)
    wrk_seconds = raw["duration_us"] / 1e6 or seconds
    return LoadResult(
        requests=per_thread * THREADS,
        connections=connections,
        answered=raw["answered"],
        ok=raw["ok"],
        statuses=raw["statuses"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        seconds=round(wrk_seconds, 2),
        requests_per_second=round(raw["answered"] / wrk_seconds, 1),
        socket_errors={
            name: raw[name]
            for name in ("connect_errors", "read_errors", "write_errors", "timeouts")
            if raw[name]
        },
    )


def describe(result: LoadResult) -> str:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(result.statuses.items()))
    return (
        f"{result.answered}/{result.requests} answered at {result.connections} connections in "
        f"{result.seconds:.1f} s ({result.requests_per_second:.0f} req/s); statuses {statuses}; "
        f"socket errors {result.socket_errors or 'none'}\n"
        f"latency p50 {result.p50_ms:.1f} ms, p90 {result.p90_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"max {result.max_ms:.1f} ms; errors {result.errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gateway", default="http://127.0.0.1:80")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--max-seconds", type=int, default=300, help="wrk stops here even if short of the count"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    if not args.gateway.startswith(("http://127.", "http://localhost")):
        raise SystemExit("loopback only: the gateway must be on 127.0.0.0/8 or localhost")
    result = run_load(args.gateway, args.requests, args.connections, args.max_seconds)
    print(describe(result))
    if args.json:
        Path(args.json).write_text(json.dumps({**asdict(result), "errors": result.errors}, indent=2) + "\n")
    sys.exit(1 if result.errors else 0)


if __name__ == "__main__":
    main()
