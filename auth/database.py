"""The Tortoise configuration and the aerich migrations that shape the auth database."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg
from aerich import Command
from tortoise import Tortoise

from auth.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works: it only keeps two processes from migrating the same database at once.
_MIGRATION_LOCK = 0x61757468


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """The config both the service and aerich use, so they always see the same models."""
    return {
        "connections": {
            "default": {
                "engine": "tortoise.backends.asyncpg",
                "credentials": _credentials(settings),
            }
        },
        "apps": {"models": {"models": ["auth.models", "aerich.models"], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


def _credentials(settings: Settings) -> dict[str, Any]:
    url = urlsplit(settings.database_url)
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
        "database": url.path.lstrip("/"),
        "minsize": 1,
        "maxsize": settings.database_pool_size,
    }


async def migrate(settings: Settings) -> list[str]:
    """Apply the committed migrations that the database has not seen yet; returns their names."""
    credentials = _credentials(settings)
    # The lock lives on a connection of its own: pooled connections drop advisory locks on release.
    lock = await asyncpg.connect(
        host=credentials["host"],
        port=credentials["port"],
        user=credentials["user"],
        password=credentials["password"],
        database=credentials["database"],
    )
    try:
        await lock.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        command = Command(tortoise_config=tortoise_config(settings), app="models", location=str(MIGRATIONS))
        try:
            await command.init()
            return await command.upgrade(run_in_transaction=True)
        finally:
            await Tortoise.close_connections()
    finally:
        await lock.close()
