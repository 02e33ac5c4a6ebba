"""`/api/v1/persons`: the search, one person and a person's films."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse
from sanic_ext import openapi

from api.context import ApiRequest
from api.models.film import FilmShort
from api.models.person import Person
from api.models.query import PageQuery, SearchQuery, parse_id
from api.routes.conditional import conditional
from api.routes.params import path_id, query_params
from api.routes.responses import model_response, page_response
from openapi30 import json_content

persons = Blueprint("persons", url_prefix="/api/v1/persons", strict_slashes=False)


@persons.get("/search")
@openapi.summary("People whose name matches a text query, most relevant first")
@openapi.response(200, json_content(list[Person]))
@query_params(SearchQuery)
@conditional
async def person_search(request: ApiRequest, query: SearchQuery) -> HTTPResponse:
    page = await request.app.ctx.persons.search(query)
    return page_response(request, page, query)


@persons.get("/<person_id:str>")
@openapi.summary("One person with their films and roles")
@openapi.response(200, json_content(Person))
@path_id("person_id")
@conditional
async def person_detail(request: ApiRequest, person_id: str) -> HTTPResponse:
    person = await request.app.ctx.persons.person(parse_id("person_id", person_id))
    return model_response(request, person)


# `/films` is the spelling existing clients use.
@persons.get("/<person_id:str>/film", name="person_films")
@persons.get("/<person_id:str>/films", name="person_films_alias")
@openapi.summary("A person's films")
@openapi.response(200, json_content(list[FilmShort]))
@path_id("person_id")
@query_params(PageQuery)
@conditional
async def person_films(request: ApiRequest, person_id: str, query: PageQuery) -> HTTPResponse:
    page = await request.app.ctx.persons.films(parse_id("person_id", person_id), query)
    return page_response(request, page, query)
