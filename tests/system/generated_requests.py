"""Schemathesis driven from Python: every operation of an OpenAPI document, with valid and with
invalid generated input, each answer checked against the document, every request counted.

The pytest plugin would make one test per operation; one loop here keeps the count per service
(the issue asks for at least 1,000 requests each) and lets one operation's failure not hide the
others'. Shrinking is left out: a failure is reported with the request that caused it, and a
minimal example is not worth minutes of replays against a live service.

Each batch (an operation, a mode, with or without known ids) runs under its own hypothesis seed,
derived from the run's seed and the batch's label: the same run seed generates the same requests
again, batch by batch, and a batch added or changed leaves the others' requests as they were.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devtools.processes import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
START_TIMEOUT = 180  # ready, not just started: Elasticsearch may be restarting after a fault test

SEED_VARIABLE = "GENERATED_INPUT_SEED"

Headers = Callable[[Any], dict[str, str]]


def run_seed() -> int:
    """The run's seed: GENERATED_INPUT_SEED when set (to replay a run), else a fresh random one."""
    value = os.environ.get(SEED_VARIABLE, "").strip()
    if not value:
        return secrets.randbits(32)
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE} must be an integer, not {value!r}") from None


def batch_seed(seed: int, label: str) -> int:
    """One batch's hypothesis seed: stable for a run seed and a label, independent of the others."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{label}".encode()).digest()[:8], "big")


@dataclass
class Tally:
    """What was sent and what went wrong, for one service, under one run seed."""

    seed: int
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def replay(self) -> str:
        return f"{SEED_VARIABLE}={self.seed}"

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return f"{self.requests} generated requests ({statuses}); seed {self.seed} (replay: {self.replay})"


@dataclass
class Run:
    """One batch of generated cases for an operation: a mode and optionally fixed path values."""

    mode: GenerationMode
    examples: int
    path_parameters: dict[str, Any] | None = None


def fuzz(
    schema_url: str,
    base_url: str,
    runs_for: Callable[[Any], list[Run]],
    headers_for: Headers,
    seed: int,
) -> Tally:
    """Generate, send and check requests for every operation of the document at `schema_url`."""
    schema = schemathesis.openapi.from_url(schema_url, timeout=30)
    tally = Tally(seed)
    session = requests.Session()
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the document itself is broken there
            tally.failures.append(f"unusable operation: {result.err()}")
            continue
        operation = result.ok()
        for run in runs_for(operation):
            if run.mode is GenerationMode.NEGATIVE and not _has_input(operation):
                continue  # nothing to make invalid
            _run(operation, run, base_url, session, headers_for, tally)
    session.close()
    return tally


def _has_input(operation: Any) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(operation.body)


def _run(
    operation: Any,
    run: Run,
    base_url: str,
    session: requests.Session,
    headers_for: Headers,
    tally: Tally,
) -> None:
    strategy = operation.as_strategy(generation_mode=run.mode, path_parameters=run.path_parameters)
    label = f"{operation.label} [{run.mode.value}{' with known ids' if run.path_parameters else ''}]"
    batch = batch_seed(tally.seed, label)

    @hypothesis.seed(batch)
    @given(case=strategy)
    @settings(
        max_examples=run.examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def send(case: Any) -> None:
        headers = headers_for(operation)
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        tally.per_operation[operation.label] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        send()
    except Unsatisfiable:
        # Only a security requirement to break, and the run keeps its Authorization header.
        pass
    except (Exception, BaseExceptionGroup) as error:
        tally.failures.append(f"{label} (hypothesis seed {batch}, {tally.replay}):\n{error}")


class ModuleProcess(ServiceProcess):
    """`python -m <module> [args]` on a spare port (`<MODULE>_HOST`/`<MODULE>_PORT`), logging to a file."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], log_path: Path, health: str):
        self.env = env  # the settings it was given, for commands run against the same service
        port = free_port()
        prefix = module.upper()
        env = {**env, f"{prefix}_HOST": "127.0.0.1", f"{prefix}_PORT": str(port)}
        super().__init__([sys.executable, "-m", module, *args], env, log_path, health, port)

    def wait_until_alive(self, timeout: float = START_TIMEOUT, any_answer: bool = False) -> None:
        super().wait_until_alive(timeout, any_answer)
