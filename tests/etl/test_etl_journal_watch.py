"""The triggerer's watcher of the journal (cinema_etl.journal_watch), run in Airflow's own venv
against a scratch catalogue: an event when it starts listening, one event per committed burst
naming the tables, none for a rolled-back transaction."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psycopg

from catalogue import SCHEMA_SQL
from catalogue.generator import CatalogueSize, load
from cinema_etl import extract, journal

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_PYTHON = ROOT / ".state" / "venvs" / "airflow" / "bin" / "python"

# Runs in the airflow venv: drives the trigger's generator as the triggerer would, makes the
# changes itself in between (so their timing is known), prints one JSON line per observation.
SCRIPT = """
import asyncio, json, sys, time
import psycopg
from cinema_etl.journal_watch import JournalNotifyTrigger

dsn = sys.argv[1]

def say(**fields):
    print(json.dumps(fields), flush=True)

async def next_event(events, seconds):
    try:
        return (await asyncio.wait_for(events.get(), seconds)).payload
    except asyncio.TimeoutError:
        return None

async def main():
    # Consumed by a task of its own, as the triggerer does: a timeout here must not cancel it.
    events = asyncio.Queue()
    async def consume():
        async for event in JournalNotifyTrigger("catalogue_db", quiet_seconds=0.2).run():
            await events.put(event)
    consumer = asyncio.create_task(consume())
    say(step="listening", event=await next_event(events, 60))
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE content.genre SET description = 'x'")
        conn.rollback()
        say(step="rolled back", event=await next_event(events, 1.5))
        conn.execute("UPDATE content.film_work SET title = 'Watched'")
        conn.execute("DELETE FROM content.genre_film_work")
        conn.commit()
        committed = time.monotonic()
        event = await next_event(events, 10)
        say(step="committed", event=event, seconds=time.monotonic() - committed)
        say(step="after the burst", event=await next_event(events, 1.0))
    consumer.cancel()

asyncio.run(main())
"""


def test_the_watcher_fires_once_per_committed_burst(scratch_database):
    dsn = scratch_database()
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        conn.commit()
        load(conn, seed=7, size=CatalogueSize(films=50))
    with extract.connect(dsn) as conn:
        journal.ensure_installed(conn)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_CONN_CATALOGUE_DB"] = dsn  # a postgresql:// URI
    done = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", SCRIPT, dsn],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = {line["step"]: line for line in map(json.loads, done.stdout.strip().splitlines())}
    assert seen["listening"]["event"]["tables"] == ["(listening)"]
    assert seen["rolled back"]["event"] is None
    assert seen["committed"]["event"]["tables"] == ["film_work", "genre_film_work"]
    assert seen["committed"]["seconds"] < 2.0
    assert seen["after the burst"]["event"] is None
