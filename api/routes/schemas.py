"""The body of every error answer of this API, as documented in the OpenAPI schema."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of this API."""

    error: str
    detail: str
    parameter: str | None = None
    dependency: str | None = None
