"""The triggerer's watcher of the journal (cinema_etl.journal_watch), run in Airflow's own venv
against a scratch catalogue: an event when it starts listening, one event per committed burst
naming the tables, none for a rolled-back transaction, and no more often than its interval."""

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

async def main():
    # Consumed by a task of its own, as the triggerer does: a timeout here must not cancel it.
    events = asyncio.Queue()
    async def consume():
        trigger = JournalNotifyTrigger("catalogue_db", quiet_seconds=0.2, min_interval_seconds=3.0)
        async for event in trigger.run():
            await events.put(event)
    consumer = asyncio.create_task(consume())

    async def next_event(seconds):
        try:
            return (await asyncio.wait_for(events.get(), seconds)).payload
        except asyncio.TimeoutError:
            return None

    say(step="listening", event=await next_event(60))
    listening = time.monotonic()
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE content.genre SET description = 'x'")
        conn.rollback()
        say(step="rolled back", event=await next_event(1.5))
        await asyncio.sleep(max(0, listening + 3.5 - time.monotonic()))
        conn.execute("UPDATE content.film_work SET title = 'Watched'")
        conn.execute("DELETE FROM content.genre_film_work")
        conn.commit()
        committed = time.monotonic()
        say(step="committed", event=await next_event(10), seconds=time.monotonic() - committed)
        conn.execute("UPDATE content.person SET full_name = 'Watched'")
        conn.commit()
        again = time.monotonic()
        say(step="too soon", event=await next_event(1.5))
        say(step="gathered", event=await next_event(10), seconds=time.monotonic() - again)
        say(step="after the bursts", event=await next_event(4.0))
    consumer.cancel()

asyncio.run(main())
"""


def test_the_watcher_fires_once_per_committed_burst_at_most_once_an_interval(scratch_database):
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
    # Within min_interval_seconds of the last event: held back, then sent with what it gathered.
    assert seen["too soon"]["event"] is None
    assert seen["gathered"]["event"]["tables"] == ["person"]
    assert 1.5 <= seen["gathered"]["seconds"] < 4.5
    assert seen["after the bursts"]["event"] is None
