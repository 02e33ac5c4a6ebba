"""Compose files pass the compose-schema linter; every Dockerfile passes hadolint."""

from __future__ import annotations

import ast
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
