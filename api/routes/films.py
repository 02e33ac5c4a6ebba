"""`/api/v1/films`: the list, the search and one film."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse
from sanic_ext import openapi

from api.context import ApiRequest
from api.models.facets import Facets
from api.models.film import Film, FilmShort
from api.models.query import FacetQuery, FilmListQuery, FilmSearchQuery, parse_id
from api.routes.conditional import conditional
from api.routes.params import path_id, query_params
from api.routes.responses import model_response, page_response
from openapi30 import json_content

films = Blueprint("films", url_prefix="/api/v1/films", strict_slashes=False)


@films.get("/")
@openapi.summary("Films, sorted and optionally filtered by genre")
@openapi.response(200, json_content(list[FilmShort]))
@query_params(FilmListQuery)
@conditional
async def film_list(request: ApiRequest, query: FilmListQuery) -> HTTPResponse:
    page = await request.app.ctx.films.films(query)
    return page_response(request, page, query)


@films.get("/search")
@openapi.summary("Films matching a text query, most relevant first")
@openapi.response(200, json_content(list[FilmShort]))
@query_params(FilmSearchQuery)
@conditional
async def film_search(request: ApiRequest, query: FilmSearchQuery) -> HTTPResponse:
    page = await request.app.ctx.films.search(query)
    return page_response(request, page, query)


@films.get("/facets")
@openapi.summary("Counts of films by genre, decade, rating band and type, each facet without its own filter")
@openapi.response(200, json_content(Facets))
@query_params(FacetQuery)
@conditional
async def film_facets(request: ApiRequest, query: FacetQuery) -> HTTPResponse:
    return model_response(request, await request.app.ctx.films.facets(query))


@films.get("/<film_id:str>")
@openapi.summary("One film with its genres and people")
@openapi.response(200, json_content(Film))
@path_id("film_id")
@conditional
async def film_detail(request: ApiRequest, film_id: str) -> HTTPResponse:
    film = await request.app.ctx.films.film(parse_id("film_id", film_id))
    return model_response(request, film)
