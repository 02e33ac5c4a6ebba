"""The Airflow triggerer's side of freshness: an event trigger on the journal's NOTIFY.

The one module of `cinema_etl` that needs Airflow (the triggerer imports it by its class path;
nothing else in the package imports it). Every catalogue statement's journal trigger sends
`NOTIFY cinema_etl_journal` (`journal.CHANNEL`), which Postgres delivers at commit.
`JournalNotifyTrigger` LISTENs on a connection of its own and yields one `TriggerEvent` per
burst of notifications (those arriving within `quiet_seconds` of the first), so the
`AssetWatcher` of the ETL DAGs' asset starts their runs within about a second of the commit.
Events come at most every `min_interval_seconds` (what follows sooner is gathered into the next
one): Airflow queues a DAG run per asset event whatever `max_active_runs` says, and a run takes
a few seconds, so under a steady stream of commits unthrottled events would queue runs faster
than they finish.
On (re)connecting it yields one event at once: a commit made while it was not listening is not
lost (and the DAGs' cron schedule stays as a safety net for anything else).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from airflow.sdk import Connection
from airflow.triggers.base import BaseEventTrigger, TriggerEvent
from psycopg import sql

from cinema_etl import journal

log = logging.getLogger(__name__)


def _libpq_uri(uri: str) -> str:
    return uri.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)


class JournalNotifyTrigger(BaseEventTrigger):  # type: ignore[misc]  # Any where Airflow is absent
    """Yields an event whenever the catalogue's journal has new committed changes."""

    def __init__(
        self,
        conn_id: str = "catalogue_db",
        channel: str = journal.CHANNEL,
        quiet_seconds: float = 0.2,
        min_interval_seconds: float = 5.0,
        reconnect_seconds: float = 5.0,
    ) -> None:
        super().__init__()
        self.conn_id, self.channel = conn_id, channel
        self.quiet_seconds, self.min_interval_seconds = quiet_seconds, min_interval_seconds
        self.reconnect_seconds = reconnect_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "conn_id": self.conn_id,
                "channel": self.channel,
                "quiet_seconds": self.quiet_seconds,
                "min_interval_seconds": self.min_interval_seconds,
                "reconnect_seconds": self.reconnect_seconds,
            },
        )

    async def _dsn(self) -> str:
        connection = await Connection.async_get(self.conn_id)
        return _libpq_uri(str(connection.get_uri()))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(await self._dsn(), autocommit=True) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
                    yield self._event(["(listening)"])
                    async for tables in self._bursts(conn):
                        yield self._event(tables)
            except (psycopg.Error, OSError) as error:
                log.warning("journal watch: %s; reconnecting in %.0f s", error, self.reconnect_seconds)
                await asyncio.sleep(self.reconnect_seconds)

    async def _bursts(self, conn: psycopg.AsyncConnection[Any]) -> AsyncIterator[list[str]]:
        """The tables named by each burst of notifications, at most one every min_interval_seconds."""
        loop = asyncio.get_running_loop()
        last = loop.time()  # the (listening) event
        while True:
            tables: set[str] = set()
            async for notify in conn.notifies(stop_after=1):
                tables.add(notify.payload)
            # Gather what follows closely (several statements, several writers), and what comes
            # until the interval since the last event is over.
            wait = max(self.quiet_seconds, last + self.min_interval_seconds - loop.time())
            async for notify in conn.notifies(timeout=wait):
                tables.add(notify.payload)
            last = loop.time()
            yield sorted(tables)

    def _event(self, tables: list[str]) -> TriggerEvent:
        return TriggerEvent({"tables": tables, "at": datetime.now(UTC).isoformat()})
