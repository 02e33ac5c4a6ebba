"""Where the running stack's stores listen, for the tests and the benchmarks.

Read by pydantic-settings from the environment, then from the checkout's `.env` (which `make up`
writes); the compose test setup sets the `*_HOST` variables to its services' names.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class Stack(BaseSettings):
    """Addresses and credentials of the running stack (native by default: loopback)."""

    model_config = SettingsConfigDict(env_file=ROOT / ".env", extra="ignore", frozen=True)

    pg_user: str = Field(default="cinema", validation_alias="POSTGRES_USER")
    pg_password: str = Field(default="", validation_alias="POSTGRES_PASSWORD")
    pg_port: int = Field(default=5432, validation_alias="POSTGRES_PORT")
    catalogue_db: str = Field(default="cinema", validation_alias="CATALOGUE_DB")
    redis_port: int = Field(default=6379, validation_alias="REDIS_PORT")
    auth_redis_port: int = Field(default=6380, validation_alias="AUTH_REDIS_PORT")
    es_port: int = Field(default=9200, validation_alias="ES_PORT")
    pg_host: str = Field(default="127.0.0.1", validation_alias="POSTGRES_HOST")
    redis_host: str = Field(default="127.0.0.1", validation_alias="REDIS_HOST")
    auth_redis_host: str = Field(default="127.0.0.1", validation_alias="AUTH_REDIS_HOST")
    es_host: str = Field(default="127.0.0.1", validation_alias="ES_HOST")

    def pg_dsn(self, dbname: str | None = None) -> str:
        return (
            f"postgresql://{self.pg_user}:{self.pg_password}@{self.pg_host}:{self.pg_port}/"
            f"{dbname or self.catalogue_db}"
        )

    @property
    def es_url(self) -> str:
        return f"http://{self.es_host}:{self.es_port}"

    def redis_url(self, db: int = 0) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/{db}"

    def auth_redis_url(self, db: int = 0) -> str:
        """Auth's own Redis (noeviction), apart from the content cache's."""
        return f"redis://{self.auth_redis_host}:{self.auth_redis_port}/{db}"
