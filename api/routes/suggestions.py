"""`/api/v1/suggest`: films, people and genres whose name starts like what was typed."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse
from sanic_ext import openapi

from api.context import ApiRequest
from api.models.query import SuggestQuery
from api.models.suggestion import Suggestion
from api.routes.conditional import conditional
from api.routes.params import query_params
from api.routes.responses import list_response
from openapi30 import json_content

suggestions = Blueprint("suggestions", url_prefix="/api/v1/suggest", strict_slashes=False)


@suggestions.get("/")
@openapi.summary("Suggestions for a search box: films, people and genres, prefix and typo tolerant")
@openapi.response(200, json_content(list[Suggestion]))
@query_params(SuggestQuery)
@conditional
async def suggest(request: ApiRequest, query: SuggestQuery) -> HTTPResponse:
    return list_response(await request.app.ctx.suggestions.suggest(query))
