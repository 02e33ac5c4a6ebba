"""Content API benchmark (a script that prints numbers, not a test): `make bench-api`.

Over loopback with Debian's wrk, requests/s and p50/p99 latency of:

a. a bare Sanic JSON handler (no extensions) served the same way as the API (same worker count,
   no access log): the baseline;
b. a cached film detail (`/api/v1/films/<id>`, answered from Redis);
c. a cached film list (`/api/v1/films?page_size=50`);
d. an uncached film search (an API process with `API_CACHE_TTL=0`) next to the same search request
   sent straight to Elasticsearch;
e. an uncached suggestion (`/api/v1/suggest?query=gal`, the same process) next to the same
   `_msearch` sent straight to Elasticsearch.

Targets: b >= 60% of a's requests/s; b's p99 <= 10 ms at 64 connections; d adds <= 2 ms at p50;
e's p50 <= 5 ms; d and e at 100,000 films (the default `--films`).
a, b and c are wrk runs that take turns for several rounds; each row shows the case's median round
(by req/s). d and e are latencies, so they are measured in pairs instead: one client sends the API's
request and the direct one alternately (ABBA order, keep-alive), so that a slow spell of the machine
(Airflow's scheduler, Elasticsearch's merges) lands on both sides of the comparison rather than on
whichever wrk run it happened to meet. The overhead is the difference of the two p50s (the median
of the pairs' differences is printed beside it). A pairs row's req/s is 1000 / its mean latency (one
request at a time), and its non-2xx is 0 because any other answer stops the script. e's target is a
latency rather than a difference, and the pairs' Python client adds its own time to both sides, so
e is also run with wrk at one connection (API and direct taking turns, median round by p50): the
target is checked on that row.
The API reads its own seeded index (`bench_api_<random>_movies`, with empty persons and genres
indices beside it for the suggestions; all removed at the end) and its own Redis db; every
process the script starts is stopped when it ends.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import redis
from elasticsearch import Elasticsearch, helpers

import es_mappings
from api.models.query import FilmSearchQuery, SuggestQuery
from api.repositories.elastic import SEARCH_FILTER
from api.repositories.films import search_request
from api.repositories.suggestions import SUGGEST_FILTER, suggest_searches
from bench.figures import Figure, save
from devtools.processes import ServiceDidNotStart, ServiceProcess, free_port
from devtools.wrk import wrk_path

ROOT = Path(__file__).resolve().parents[1]

REDIS_DB = 13
SEARCH_TEXT = "galaxy ranger"
SUGGEST_TEXT = "gal"
WORDS = (
    "galaxy star ranger empire night city river storm ghost dream shadow winter fire ocean "
    "machine garden secret island mountain letter voyage silent golden broken last"
).split()
NAMES = "Anna Boris Clara Dmitri Elena Felix Greta Hugo Irina Jonas Kira Leon Maria Nikolai Olga".split()


# --------------------------------------------------------------------------- the baseline server
def baseline_app():
    """A bare Sanic app with one JSON handler: the ceiling the API is measured against."""
    from sanic import Sanic, json

    app = Sanic("bench_baseline", dumps=orjson.dumps)
    app.config.ACCESS_LOG = False
    app.config.AUTO_EXTEND = False  # no sanic-ext: the bare server is the ceiling
    body = {"uuid": str(uuid.UUID(int=1)), "title": "Baseline", "imdb_rating": 7.5}

    @app.get("/bare")
    async def bare(request):
        return json(body)

    return app


def serve_baseline(port: int, workers: int) -> None:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader

    loader = AppLoader(factory=baseline_app)
    app = loader.load()
    app.prepare(
        host="127.0.0.1",
        port=port,
        workers=workers,
        access_log=False,
        single_process=workers == 1,
        motd=False,
    )
    if workers == 1:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


# --------------------------------------------------------------------------- data and processes
def seed_movies(es: Elasticsearch, index: str, films: int) -> list[str]:
    rng = random.Random(7)
    body = es_mappings.index_body(es_mappings.MOVIES)
    body["settings"]["number_of_replicas"] = 0
    body["settings"]["refresh_interval"] = "-1"  # no refreshes during the load, one at its end
    es.indices.create(index=index, **body)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(films)]

    def person() -> dict[str, str]:
        name = f"{rng.choice(NAMES)} {rng.choice(NAMES)}son"
        return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)), "name": name}

    def docs():
        for film_id in ids:
            actors = [person() for _ in range(4)]
            directors = [person()]
            yield {
                "_index": index,
                "_id": film_id,
                "_source": {
                    "id": film_id,
                    "title": " ".join(rng.sample(WORDS, 3)).title(),
                    "imdb_rating": round(rng.uniform(1, 10), 1),
                    "description": " ".join(rng.choices(WORDS, k=30)),
                    "genres": ["Drama"],
                    "genre_ids": [str(uuid.UUID(int=5))],
                    "genre_list": [{"id": str(uuid.UUID(int=5)), "name": "Drama"}],
                    "actors": actors,
                    "actors_names": [a["name"] for a in actors],
                    "directors": directors,
                    "directors_names": [d["name"] for d in directors],
                    "writers": [],
                    "writers_names": [],
                    "creation_date": "2001-01-01",
                    "type": "movie",
                },
            }

    helpers.bulk(es, docs(), chunk_size=2000)
    es.indices.put_settings(index=index, settings={"index": {"refresh_interval": None}})
    es.indices.refresh(index=index)
    return ids


def create_empty(es: Elasticsearch, logical: str, index: str) -> None:
    """An index the suggestions read besides the films: present (else they answer 503), empty."""
    body = es_mappings.index_body(logical)
    body["settings"]["number_of_replicas"] = 0
    es.indices.create(index=index, **body)


def start(name: str, command: list[str], env: dict[str, str], health: str, log_dir: Path) -> ServiceProcess:
    """One server on a spare port (`{port}` in `command` is replaced), up and answering `health`."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("API_")}
    full_env.update(env, API_HOST="127.0.0.1", API_PORT=str(port))
    command = [arg.replace("{port}", str(port)) for arg in command]
    server = ServiceProcess(command, full_env, log_dir / f"{name}.log", health, port)
    try:
        server.wait_until_alive()
    except ServiceDidNotStart as error:
        raise SystemExit(f"{name} did not start: {error}") from None
    return server


