"""Freshness benchmark (a script that prints numbers, not a test): `make bench-freshness`.

How long a committed change takes to be served by the content API, through the running stack:
Postgres's journal trigger NOTIFYs, Airflow's triggerer turns it into an asset event, the
scheduler starts `films_etl`, the run indexes the change and bumps the generation, and the API's
next answer (cache keyed by the generation) shows it.

`--changes` (default 20) spaced changes, each an UPDATE of one film's title without touching
`modified`, committed and then polled for on `GET /api/v1/films/<id>` every 50 ms: p50, p95 and
max of commit-to-API seconds. Baseline, measured in the same run: the same change indexed by an
ETL run made in this process right after the commit (no scheduler, no task start), i.e. the
pipeline's own floor. Titles are put back at the end. Airflow must run; under `stack.sh bench`
(which stops it) the script starts it for the measurement and stops it again afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import redis
from elasticsearch import Elasticsearch

from bench.figures import Figure, save
from cinema_etl import extract, pipeline
from devtools.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
API = os.environ.get("BENCH_API_URL", "http://127.0.0.1:8000")
POLL_SECONDS = 0.05
TIMEOUT_SECONDS = 180.0
TARGET_P95_SECONDS = 10.0


def title_served(client: httpx.Client, film_id: str) -> str | None:
    response = client.get(f"/api/v1/films/{film_id}")
    return response.json().get("title") if response.status_code == 200 else None


def wait_until_served(client: httpx.Client, film_id: str, title: str, committed: float) -> float:
    """Seconds from `committed` until the API serves `title` for the film; TIMEOUT_SECONDS (and
    a line saying so) when it never does, so that a stall shows in the figures."""
    while time.monotonic() - committed < TIMEOUT_SECONDS:
        if title_served(client, film_id) == title:
            return time.monotonic() - committed
        time.sleep(POLL_SECONDS)
    print(f"  film {film_id} not served as {title!r} within {TIMEOUT_SECONDS:.0f} s", flush=True)
    return TIMEOUT_SECONDS


def retitle(conn: psycopg.Connection, film_id: str, title: str) -> float:
    """Commit the new title; returns the monotonic time right after the commit."""
    conn.execute("UPDATE content.film_work SET title = %s WHERE id = %s", (title, film_id))
    return time.monotonic()


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value at least `share` of the values are at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def stack_command(*args: str) -> None:
    subprocess.run(
        ["bash", str(ROOT / "deploy/native/stack.sh"), *args], check=True, stdout=subprocess.DEVNULL
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--baseline-changes", type=int, default=5)
    parser.add_argument("--spacing", type=float, default=5.0, help="seconds between changes (plus 0-2 s)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", metavar="PATH", help="also write the figures for bench/report.py")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    print(f"seed {seed} (replay with --seed {seed})", flush=True)

    stack = Stack()
    started_airflow = os.environ.get("BENCH_AIRFLOW_STOPPED") == "1"
    if started_airflow:
        print("starting Airflow for the measurement (stack.sh bench stopped it)", flush=True)
        stack_command("up", "airflow")
    es = Elasticsearch(stack.es_url, request_timeout=60)
    cache = redis.Redis.from_url(stack.redis_url(0))
    latencies: list[float] = []
    floors: list[float] = []
    originals: dict[str, str] = {}
    conn = psycopg.connect(stack.pg_dsn(stack.catalogue_db), autocommit=True)
    try:
        with httpx.Client(base_url=API, timeout=10) as client:
            films = [
                (str(i), t) for i, t in conn.execute("SELECT id, title FROM content.film_work ORDER BY id")
            ]
            chosen = rng.sample(films, args.changes + args.baseline_changes + 1)
            originals.update(chosen)
            # Warm-up, not counted: the watcher, the scheduler and the API are all up and caching.
            warm_id = chosen[0][0]
            wait_until_served(
                client, warm_id, "Freshness warm-up", retitle(conn, warm_id, "Freshness warm-up")
            )
            time.sleep(args.spacing)

            for n, (film_id, _) in enumerate(chosen[1 : args.changes + 1], start=1):
                title = f"Freshness {n} {rng.getrandbits(32):08x}"
                seconds = wait_until_served(client, film_id, title, retitle(conn, film_id, title))
                latencies.append(seconds)
                print(f"  change {n:2}: served by the API {seconds:5.2f} s after the commit", flush=True)
                time.sleep(args.spacing + rng.uniform(0, 2))

            with extract.connect(stack.pg_dsn(stack.catalogue_db)) as etl_conn:
                for n, (film_id, _) in enumerate(chosen[args.changes + 1 :], start=1):
                    title = f"Freshness floor {n} {rng.getrandbits(32):08x}"
                    committed = retitle(conn, film_id, title)
                    pipeline.IndexRun(etl_conn, es, cache, "movies").run()
                    seconds = wait_until_served(client, film_id, title, committed)
                    floors.append(seconds)
                    print(f"  baseline {n}: in-process ETL run, served {seconds:5.2f} s after the commit")
                    time.sleep(args.spacing)
    finally:
        for film_id, title in originals.items():  # the catalogue as it was, whatever happened
            conn.execute("UPDATE content.film_work SET title = %s WHERE id = %s", (title, film_id))
        conn.close()
        if started_airflow:
            stack_command("down", "airflow")

    p50, p95, worst = statistics.median(latencies), percentile(latencies, 0.95), max(latencies)
    floor = statistics.median(floors)
    print(
        f"commit to API over {len(latencies)} spaced changes: p50 {p50:.2f} s, p95 {p95:.2f} s,"
        f" max {worst:.2f} s (target p95 <= {TARGET_P95_SECONDS:.0f} s)"
    )
    print(f"baseline: in-process ETL run right after the commit: p50 {floor:.2f} s")
    baseline_name = "in-process ETL run right after the commit (p50)"
    figures = [
        Figure(f"commit to API p50, {len(latencies)} spaced changes", p50, "s", floor, baseline_name),
        Figure(
            f"commit to API p95, {len(latencies)} spaced changes",
            p95,
            "s",
            floor,
            baseline_name,
            f"<= {TARGET_P95_SECONDS:.0f} s",
            p95 <= TARGET_P95_SECONDS,
        ),
        Figure(f"commit to API max, {len(latencies)} spaced changes", worst, "s", floor, baseline_name),
    ]
    save(args.json, "freshness", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
