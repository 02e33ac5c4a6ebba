"""Readiness of the native stack's services, for deploy/native/stack.sh (standard library only:
Debian's python3.11 runs it before any virtual environment exists).

    readiness.py check KIND TARGET                  exit 0 when the service answers as healthy
    readiness.py wait NAME SECONDS KIND TARGET      poll `check` until healthy or the time is up
    readiness.py free NAME KIND TARGET              exit 0 when TARGET's port has no listener (after a
                                                    short grace); else name the process holding it
    readiness.py catalogue AIRFLOW SECONDS          the Airflow start: restores when data is missing,
                                                    then wait until the indices hold the catalogue

KIND is `http` (TARGET a URL answering 2xx), `redis` and `postgres` (TARGET host:port; the
server accepts a connection: PONG, or an authentication request as pg_isready counts it) or
`airflow` (TARGET the monitor URL; the scheduler reports healthy). `catalogue` runs in the
Airflow venv, where es_mappings is installed: the index names are its own. It reads the
settings of .env (POSTGRES_*, CATALOGUE_DB, ES_PORT) and PG_BIN from the environment.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URLs of the stack)
        body: bytes = response.read()
        return body


def _address(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    return host, int(port)


def http_ok(url: str) -> bool:
    _get(url)  # urlopen raises on 4xx/5xx
    return True


def redis_ok(target: str) -> bool:
    with socket.create_connection(_address(target), timeout=3) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(64).startswith(b"+PONG")


def postgres_ok(target: str) -> bool:
    """A startup packet answered by an authentication request: the server accepts connections
    (an error instead means it is starting up, shutting down or in recovery)."""
    user = os.environ.get("POSTGRES_USER", "postgres").encode()
    body = struct.pack("!i", 196608) + b"user\0" + user + b"\0database\0postgres\0\0"
    with socket.create_connection(_address(target), timeout=3) as conn:
        conn.sendall(struct.pack("!i", len(body) + 4) + body)
        return conn.recv(1) == b"R"


def airflow_ok(url: str) -> bool:
    health: dict[str, dict[str, str]] = json.loads(_get(url))
    return health.get("scheduler", {}).get("status") == "healthy"


CHECKS: dict[str, Callable[[str], bool]] = {
    "http": http_ok,
    "redis": redis_ok,
    "postgres": postgres_ok,
    "airflow": airflow_ok,
}


def healthy(kind: str, target: str) -> bool:
    try:
        return CHECKS[kind](target)
    except (OSError, ValueError):
        return False


def log(name: str, message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {'[' + name + ']':<13} {message}", file=sys.stderr, flush=True)


def wait(name: str, seconds: float, kind: str, target: str) -> bool:
    deadline = time.monotonic() + seconds
    while not healthy(kind, target):
        if time.monotonic() > deadline:
            log(name, f"ERROR: not healthy after {seconds:.0f}s (see its logs under the state folder)")
            return False
        time.sleep(1)
    return True


def _port_of(target: str) -> tuple[str, int]:
    """host and port of a health target: a URL (`http://127.0.0.1:8000/api/health`) or host:port."""
    if "://" in target:
        parsed = urllib.parse.urlsplit(target)
        return parsed.hostname or "127.0.0.1", parsed.port or 80
    return _address(target)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _holder(port: int) -> str:
    """The process listening on `port`, as `pid N (command line)`, from ss; "" when unknown."""
    try:
        listed = subprocess.run(
            ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return ""
    found = re.search(r"pid=(\d+)", listed)
    if not found:
        return ""
    pid = found.group(1)
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        command = "?"
    if len(command) > 160:
        command = command[:157] + "..."
    return f"pid {pid} ({command})"


def free(name: str, kind: str, target: str, grace: float = 10) -> bool:
    """Before a service starts: its port must have no listener. Another checkout's stack (or a
    system-wide service) on the same port would otherwise answer our health check, and `up` would
    report it healthy while our own program fails to bind and everything after uses the wrong data."""
    del kind  # every kind's target names one TCP port
    host, port = _port_of(target)
    deadline = time.monotonic() + grace  # a program just stopped may take a moment to close it
    while _listening(host, port):
        if time.monotonic() > deadline:
            holder = _holder(port) or "a process this user cannot see"
            log(
                name,
                f"ERROR: port {port} is already taken by {holder}. Another checkout's stack or a "
                "system-wide service? Stop it (`make down` in that checkout), then run `make up` again.",
            )
            return False
        time.sleep(0.5)
    return True


def catalogue_counts() -> list[int] | None:
    """Postgres's counts of what the indices must hold (films, named genres, named persons)."""
    env = os.environ
    query = """SELECT
        (SELECT count(*) FROM content.film_work),
        (SELECT count(*) FROM content.genre WHERE lower(btrim(name)) NOT IN ('', 'n/a')),
        (SELECT count(*) FROM content.person WHERE lower(btrim(full_name)) NOT IN ('', 'n/a'))"""
    done = subprocess.run(
        [f"{env['PG_BIN']}/psql", "-h", "127.0.0.1", "-p", env["POSTGRES_PORT"], "-U", env["POSTGRES_USER"],
         "-d", env["CATALOGUE_DB"], "-tAF", " ", "-c", query],
        env={**env, "PGPASSWORD": env["POSTGRES_PASSWORD"]},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return [int(n) for n in done.stdout.split()]


def index_counts(indices: tuple[str, ...]) -> list[int | None]:
    """Each index's document count; None for an index that does not exist (yet)."""
    import es_mappings  # the Airflow venv's, as the ETL names the indices

    counts: list[int | None] = []
    for index in indices:
        url = f"http://127.0.0.1:{os.environ['ES_PORT']}/{es_mappings.index_name(index)}/_count"
        try:
            counts.append(int(json.loads(_get(url))["count"]))
        except (OSError, ValueError, KeyError):
            counts.append(None)
    return counts


def catalogue(airflow: str, seconds: float) -> bool:
    """DAGs run once when created; on a restart with data missing, trigger the restores now.
    Then wait until every index holds what Postgres has."""
    from es_mappings import INDICES

    def dags_parsed() -> bool:
        listed = [airflow, "dags", "list", "-o", "plain"]
        return "restore_elasticsearch" in subprocess.run(listed, capture_output=True, text=True).stdout

    deadline = time.monotonic() + 120
    while not dags_parsed():
        if time.monotonic() > deadline:
            log("airflow", "ERROR: the DAGs were not parsed within 120s (see airflow/logs/dag-processor.log)")
            return False
        time.sleep(3)

    def trigger(dag_id: str, why: str) -> None:
        log("airflow", f"{why}: triggering {dag_id}")
        subprocess.run([airflow, "dags", "trigger", dag_id], capture_output=True, check=False)

    expected = catalogue_counts()
    if not expected or expected[0] == 0:
        trigger("restore_postgres", "catalogue empty")
    if None in index_counts(INDICES):
        trigger("restore_elasticsearch", "indices missing")

    names = "/".join(INDICES)

    def show(counts: list[int] | list[int | None]) -> str:
        return " ".join("-" if n is None else str(n) for n in counts)

    log("airflow", f"waiting (up to {seconds:.0f}s) until the indices hold the catalogue")
    deadline = time.monotonic() + seconds
    last_log = time.monotonic()
    while True:
        expected, actual = catalogue_counts(), index_counts(INDICES)
        if expected and expected[0] != 0 and expected == actual:
            log("airflow", f"indices full: {names} = {show(actual)}")
            return True
        counts = f"Postgres {show(expected) if expected else 'not restored'}, indices {show(actual)}"
        if time.monotonic() > deadline:
            log("airflow", f"ERROR: indices not full after {seconds:.0f}s: {counts} (see the Airflow UI)")
            return False
        if time.monotonic() - last_log >= 15:
            log("airflow", f"{names}: {counts}")
            last_log = time.monotonic()
        time.sleep(3)


def main(argv: list[str]) -> int:
    match argv:
        case ["check", kind, target]:
            return 0 if healthy(kind, target) else 1
        case ["wait", name, seconds, kind, target]:
            return 0 if wait(name, float(seconds), kind, target) else 1
        case ["free", name, kind, target]:
            return 0 if free(name, kind, target) else 1
        case ["catalogue", airflow, seconds]:
            return 0 if catalogue(airflow, float(seconds)) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
