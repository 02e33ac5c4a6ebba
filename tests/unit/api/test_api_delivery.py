"""The compose test setup stays in step with the main compose file, and the gateway's one template
routes both services."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _services(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))["services"]


def test_test_stack_uses_the_pinned_images():
    main, test = _services("docker-compose.yml"), _services("docker-compose.test.yml")
    for name in ("redis", "elasticsearch"):
        assert test[name]["image"] == main[name]["image"], name
    assert test["api"]["build"] == main["api"]["build"]


def test_tests_container_waits_for_a_healthy_api():
    test = _services("docker-compose.test.yml")
    assert test["tests"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert "tests/functional/api" in test["tests"]["command"]


def test_gateway_template_routes_api_and_auth():
    template = (ROOT / "deploy/nginx/templates/default.conf.template").read_text(encoding="utf-8")
    assert "location /api/" in template
    assert "location /auth/" in template
    gateway = _services("docker-compose.yml")["gateway"]
    assert "./deploy/nginx/templates:/etc/nginx/templates:ro" in gateway["volumes"]
    assert gateway["environment"]["API_UPSTREAM"] == "api:8000"
    assert gateway["environment"]["AUTH_UPSTREAM"] == "auth:8001"
