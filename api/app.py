"""The app factory: configuration, blueprints, error mapping, and the clients' lifecycle."""

from __future__ import annotations

import gc
import json as stdlib_json
import logging

import orjson
from elasticsearch import AsyncElasticsearch
from elasticsearch.serializer import OrjsonSerializer
from sanic import HTTPResponse, Request, Sanic, json
from sanic.exceptions import SanicException
from sanic_ext.extensions.http.extension import HTTPExtension
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from sanic_ext.extensions.openapi.extension import OpenAPIExtension

from api.errors import ApiError
from api.repositories.cache import ResponseCache
from api.repositories.elastic import ElasticIndex
from api.repositories.films import CachedFilmRepository, ElasticFilmRepository
from api.repositories.genres import CachedGenreRepository, ElasticGenreRepository
from api.repositories.persons import CachedPersonRepository, ElasticPersonRepository
from api.repositories.redis_link import RedisLink
from api.routes.films import films
from api.routes.genres import genres
from api.routes.health import health
from api.routes.persons import persons
from api.routes.schemas import ErrorBody
from api.services.films import FilmService
from api.services.genres import GenreService
from api.services.health import HealthService
from api.services.persons import PersonService
from api.settings import Settings
from es_mappings import GENRES, MOVIES, PERSONS
from openapi30 import document_size_limits

log = logging.getLogger(__name__)

APP_NAME = "cinema_api"


def configure_logging(settings: Settings) -> None:
    """The log format and level; called by every worker, since workers are fresh processes.

    Elasticsearch's client logs every request it sends at INFO: one line per API request (and
    the formatting on the hot path) for nothing that the access log does not say. Those lines
    stay for API_LOG_LEVEL=DEBUG; failed requests are logged at WARNING either way.
    """
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)


def create_app(settings: Settings | None = None) -> Sanic:
    # `sanic api.app:create_app --factory` calls the factory with its own argument namespace.
    if not isinstance(settings, Settings):
        settings = Settings()
    configure_logging(settings)
    app = Sanic(APP_NAME, dumps=orjson.dumps)
    app.config.update(
        {
            "ACCESS_LOG": settings.access_log,
            "FALLBACK_ERROR_FORMAT": "json",
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
    app.ctx.settings = settings
    for blueprint in (films, genres, persons, health):
        app.blueprint(blueprint)
    document_size_limits(app, ErrorBody)
    app.add_route(_openapi_schema, "/api/openapi.json", name="openapi_schema")
    app.error_handler.add(ApiError, _api_error)
    app.error_handler.add(SanicException, _sanic_error)
    app.error_handler.add(Exception, _unexpected_error)
    app.register_listener(_open_clients, "before_server_start")
    app.register_listener(_freeze_startup_objects, "after_server_start")
    app.register_listener(_close_clients, "after_server_stop")
    return app


async def _open_clients(app: Sanic) -> None:
    """One Elasticsearch and one Redis client per worker, shared by every request."""
    settings: Settings = app.ctx.settings
    # orjson for request and response bodies (the client sends the compatibility media type too).
    serializer = OrjsonSerializer()
    es = AsyncElasticsearch(
        settings.es_url,
        request_timeout=settings.es_timeout,
        max_retries=1,
        retry_on_timeout=False,
        serializers={"application/json": serializer, "application/vnd.elasticsearch+json": serializer},
    )
    redis = RedisLink(settings.redis_url, timeout=settings.redis_timeout)
    cache = ResponseCache(redis, settings.index_prefix, settings.cache_ttl)
    prefix = settings.index_prefix
    app.ctx.es, app.ctx.redis = es, redis
    app.ctx.films = FilmService(
        CachedFilmRepository(ElasticFilmRepository(ElasticIndex(es, MOVIES, prefix)), cache)
    )
    app.ctx.genres = GenreService(
        CachedGenreRepository(ElasticGenreRepository(ElasticIndex(es, GENRES, prefix)), cache)
    )
    app.ctx.persons = PersonService(
        CachedPersonRepository(ElasticPersonRepository(ElasticIndex(es, PERSONS, prefix)), cache)
    )
    app.ctx.health = HealthService(es, redis, timeout=max(settings.redis_timeout, 1.0))


async def _freeze_startup_objects(app: Sanic) -> None:
    """Move everything loaded at start-up out of the garbage collector's sight: full collections
    then walk only per-request objects, which keeps them from showing up as tail latency."""
    gc.collect()
    gc.freeze()


async def _close_clients(app: Sanic) -> None:
    await app.ctx.es.close()
    await app.ctx.redis.close()


async def _openapi_schema(request: Request) -> HTTPResponse:
    # The schema has integer keys (status codes), which orjson refuses; the stdlib accepts them.
    return json(SpecificationBuilder().build(request.app).serialize(), dumps=stdlib_json.dumps)


def _api_error(request: Request, error: ApiError) -> HTTPResponse:
    return json(error.payload(), status=error.status)


def _sanic_error(request: Request, error: SanicException) -> HTTPResponse:
    # Unknown paths, wrong methods and the like: Sanic's status, this API's JSON shape.
    code = type(error).__name__.lower()
    return json({"error": code, "detail": str(error)}, status=error.status_code)


def _unexpected_error(request: Request, error: Exception) -> HTTPResponse:
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return json({"error": "internal_error", "detail": "unexpected server error"}, status=500)
