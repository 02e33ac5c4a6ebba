"""Debian's wrk, the load generator of the benchmarks and the load test."""

from __future__ import annotations

import shutil


def wrk_path() -> str:
    """Where wrk is; `deploy/native/stack.sh run dev` (behind every `make test`/`make bench*`) installs it."""
    found = shutil.which("wrk")
    if not found:
        raise SystemExit(
            "wrk is not installed: run this through `make bench-...`, `make test` or "
            "`deploy/native/stack.sh run dev ...`, which install it from Debian's packages"
        )
    return found
