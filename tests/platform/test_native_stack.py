"""The native stack: a second `make up` starts nothing, and it runs the compose file's versions."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def compose_tag(image: str) -> str:
    match = re.search(rf"^\s*image:\s*{re.escape(image)}:(\S+)$", COMPOSE, re.MULTILINE)
    assert match, f"no {image} image in docker-compose.yml"
    return match.group(1)


def test_second_up_starts_nothing():
    done = subprocess.run(
        ["make", "--no-print-directory", "up"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "everything is already running" in done.stderr
    assert "starting" not in done.stderr
    assert re.search(r"^\s+postgres\s+up\b", done.stdout, re.MULTILINE)


def test_status_reports_every_service_up():
    done = subprocess.run(
        ["make", "--no-print-directory", "status"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for service in ("postgres", "redis", "redis_auth", "elasticsearch"):
        assert re.search(rf"^\s+{service}\s+up\b", done.stdout, re.MULTILINE), done.stdout


def test_elasticsearch_is_the_compose_version(stack):
    nodes = httpx.get(f"{stack.es_url}/_nodes/_local", timeout=10).json()["nodes"]
    (node,) = nodes.values()
    assert node["version"] == compose_tag("docker.elastic.co/elasticsearch/elasticsearch")
    heap = node["jvm"]["mem"]["heap_max_in_bytes"]
    assert 512 * 2**20 <= heap <= 8 * 2**30


def test_elasticsearch_runs_as_an_unprivileged_user(stack):
    nodes = httpx.get(f"{stack.es_url}/_nodes/_local/process", timeout=10).json()["nodes"]
    (node,) = nodes.values()
    owner = Path(f"/proc/{node['process']['id']}").stat().st_uid
    assert owner != 0


def test_postgres_is_the_compose_major_version(stack):
    with psycopg.connect(stack.pg_dsn("postgres")) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    assert version.split(".")[0] == compose_tag("postgres").split(".")[0]


def test_redis_is_the_compose_version(stack):
    info = redis.Redis.from_url(stack.redis_url()).info("server")
    assert info["redis_version"].startswith(compose_tag("redis").rsplit(".", 1)[0])


AUTH_URL = "http://127.0.0.1:8001/auth/api/v1"


def test_auth_redis_never_evicts(stack):
    client = redis.Redis.from_url(stack.auth_redis_url())
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert stack.auth_redis_port != stack.redis_port


def test_auth_keeps_its_keys_in_its_own_redis(stack):
    """A failed login is counted by the live auth service in auth's Redis, not the cache's."""
    auth_redis = redis.Redis.from_url(stack.auth_redis_url(), decode_responses=True)
    cache_redis = redis.Redis.from_url(stack.redis_url(1), decode_responses=True)
    pattern = "auth:throttle:login:count:account:*"
    before = set(auth_redis.scan_iter(pattern))
    login = f"probe-{uuid.uuid4().hex}"
    answer = httpx.post(
        f"{AUTH_URL}/login", json={"login": login, "password": "not the password"}, timeout=10
    )
    assert answer.status_code == 401, answer.text
    new = set(auth_redis.scan_iter(pattern)) - before
    assert new, "the failed login left no throttle counter in auth's Redis"
    assert not any(cache_redis.exists(key) for key in new)


def test_compose_and_native_run_auth_redis_from_one_config_file():
    conf = "deploy/redis/redis-auth.conf"
    assert re.search(
        rf"^\s+- \./{re.escape(conf)}:/usr/local/etc/redis/redis\.conf:ro$", COMPOSE, re.MULTILINE
    )
    assert re.search(r"^\s+AUTH_REDIS_URL: redis://redis-auth:6379/0$", COMPOSE, re.MULTILINE)
    native = (ROOT / "deploy/native/services/redis_auth.sh").read_text(encoding="utf-8")
    copies = r"^redis_auth_prepare\(\) \{ redis_copy_config \S+ redis-auth\.conf; \}$"
    assert re.search(copies, native, re.MULTILINE)
    assert "maxmemory-policy noeviction" in (ROOT / conf).read_text(encoding="utf-8").splitlines()


def _stack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "deploy/native/stack.sh", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_up_names_a_foreign_process_on_a_service_port():
    """Another checkout's stack (or any process) on a service's port would answer the health check
    for it: `up` must refuse and name the process, not report the service up."""
    assert _stack("down", "gateway").returncode == 0
    squatter = socket.socket()
    try:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", 80))
        squatter.listen()
        refused = _stack("up", "gateway")
        assert refused.returncode != 0, refused.stdout + refused.stderr
        assert f"port 80 is already taken by pid {os.getpid()}" in refused.stderr, refused.stderr
        assert "make down" in refused.stderr
    finally:
        squatter.close()
        started = _stack("up", "gateway")
    assert started.returncode == 0, started.stdout + started.stderr
    assert httpx.get("http://127.0.0.1:80/gateway/health", timeout=10).status_code == 200
