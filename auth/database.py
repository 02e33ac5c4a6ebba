"""The Tortoise configuration and the aerich migrations that shape the auth database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from aerich import Command
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url

from auth.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works: it only keeps two processes from migrating the same database at once.
_MIGRATION_LOCK = 0x61757468


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """The config both the service and aerich use, so they always see the same models."""
    connection = expand_db_url(settings.database_url)
    connection["credentials"].update(minsize=1, maxsize=settings.database_pool_size)
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": ["auth.models", "aerich.models"], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


@asynccontextmanager
async def orm(settings: Settings) -> AsyncIterator[None]:
    """Tortoise for one command-line run (the service uses ``register_tortoise``)."""
    await Tortoise.init(config=tortoise_config(settings))
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def migrate(settings: Settings) -> list[str]:
    """Apply the committed migrations that the database has not seen yet; returns their names."""
    config = tortoise_config(settings)
    credentials = config["connections"]["default"]["credentials"]
    # The lock lives on a connection of its own: pooled connections drop advisory locks on release.
    lock = await asyncpg.connect(
        **{key: credentials[key] for key in ("host", "port", "user", "password", "database")}
    )
    try:
        await lock.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        command = Command(tortoise_config=config, app="models", location=str(MIGRATIONS))
        try:
            await command.init()
            return await command.upgrade(run_in_transaction=True)
        finally:
            await Tortoise.close_connections()
    finally:
        await lock.close()
