"""`/api/v1/genres`: the list and one genre."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse
from sanic_ext import openapi

from api.context import ApiRequest
from api.models.genre import Genre
from api.models.query import CursorQuery, parse_id
from api.routes.conditional import conditional
from api.routes.params import path_id, query_params
from api.routes.responses import model_response, page_response
from openapi30 import json_content

genres = Blueprint("genres", url_prefix="/api/v1/genres", strict_slashes=False)


@genres.get("/")
@openapi.summary("Genres by name")
@openapi.response(200, json_content(list[Genre]))
@query_params(CursorQuery)
@conditional
async def genre_list(request: ApiRequest, query: CursorQuery) -> HTTPResponse:
    page = await request.app.ctx.genres.genres(query)
    return page_response(request, page, query)


@genres.get("/<genre_id:str>")
@openapi.summary("One genre")
@openapi.response(200, json_content(Genre))
@path_id("genre_id")
@conditional
async def genre_detail(request: ApiRequest, genre_id: str) -> HTTPResponse:
    genre = await request.app.ctx.genres.genre(parse_id("genre_id", genre_id))
    return model_response(request, genre)
