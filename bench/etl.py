"""ETL benchmark (a script that prints numbers, not a test): `make bench-etl`.

On a generated catalogue (default 100,000 films) in a scratch database:

1. full load of `movies` by the ETL, in documents per second, against a baseline measured in the
   same run: bulk-indexing the same documents, prebuilt in memory, with elasticsearch-py's
   `helpers.bulk` into an identical fresh index (the target is at least 50% of the baseline);
2. an incremental run of the three indices after 100 films changed: rows read and seconds;
3. the ETL's peak memory (ru_maxrss of a child process running the full load of all three
   indices), at this size and, with `--memory-films`, at a larger one (default 1,000,000).

Scratch databases (`bench_etl_*`) and indices (`bench_etl_*`) are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "dags"):
    sys.path.insert(0, str(path))

import psycopg  # noqa: E402
from cinema_etl import extract, pipeline, transform  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

import es_mappings  # noqa: E402
from catalogue import SCHEMA_SQL  # noqa: E402
from catalogue.generator import CatalogueSize, load  # noqa: E402


def _env_dsn(dbname: str) -> str:
    return (
        f"postgresql://{os.environ['POSTGRES_USER']}:{os.environ['POSTGRES_PASSWORD']}"
        f"@127.0.0.1:{os.environ.get('POSTGRES_PORT', '5432')}/{dbname}"
    )


def create_catalogue(admin_dsn: str, films: int) -> str:
    name = f"bench_etl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_conninfo(admin_dsn, dbname=name)
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        conn.commit()
        counts = load(conn, seed=42, size=CatalogueSize(films=films))
        conn.execute("ANALYZE")
        conn.commit()
    print(f"  generated {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    return dsn


def drop_database(admin_dsn: str, dsn: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def delete_indices(es: Elasticsearch, prefix: str) -> None:
    es.indices.delete(
        index=",".join(es_mappings.index_name(n, prefix) for n in es_mappings.INDICES),
        ignore_unavailable=True,
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM belongs to the address space made at exec,
    unlike ru_maxrss, which Linux carries over from the parent that forked the child."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_run(dsn: str, es_url: str, prefix: str, names: list[str], batch_size: int) -> None:
    """Runs in a child process so that its peak memory is the ETL's alone."""
    es = Elasticsearch(es_url, request_timeout=300)
    result: dict[str, object] = {}
    with extract.connect(dsn) as conn:
        for name in names:
            started = time.perf_counter()
            report = pipeline.run_index(conn, es, None, name, prefix, batch_size)
            result[name] = {"seconds": time.perf_counter() - started, "written": report.counts.written}
    result["max_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_child(dsn: str, es_url: str, prefix: str, names: list[str], batch_size: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", dsn, "--es", es_url, "--prefix", prefix,
         "--batch-size", str(batch_size), "--indices", ",".join(names)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline(es: Elasticsearch, dsn: str, prefix: str, batch_size: int) -> tuple[int, float]:
    """Prebuild every movies document in memory, then time helpers.bulk alone into a fresh index."""
    documents = []
    with extract.connect(dsn) as conn:
        bound = extract.safe_bound(conn)
        for ids, _ in extract.changed_pages(conn, "film_work", pipeline.state.Watermark(), bound, batch_size):
            documents.extend(transform.film_document(*row) for row in extract.film_rows(conn, ids))
    index = es_mappings.index_name(es_mappings.MOVIES, prefix)
    body = es_mappings.index_body(es_mappings.MOVIES)
    es.indices.create(index=index, settings=body["settings"], mappings=body["mappings"])
    started = time.perf_counter()
    helpers.bulk(
        es, ({"_index": index, "_id": d["id"], "_source": d} for d in documents), chunk_size=batch_size,
        max_chunk_bytes=20 * 1024 * 1024,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    es.indices.delete(index=index)
    return len(documents), seconds


def incremental(es: Elasticsearch, dsn: str, prefix: str, batch_size: int, changes: int) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "UPDATE content.film_work SET title = title || ' (director''s cut)', modified = now()"
            " WHERE id IN (SELECT id FROM content.film_work ORDER BY random() LIMIT %s)",
            (changes,),
        )
    with extract.connect(dsn) as conn:
        for name in es_mappings.INDICES:
            started = time.perf_counter()
            report = pipeline.run_index(conn, es, None, name, prefix, batch_size)
            seconds = time.perf_counter() - started
            print(f"  {name:8} {seconds:6.3f} s  {report.summary()}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--films", type=int, default=100_000)
    parser.add_argument("--memory-films", type=int, default=1_000_000, help="0 skips the large memory run")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--es", default=f"http://127.0.0.1:{os.environ.get('ES_PORT', '9200')}")
    parser.add_argument("--child", metavar="DSN", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--indices", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_run(args.child, args.es, args.prefix, args.indices.split(","), args.batch_size)
        return 0

    admin_dsn = _env_dsn("postgres")
    es = Elasticsearch(args.es, request_timeout=300)
    prefix = f"bench_etl_{uuid.uuid4().hex[:6]}_"
    baseline_prefix = f"{prefix}baseline_"
    print(f"catalogue of {args.films} films", flush=True)
    dsn = create_catalogue(admin_dsn, args.films)
    try:
        count, seconds = baseline(es, dsn, baseline_prefix, args.batch_size)
        base_rate = count / seconds
        print(
            f"baseline: helpers.bulk of {count} prebuilt movies documents:"
            f" {seconds:.1f} s, {base_rate:.0f} docs/s"
        )

        full = run_child(dsn, args.es, prefix, list(es_mappings.INDICES), args.batch_size)
        movies = full["movies"]
        rate = movies["written"] / movies["seconds"]
        print(
            f"ETL full load of movies: {movies['written']} docs in {movies['seconds']:.1f} s,"
            f" {rate:.0f} docs/s"
            f" = {100 * rate / base_rate:.0f}% of the baseline (target >= 50%)"
        )
        for name in ("genres", "persons"):
            print(f"ETL full load of {name}: {full[name]['written']} docs in {full[name]['seconds']:.1f} s")
        print(
            f"ETL peak memory, full load of the three indices at {args.films} films:"
            f" {full['max_rss_mb']:.0f} MB"
        )

        print(f"incremental run after {args.changes} films changed:")
        incremental(es, dsn, prefix, args.batch_size, args.changes)
    finally:
        delete_indices(es, prefix)
        delete_indices(es, baseline_prefix)
        drop_database(admin_dsn, dsn)

    if args.memory_films:
        print(f"catalogue of {args.memory_films} films (memory only)", flush=True)
        big = create_catalogue(admin_dsn, args.memory_films)
        try:
            result = run_child(big, args.es, prefix, [es_mappings.MOVIES], args.batch_size)
            print(
                f"ETL peak memory, full load of movies at {args.memory_films} films:"
                f" {result['max_rss_mb']:.0f} MB"
                f" ({result['movies']['written']} docs in {result['movies']['seconds']:.0f} s)"
            )
        finally:
            delete_indices(es, prefix)
            drop_database(admin_dsn, big)
    return 0


if __name__ == "__main__":
    sys.exit(main())
