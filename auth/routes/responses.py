"""JSON answers serialized from the pydantic models that document them."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sanic.response import HTTPResponse, json


def model_json(
    body: BaseModel | Sequence[BaseModel], status: int = 200, headers: dict[str, str] | None = None
) -> HTTPResponse:
    """A model, or a list of them, as the JSON the OpenAPI document promises."""
    if isinstance(body, BaseModel):
        return json(body.model_dump(mode="json"), status=status, headers=headers)
    return json([item.model_dump(mode="json") for item in body], status=status, headers=headers)
