"""Compose files pass the compose-schema linter; every Dockerfile passes hadolint."""

from __future__ import annotations

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
