"""Suggestion use cases."""

from __future__ import annotations

from api.models.query import SuggestQuery
from api.models.suggestion import Suggestion
from api.repositories.suggestions import SuggestionRepository


class SuggestionService:
    def __init__(self, suggestions: SuggestionRepository) -> None:
        self._suggestions = suggestions

    async def suggest(self, query: SuggestQuery) -> list[Suggestion]:
        return await self._suggestions.suggest(query)
