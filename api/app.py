"""The app factory: configuration, blueprints, error mapping, and the clients' lifecycle."""

from __future__ import annotations

import gc
import json as stdlib_json
import logging

import orjson
from sanic import HTTPResponse, Request, Sanic, json
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

import request_ids
import service_metrics
from api.context import ApiApp, ApiContext
from api.repositories import films as film_repositories
from api.repositories import genres as genre_repositories
from api.repositories import persons as person_repositories
from api.repositories import suggestions as suggestion_repositories
from api.repositories.cache import CachedRepository, ResponseCache
from api.repositories.elastic import ElasticIndex
from api.repositories.es_client import create_client
from api.repositories.films import ElasticFilmRepository, FilmRepository
from api.repositories.genres import ElasticGenreRepository, GenreRepository
from api.repositories.persons import ElasticPersonRepository, PersonRepository
from api.repositories.redis_link import RedisLink
from api.repositories.suggestions import ElasticSuggestionRepository, SuggestionRepository
from api.routes.conditional import document_entity_tags
from api.routes.films import films
from api.routes.genres import genres
from api.routes.health import health
from api.routes.persons import persons
from api.routes.suggestions import suggestions
from api.services.films import FilmService
from api.services.genres import GenreService
from api.services.health import HealthService
from api.services.persons import PersonService
from api.services.suggestions import SuggestionService
from api.settings import Settings
from es_mappings import GENRES, MOVIES, PERSONS
from http_errors import ErrorBody, install_error_handlers
from openapi30 import document_size_limits

log = logging.getLogger(__name__)

APP_NAME = "cinema_api"
# Prometheus scrapes the service here; the public gateway refuses it unless configured.
METRICS_PATH = "/api/metrics"


def configure_logging(settings: Settings) -> None:
    """The log format and level; called by every worker, since workers are fresh processes.

    Elasticsearch's client logs every request it sends at INFO: one line per API request (and
    the formatting on the hot path) for nothing that the access log does not say. Those lines
    stay for API_LOG_LEVEL=DEBUG; failed requests are logged at WARNING either way.
    """
    request_ids.configure_logging(settings.log_level, settings.log_format)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)


def create_app(settings: Settings | None = None) -> ApiApp:
    # `sanic api.app:create_app --factory` calls the factory with its own argument namespace.
    if not isinstance(settings, Settings):
        settings = Settings()  # type: ignore[call-arg]  # the required fields come from the environment
    configure_logging(settings)
    # Sanic's loggers go through the root handler of configure_logging (request ids, JSON).
    app = Sanic(APP_NAME, ctx=ApiContext(settings), dumps=orjson.dumps, configure_logging=False)
    request_ids.install(app)
    service_metrics.install(app, METRICS_PATH)
    app.config.update(
        {
            "ACCESS_LOG": settings.access_log,
            # Swagger UI at /api/openapi; sanic-ext leaves routes under its own prefix out of the
            # schema, so the prefix cannot be /api and /api/openapi.json is served below.
            "OAS_URL_PREFIX": "/api/openapi",
            "OAS_UI_REDOC": False,
            "OAS_UI_DEFAULT": "swagger",
            # A read-only JSON API for other back ends: no CORS work on every response.
            "CORS": False,
        }
    )
    # OpenAPI and the automatic HEAD/OPTIONS only: dependency injection (unused here) would run a
    # signal on every request.
    app.extend(extensions=[OpenAPIExtension, HTTPExtension], built_in_extensions=False)
    app.ext.openapi.describe(
        "Cinema content API", version="1.0.0", description="Films, genres and people from the catalogue."
    )
    for blueprint in (films, genres, persons, suggestions, health):
        app.blueprint(blueprint)
    document_size_limits(app, ErrorBody)
    document_entity_tags(app)
    app.add_route(_openapi_schema, "/api/openapi.json", name="openapi_schema")
    install_error_handlers(app, log)
    app.register_listener(_open_clients, "before_server_start")
    app.register_listener(_freeze_startup_objects, "after_server_start")
    app.register_listener(_close_clients, "after_server_stop")
    return app


async def _open_clients(app: ApiApp) -> None:
    """One Elasticsearch and one Redis client per worker, shared by every request."""
    ctx = app.ctx
    settings = ctx.settings
    es = create_client(settings)
    redis = RedisLink(settings.redis_url, timeout=settings.redis_timeout)
    cache = ResponseCache(redis, settings.index_prefix, settings.cache_ttl)
    prefix = settings.index_prefix
    ctx.es, ctx.redis, ctx.cache = es, redis, cache
    # Typed by their interfaces: the cached wrappers stand in for them, not for the ES classes.
    film_repository: FilmRepository = ElasticFilmRepository(ElasticIndex(es, MOVIES, prefix))
    genre_repository: GenreRepository = ElasticGenreRepository(ElasticIndex(es, GENRES, prefix))
    person_repository: PersonRepository = ElasticPersonRepository(ElasticIndex(es, PERSONS, prefix))
    ctx.films = FilmService(
        CachedRepository(film_repository, cache, MOVIES, film_repositories.CACHE_OPERATIONS).as_repository()
    )
    ctx.genres = GenreService(
        CachedRepository(genre_repository, cache, GENRES, genre_repositories.CACHE_OPERATIONS).as_repository()
    )
    ctx.persons = PersonService(
        CachedRepository(
            person_repository, cache, PERSONS, person_repositories.CACHE_OPERATIONS
        ).as_repository()
    )
    suggestion_repository: SuggestionRepository = ElasticSuggestionRepository(es, prefix)
    ctx.suggestions = SuggestionService(
        CachedRepository(
            suggestion_repository,
            cache,
            suggestion_repositories.INDICES,
            suggestion_repositories.CACHE_OPERATIONS,
        ).as_repository()
    )
    ctx.health = HealthService(es, redis, timeout=max(settings.redis_timeout, 1.0))


async def _freeze_startup_objects(app: ApiApp) -> None:
    """Move everything loaded at start-up out of the garbage collector's sight: full collections
    then walk only per-request objects, which keeps them from showing up as tail latency."""
    gc.collect()
    gc.freeze()


async def _close_clients(app: ApiApp) -> None:
    await app.ctx.es.close()
    await app.ctx.redis.close()


async def _openapi_schema(request: Request) -> HTTPResponse:
    # The schema has integer keys (status codes), which orjson refuses; the stdlib accepts them.
    document = SpecificationBuilder().build(request.app).serialize()  # type: ignore[no-untyped-call]
    return json(document, dumps=stdlib_json.dumps)
