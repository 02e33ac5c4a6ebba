"""The catalogue generator: same seed, same rows; a large catalogue in flat memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from catalogue.generator import CatalogueSize, load

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("film_work", "genre", "person", "genre_film_work", "person_film_work")


def fingerprint(dsn: str) -> dict[str, str]:
    """An order-independent digest of every row of every catalogue table."""
    with psycopg.connect(dsn) as conn:
        return {
            table: conn.execute(
                f"SELECT md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) FROM content.{table} t"
            ).fetchone()[0]
            for table in TABLES
        }


def generate(dsn: str, seed: int, films: int) -> None:
    from catalogue import SCHEMA_SQL

    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        load(conn, seed=seed, size=CatalogueSize(films=films))


def test_same_seed_gives_the_same_rows(scratch_database):
    first, second, other = scratch_database(), scratch_database(), scratch_database()
    generate(first, seed=7, films=300)
    generate(second, seed=7, films=300)
    generate(other, seed=8, films=300)
    assert fingerprint(first) == fingerprint(second)
    differing = [t for t, digest in fingerprint(other).items() if digest != fingerprint(first)[t]]
    assert set(differing) == set(TABLES)


def test_batch_size_does_not_change_the_rows(scratch_database):
    small, large = scratch_database(), scratch_database()
    for dsn, batch in ((small, 37), (large, 5000)):
        with psycopg.connect(dsn) as conn:
            from catalogue import SCHEMA_SQL

            conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
            load(conn, seed=3, size=CatalogueSize(films=200), batch_size=batch)
    assert fingerprint(small) == fingerprint(large)


def peak_rss_mib(dsn: str, films: int) -> tuple[float, dict[str, int]]:
    """Run the generator's command line in a child process; its peak RSS and row counts."""
    probe = (
        "import resource, runpy, sys\n"
        "sys.argv = ['catalogue'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('catalogue', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "generate", "--films", str(films), "--dsn", dsn],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stderr.strip().splitlines()[-1]), json.loads(done.stdout)


@pytest.mark.slow
def test_hundred_thousand_films_in_flat_memory(scratch_database):
    small_rss, _ = peak_rss_mib(scratch_database(), 10_000)
    large_rss, large_counts = peak_rss_mib(scratch_database(), 100_000)
    assert large_counts["film_work"] == 100_000
    assert large_counts["person"] == CatalogueSize(films=100_000).persons
    assert large_counts["person_film_work"] > 5 * large_counts["film_work"]
    # Ten times the rows may not cost ten times the memory: the growth stays within a few MiB.
    assert large_rss - small_rss < 16, (small_rss, large_rss)
    # psycopg's COPY queue holds up to a few tens of MiB while a busy server catches up.
    assert large_rss < 300, large_rss