# --------------------------------------------------------------------------- wrk
@dataclass
class Result:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def post_script(directory: Path, body: bytes, content_type: str) -> Path:
    """A wrk script that POSTs `body` (wrk sends GETs otherwise)."""
    (directory / "body").write_bytes(body)
    script = directory / "post.lua"
    script.write_text(
        f'local f = io.open("{directory / "body"}", "rb")\nwrk.body = f:read("*a")\nf:close()\n'
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "{content_type}"\n'
    )
    return script


def run_wrk(
    wrk: str, label: str, url: str, connections: int, seconds: int, script: Path | None = None
) -> Result:
    threads = min(2, connections)
    base = [wrk, f"-t{threads}", f"-c{connections}", "--latency", *(["-s", str(script)] if script else [])]
    subprocess.run([*base, "-d2s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run([*base, f"-d{seconds}s", url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {
        m.group(1): float(m.group(2)) * _UNITS[m.group(3)]
        for m in re.finditer(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    }
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Result(label, rps, latency["50"], latency["99"], int(errors.group(1)) if errors else 0)


@dataclass
class Request:
    label: str
    method: str
    url: str
    body: bytes | None = None
    content_type: str | None = None


def paired_latency(first: Request, second: Request, samples: int) -> tuple[Result, Result, float]:
    """`samples` requests of each, alternating in ABBA order over one keep-alive client: both
    results and the median of the per-pair differences (first - second) in ms."""
    times: dict[str, list[float]] = {first.label: [], second.label: []}
    with httpx.Client(timeout=30) as client:

        def timed(request: Request) -> float:
            headers = {"Content-Type": request.content_type} if request.content_type else None
            started = time.perf_counter()
            response = client.request(request.method, request.url, content=request.body, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{request.label}: HTTP {response.status_code} {response.text[:300]}")
            return elapsed

        for _ in range(20):  # warm-up: connections, caches, JIT of the query
            timed(first), timed(second)
        differences = []
        for pair in range(samples):
            order = (first, second) if pair % 2 == 0 else (second, first)
            measured = {request.label: timed(request) for request in order}
            for label, elapsed in measured.items():
                times[label].append(elapsed)
            differences.append(measured[first.label] - measured[second.label])

    def result(label: str) -> Result:
        values = sorted(times[label])
        return Result(
            label, 1000 / statistics.fmean(values), statistics.median(values),
            values[min(len(values) - 1, int(len(values) * 0.99))], 0,
        )  # fmt: skip

    return result(first.label), result(second.label), statistics.median(differences)


def print_table(results: list[Result]) -> None:
    print(f"\n{'case':<52} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for r in results:
        print(f"{r.label:<52} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>8}")


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--es-url", default=f"http://127.0.0.1:{os.environ.get('ES_PORT', '9200')}")
    parser.add_argument(
        "--redis-url", default=f"redis://127.0.0.1:{os.environ.get('REDIS_PORT', '6379')}/{REDIS_DB}"
    )
    parser.add_argument("--workers", type=int, default=1, help="Sanic workers of every server (API_WORKERS)")
    parser.add_argument(
        "--films", type=int, default=100_000, help="seeded films (the search issue's targets are at 100,000)"
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64, help="for a, b and c")
    parser.add_argument("--samples", type=int, default=1000, help="request pairs for d and for e")
    parser.add_argument(
        "--rounds", type=int, default=3, help="cases run in turn this many times; the median round is shown"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures for bench/report.py")
    args = parser.parse_args()

    wrk = wrk_path()
    prefix = f"bench_api_{uuid.uuid4().hex[:8]}_"
    index = es_mappings.index_name(es_mappings.MOVIES, prefix)
    others = {
        name: es_mappings.index_name(name, prefix) for name in (es_mappings.PERSONS, es_mappings.GENRES)
    }
    es = Elasticsearch(args.es_url, request_timeout=60)
    cache = redis.Redis.from_url(args.redis_url)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    api_env = {
        "API_ES_URL": args.es_url,
        "API_REDIS_URL": args.redis_url,
        "API_INDEX_PREFIX": prefix,
        "API_WORKERS": str(args.workers),
        "API_CURSOR_SECRET": "bench-only-cursor-secret",
    }
    python = sys.executable
    with ExitStack() as cleanup:
        cleanup.callback(es.close)
        for name in (index, *others.values()):
            cleanup.callback(lambda name=name: es.indices.delete(index=name, ignore_unavailable=True))
        cleanup.callback(lambda: [cache.delete(k) for k in cache.scan_iter(match=f"*{prefix}*")])
        film_ids = seed_movies(es, index, args.films)
        for logical, name in others.items():
            create_empty(es, logical, name)
        print(
            f"seeded {args.films} films into {index}; {args.workers} worker(s) per server; logs in {log_dir}"
        )

        baseline = start(
            "baseline",
            [python, "-m", "bench.api", "baseline", "--port", "{port}", "--workers", str(args.workers)],
            {},
            "/bare",
            log_dir,
        )
        cleanup.callback(baseline.stop)
        cached = start("api", [python, "-m", "api"], api_env, "/api/health", log_dir)
        cleanup.callback(cached.stop)
        uncached = start(
            "api-uncached", [python, "-m", "api"], {**api_env, "API_CACHE_TTL": "0"}, "/api/health", log_dir
        )
        cleanup.callback(uncached.stop)

        detail = f"/api/v1/films/{film_ids[0]}"
        listing = "/api/v1/films?page_size=50"
        search = f"/api/v1/films/search?query={SEARCH_TEXT.replace(' ', '+')}&page_size=50"
        for path in (detail, listing):
            assert httpx.get(cached.url + path).status_code == 200  # fills the cache
        assert httpx.get(uncached.url + search).json(), "the search should find films"
        suggest = f"/api/v1/suggest?query={SUGGEST_TEXT}"
        assert httpx.get(uncached.url + suggest).json(), "the suggestions should find films"

        # The very request the API sends: same body, same response filtering.
        direct_search = f"{args.es_url}/{index}/_search?filter_path={','.join(SEARCH_FILTER)}"
        body = search_request(FilmSearchQuery(query=SEARCH_TEXT, page_size=50))
        body["from"] = body.pop("from_")
        body["_source"] = body.pop("source")
        direct_suggest = f"{args.es_url}/_msearch?filter_path={','.join(SUGGEST_FILTER)}"
        searches = suggest_searches(SuggestQuery(query=SUGGEST_TEXT), prefix)
        ndjson = "".join(orjson.dumps(line).decode() + "\n" for line in searches)

        c, s = args.connections, args.seconds
        cases = [
            (f"a. bare Sanic JSON handler (c={c})", baseline.url + "/bare"),
            (f"b. cached film detail (c={c})", cached.url + detail),
            (f"c. cached film list, 50 films (c={c})", cached.url + listing),
        ]
        # Cases take turns, so that load from elsewhere on the machine spreads over all of them.
        rounds: list[list[Result]] = [[] for _ in cases]
        for _ in range(args.rounds):
            for runs, (label, url) in zip(rounds, cases, strict=True):
                runs.append(run_wrk(wrk, label, url, c, s))
        a, b, listed = (sorted(runs, key=lambda r: r.rps)[len(runs) // 2] for runs in rounds)
        d_api, d_es, d_overhead = paired_latency(
            Request("d. uncached film search via API (c=1)", "GET", uncached.url + search),
            Request(
                "d. same search straight to Elasticsearch (c=1)", "POST", direct_search,
                orjson.dumps(body), "application/json",
            ),
            args.samples,
        )  # fmt: skip
        e_api, e_es, e_overhead = paired_latency(
            Request("e. uncached suggestion via API (pairs, c=1)", "GET", uncached.url + suggest),
            Request(
                "e. same _msearch straight to Elasticsearch (pairs)", "POST", direct_suggest,
                ndjson.encode(), "application/x-ndjson",
            ),
            args.samples,
        )  # fmt: skip
        # e's own target is a latency, not a difference: the Python client of the pairs adds its
        # own ~1.5 ms to both sides, wrk (C) adds next to nothing.
        msearch = post_script(log_dir, ndjson.encode(), "application/x-ndjson")
        e_rounds: tuple[list[Result], list[Result]] = ([], [])
        for _ in range(args.rounds):
            e_rounds[0].append(
                run_wrk(wrk, "e. uncached suggestion via API (wrk, c=1)", uncached.url + suggest, 1, s)
            )
            e_rounds[1].append(
                run_wrk(
                    wrk, "e. same _msearch straight to Elasticsearch (wrk)", direct_suggest, 1, s, msearch
                )
            )
        e_wrk, e_es_wrk = (sorted(runs, key=lambda r: r.p50_ms)[len(runs) // 2] for runs in e_rounds)
        print_table([a, b, listed, d_api, d_es, e_api, e_es, e_wrk, e_es_wrk])
        print("\ntargets:")
        print(f"  b/a requests/s  = {b.rps / a.rps:.0%}  (target >= 60%)")
        print(f"  b p99           = {b.p99_ms:.2f} ms  (target <= 10 ms at 64 connections)")
        print(
            f"  d p50 overhead  = {d_api.p50_ms - d_es.p50_ms:+.2f} ms  (target <= 2 ms; median of the"
            f" {args.samples} pairs' differences {d_overhead:+.2f} ms)"
        )
        print(
            f"  e p50           = {e_wrk.p50_ms:.2f} ms  (target <= 5 ms, wrk; the pairs put the API's"
            f" overhead at {e_overhead:+.2f} ms)"
        )
        bare = f"bare Sanic handler (c={c})"
        detail_rps = Figure(
            f"cached film detail (c={c})", b.rps, "req/s", a.rps, bare, ">= 60%", b.rps >= 0.6 * a.rps
        )
        detail_p99 = Figure(
            f"cached film detail p99 (c={c})", b.p99_ms, "ms", a.p99_ms, bare, "<= 10 ms", b.p99_ms <= 10
        )
        listing_rps = Figure(f"cached film list of 50 (c={c})", listed.rps, "req/s", a.rps, bare)
        search_p50 = Figure(
            f"uncached search via the API p50, {args.films:,} films (c=1)", d_api.p50_ms, "ms",
            d_es.p50_ms, "same search straight to Elasticsearch", "<= baseline + 2 ms",
            d_api.p50_ms <= d_es.p50_ms + 2,
        )  # fmt: skip
        suggest_p50 = Figure(
            f"uncached suggestion via the API p50, {args.films:,} films (wrk, c=1)", e_wrk.p50_ms, "ms",
            e_es_wrk.p50_ms, "the same _msearch straight to Elasticsearch", "<= 5 ms", e_wrk.p50_ms <= 5,
        )  # fmt: skip
        save(args.json, "api", [detail_rps, detail_p99, listing_rps, search_p50, suggest_p50])


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "baseline":
        options = argparse.ArgumentParser()
        options.add_argument("mode")
        options.add_argument("--port", type=int, required=True)
        options.add_argument("--workers", type=int, default=1)
        parsed = options.parse_args()
        serve_baseline(parsed.port, parsed.workers)
    else:
        main()
