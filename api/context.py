"""The typed `app.ctx` of the content API, and the app and request types that carry it."""

from __future__ import annotations

from types import SimpleNamespace

from elasticsearch import AsyncElasticsearch
from sanic import Request, Sanic
from sanic.config import Config

from api.repositories.cache import ResponseCache
from api.repositories.redis_link import RedisLink
from api.services.films import FilmService
from api.services.genres import GenreService
from api.services.health import HealthService
from api.services.persons import PersonService
from api.services.suggestions import SuggestionService
from api.settings import Settings


class ApiContext:
    """What a worker keeps on `app.ctx`: the settings from the factory on; the clients and the
    services from `before_server_start` on, since each worker process opens its own."""

    es: AsyncElasticsearch
    redis: RedisLink
    cache: ResponseCache
    films: FilmService
    genres: GenreService
    persons: PersonService
    suggestions: SuggestionService
    health: HealthService

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


ApiApp = Sanic[Config, ApiContext]
ApiRequest = Request[ApiApp, SimpleNamespace]
