"""The tree stays ruff-clean, and every package type-checks under mypy's strict flags (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy", "api", "auth"],
        "mypy -p cinema_etl -p catalogue -p es_mappings -p openapi30 -p http_errors -p devtools".split(),
        ["mypy", "dags"],
    ],
    ids=["ruff-check", "ruff-format", "mypy", "mypy-strict", "mypy-dags"],
)
def test_linter_passes(command):
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
