"""Load through the gateway: 20,000 mixed requests (content and auth) at 64 connections against
the live stack, every one answered 200. `bench/load.py` drives wrk; the latency it measures is
printed, not asserted (it depends on what else the machine is doing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 20_000
CONNECTIONS = 64
MAX_SECONDS = 300  # wrk stops here even if short of the count, and the test then fails


def test_mixed_load_through_the_gateway_has_no_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '80')}"
    figures_path = tmp_path / "load.json"
    command = [
        sys.executable, "-m", "bench.load", "--gateway", gateway, "--requests", str(REQUESTS),
        "--connections", str(CONNECTIONS), "--max-seconds", str(MAX_SECONDS), "--json", str(figures_path),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=MAX_SECONDS + 120)
    with capsys.disabled():  # the figures belong in every run's log
        print(f"\n{run.stdout}{run.stderr}")
    assert figures_path.exists(), f"bench/load.py wrote no figures (exit {run.returncode})"
    figures = json.loads(figures_path.read_text())
    assert figures["answered"] >= REQUESTS, f"only {figures['answered']} of {REQUESTS} requests were answered"
    statuses = figures["statuses"]
    assert statuses == {"200": figures["answered"]}, f"answers other than 200: {statuses}"
    assert figures["socket_errors"] == {}, f"socket errors: {figures['socket_errors']}"
    assert run.returncode == 0
