"""Liveness and readiness, including what readiness says when a dependency is down."""

from __future__ import annotations


def test_liveness(api):
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_both_dependencies_answer(api):
    response = api.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "elasticsearch": "up", "redis": "up"}


def test_degraded_but_ready_without_redis(api_redis_down):
    response = api_redis_down.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "elasticsearch": "up", "redis": "down"}


def test_not_ready_without_elasticsearch(api_es_down):
    response = api_es_down.get("/api/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "elasticsearch": "down", "redis": "up"}


def test_openapi_schema_and_swagger_ui(api):
    schema = api.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/films",
        "/api/v1/films/search",
        "/api/v1/films/{film_id}",
        "/api/v1/genres",
        "/api/v1/genres/{genre_id}",
        "/api/v1/persons/search",
        "/api/v1/persons/{person_id}",
        "/api/v1/persons/{person_id}/film",
    ):
        assert path in paths, path
    ui = api.get("/api/openapi")
    assert ui.status_code == 200
    assert "swagger" in ui.text.lower()
