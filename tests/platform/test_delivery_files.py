"""Compose files pass the compose-schema linter; every Dockerfile passes hadolint; healthchecks and
the gateway's forwarding are checked against what they must say."""

from __future__ import annotations

import ast
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = sorted(ROOT.glob("docker-compose*.yml"))
DOCKERFILES = sorted(
    p for p in ROOT.rglob("Dockerfile*") if ".state" not in p.parts and "node_modules" not in p.parts
)


def test_there_is_a_compose_file():
    assert ROOT / "docker-compose.yml" in COMPOSE_FILES


@pytest.mark.parametrize("compose_file", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_file_passes_dclint(compose_file):
    dclint = shutil.which("dclint") or shutil.which(
        "dclint", path=str(ROOT / ".state/node/node_modules/.bin")
    )
    assert dclint, "dclint is installed by `make test` (requirements/node)"
    done = subprocess.run([dclint, str(compose_file)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "problem" not in done.stdout, done.stdout


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfile_passes_hadolint(dockerfile):
    done = subprocess.run(
        ["hadolint", str(dockerfile)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_mounts_only_files_that_exist():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
        build = service.get("build")
        if build:
            context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            assert (context / dockerfile).exists(), f"{name} builds from a missing Dockerfile"


def _first_party_imports(package: str, first_party: set[str]) -> set[str]:
    """Top-level first-party packages that the modules of `package` import (absolute imports)."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {name.split(".")[0] for name in names} & first_party
    return found


def _copied_paths(dockerfile: Path) -> set[str]:
    """The top-level repository paths a Dockerfile copies from the build context."""
    copied = set()
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or words[0] != "COPY" or any(w.startswith("--from") for w in words):
            continue
        sources = [w for w in words[1:-1] if not w.startswith("--")]
        copied |= {source.strip("/").split("/")[0] for source in sources}
    return copied


@pytest.mark.parametrize("service", ["api", "auth"])
def test_service_image_copies_every_package_the_service_imports(service):
    """The images cannot be built here, so what they would miss at import time is checked statically."""
    first_party = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    needed, todo = {service}, [service]
    while todo:
        for package in _first_party_imports(todo.pop(), first_party) - needed:
            needed.add(package)
            todo.append(package)
    missing = needed - _copied_paths(ROOT / service / "Dockerfile")
    assert not missing, f"{service}/Dockerfile does not copy {sorted(missing)}, which {service} imports"


def _healthchecks() -> list[tuple[str, str, str]]:
    found = []
    for compose_file in COMPOSE_FILES:
        services = yaml.safe_load(compose_file.read_text(encoding="utf-8"))["services"]
        for name, service in services.items():
            if "healthcheck" in service:
                found.append((compose_file.name, name, " ".join(service["healthcheck"]["test"][1:])))
    return found


HEALTHCHECKS = _healthchecks()


@pytest.mark.parametrize(
    ("compose_file", "service", "command"), HEALTHCHECKS, ids=[f"{f}-{s}" for f, s, _ in HEALTHCHECKS]
)
def test_healthchecks_reach_their_server_over_tcp(compose_file, service, command):
    """A Unix-socket check passes while the postgres image's init server still runs with TCP closed."""
    if re.search(r"\b(pg_isready|redis-cli)\b", command):
        assert re.search(r"\s-h\s+127\.0\.0\.1\b", command), f"{compose_file} {service}: {command}"
    assert "localhost" not in command, f"{compose_file} {service}: name the IPv4 address the server binds"


def test_auth_believes_x_forwarded_for_from_the_gateway_only():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    (pool,) = compose["networks"]["default"]["ipam"]["config"]
    gateway = ipaddress.ip_address(compose["services"]["gateway"]["networks"]["default"]["ipv4_address"])
    assert gateway in ipaddress.ip_network(pool["subnet"])
    assert gateway not in ipaddress.ip_network(pool["ip_range"]), "another container could be given it"
    trusted = compose["services"]["auth"]["environment"]["AUTH_TRUSTED_PROXIES"]
    assert [ipaddress.ip_network(part.strip()) for part in trusted.split(",")] == [
        ipaddress.ip_network(gateway)
    ]
    template = (ROOT / "deploy/nginx/templates/default.conf.template").read_text(encoding="utf-8")
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", template)
    assert "$proxy_add_x_forwarded_for" not in template
