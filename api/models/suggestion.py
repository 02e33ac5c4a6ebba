"""Suggestions as the API returns them: what a search box offers while someone types."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel

SuggestionKind = Literal["film", "person", "genre"]


class Suggestion(BaseModel):
    kind: SuggestionKind
    uuid: UUID
    label: str
