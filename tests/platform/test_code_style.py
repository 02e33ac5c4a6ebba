"""The tree stays ruff-clean, and every package type-checks under mypy's strict flags (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The packages `make lint` checks with `mypy -p`, as in the Makefile.
STRICT_PACKAGES = (
    "cinema_etl",
    "catalogue",
    "es_mappings",
    "openapi30",
    "http_errors",
    "request_ids",
    "service_metrics",
    "devtools",
)


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "api", "auth"],
        ["mypy", *(f"-p={package}" for package in STRICT_PACKAGES)],
        ["mypy", "dags"],
    ],
    ids=["ruff-check", "ruff-format", "mypy", "mypy-strict", "mypy-dags"],
)
def test_linter_passes(command):
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
