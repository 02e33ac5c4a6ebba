"""The content API's settings, read from `API_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from request_ids import LogFormat


class Settings(BaseSettings):
    """Everything the API reads from its environment; defaults suit the native stack."""

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, description="Sanic worker processes")
    access_log: bool = False
    log_level: str = "INFO"
    log_format: LogFormat = Field(default="text", description="text, or json: one object a line")
    metrics_dir: Path | None = Field(
        default=None,
        description="with several workers, where they keep their metrics (emptied at start); "
        "unset: a new temporary directory, removed at exit",
    )

    es_url: str = "http://127.0.0.1:9200"
    es_timeout: float = Field(default=5.0, gt=0, description="seconds per Elasticsearch request")
    index_prefix: str = Field(default="", description="prepended to index names; tests use their own")
    # Elasticsearch refuses from+size beyond index.max_result_window; checked up front to answer 422.
    max_result_window: int = Field(default=10_000, ge=1)

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_timeout: float = Field(default=0.5, gt=0, description="seconds before Redis counts as down")
    cache_ttl: int = Field(default=300, ge=0, description="seconds a response stays cached; 0 = off")

    # No default: a key everyone knows would let anyone sign cursors.
    cursor_secret: SecretStr = Field(
        min_length=16, description="the key of the cursors' HMAC; a cursor made with another is refused"
    )

    @property
    def cursor_key(self) -> bytes:
        return self.cursor_secret.get_secret_value().encode()
