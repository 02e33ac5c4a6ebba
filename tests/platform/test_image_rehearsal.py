"""Build rehearsals: each of our images run natively from exactly the files its Dockerfile copies.

There is no Docker engine here, so images are never built. For every Dockerfile of ours,
deploy/native/image_files.py lays out in a temporary folder, standing for the image's `/`, the
files its COPY lines take from the build context (minus what `.dockerignore` keeps out). A fresh
venv stands for the image's Python: synced from the lock the image copies (which must be
requirements/<name>.lock), then with the project installed from the folder where the image copies
pyproject.toml, as its `pip install .` does. The image's command then runs from its WORKDIR with
its ENV, out of reach of the checkout (another working folder, a fresh environment, no user site),
far enough to import everything and to answer its health check. Dropping any one COPY line must
make the rehearsal fail, so each line is proven needed.

Not rehearsed: what only a build shows (base images, apt and pip inside them, users, file modes).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import redis
import yaml

from devtools.processes import ServiceDidNotStart, ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
IMAGE_FILES = ROOT / "deploy" / "native" / "image_files.py"
VENVS = Path(os.environ.get("STATE_DIR") or ROOT / ".state") / "venvs"
UV = VENVS / "uv" / "bin" / "uv"
# First-party top-level packages: in a rehearsal each one is found in the image or nowhere.
FIRST_PARTY = sorted(path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file())
# Redis databases that no other test or benchmark uses; flushed after each rehearsal.
API_REDIS_DB = 6
AUTH_REDIS_DB = 7
START_TIMEOUT = 60
# The apache/airflow image's AIRFLOW_HOME; its DAG folder is dags/ below it.
AIRFLOW_IMAGE_HOME = "/opt/airflow"
DAG_IDS = {
    "films_etl",
    "genres_etl",
    "persons_etl",
    "reconcile_indices",
    "restore_elasticsearch",
    "restore_postgres",
}


class RehearsalFailed(Exception):
    """The image, as its Dockerfile lays it out, would not do its job; the message says why."""


def fail_unless(condition: object, message: str) -> None:
    if not condition:
        raise RehearsalFailed(message)


@cache
def compose(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Image:
    """One of our images: the compose service that builds it, and the venv standing for its Python."""

    compose_file: str
    service: str
    venv: str

    @property
    def _build(self) -> dict[str, str]:
        build = compose(self.compose_file)["services"][self.service]["build"]
        return {"context": build} if isinstance(build, str) else build

    @property
    def context(self) -> Path:
        return (ROOT / self._build["context"]).resolve()

    @property
    def dockerfile(self) -> Path:
        return (self.context / self._build.get("dockerfile", "Dockerfile")).resolve()


IMAGES = {
    "api": Image("docker-compose.yml", "api", "api"),
    "auth": Image("docker-compose.yml", "auth", "auth"),
    "tests": Image("docker-compose.test.yml", "tests", "dev"),
    "airflow": Image("docker-compose.yml", "airflow-scheduler", "airflow"),
}


@dataclass(frozen=True)
class Layout:
    """An image's files laid out (`root` stands for the final stage's `/`), and its Python."""

    root: Path
    workdir: Path
    stage: dict[str, Any]  # the final stage, as image_files.py describes it
    venv: Path  # synced from the copied lock, with the project installed as the image installs it


def _image_files(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-I", str(IMAGE_FILES), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"image_files.py {' '.join(args)}: {done.stderr}"
    return done.stdout


def stages(image: Image, dockerfile: Path) -> list[dict[str, Any]]:
    return json.loads(_image_files("describe", str(dockerfile), "--context", str(image.context), "--all"))


def run(command: Sequence[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`command` as the image would run it: `env` only, from `cwd`; output and errors together."""
    return subprocess.run(
        list(command),
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )


def image_venv(lock: Path, project: Path, dest: Path) -> Path:
    """A fresh venv with the image's pins (uv's cache makes it quick), then the project built
    from the copied files and installed without dependencies, as the Dockerfile's `pip install .`."""
    python = os.path.realpath(sys.executable)  # the interpreter every venv of the stack is made with
    for command in (
        [str(UV), "venv", "--quiet", "--python", python, str(dest)],
        [str(UV), "pip", "sync", "--quiet", "--python", str(dest / "bin" / "python"), str(lock)],
        [
            str(UV),
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--python",
            str(dest / "bin" / "python"),
            str(project),
        ],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        fail_unless(done.returncode == 0, f"{' '.join(command)}:\n{done.stderr[-3000:]}")
    return dest


def lay_out(image: Image, dockerfile: Path, dest: Path) -> Layout:
    """Every stage's context files under dest/stage-N; checks the copied lock against the venv's."""
    described = stages(image, dockerfile)
    roots = []
    for index in range(len(described)):
        root = dest / f"stage-{index}"
        _image_files(
            "assemble", str(dockerfile), str(root), "--context", str(image.context), "--stage", str(index)
        )
        root.mkdir(parents=True, exist_ok=True)  # a stage may copy nothing from the context
        roots.append(root)
    lock = f"{image.venv}.lock"
    copied = [
        roots[index] / target.lstrip("/")
        for index, stage in enumerate(described)
        for target in stage["files"]
        if PurePosixPath(target).name == lock
    ]
    fail_unless(copied, f"{dockerfile} copies no {lock}: the image would install none of its pins")
    fail_unless(
        copied[0].read_bytes() == (ROOT / "requirements" / lock).read_bytes(),
        f"{dockerfile} copies a {lock} that is not requirements/{lock}",
    )
    projects = [
        roots[index] / target.lstrip("/")
        for index, stage in enumerate(described)
        for target in stage["files"]
        if PurePosixPath(target).name == "pyproject.toml"
    ]
    fail_unless(projects, f"{dockerfile} copies no pyproject.toml: the image installs no package of ours")
    assert not dest.is_relative_to(ROOT), "the rehearsal must run outside the checkout"
    venv = image_venv(copied[0], projects[0].parent, dest / "venv")
    final = described[-1]
    return Layout(roots[-1], roots[-1] / final["workdir"].lstrip("/"), final, venv)


def image_env(layout: Layout, tmp: Path) -> dict[str, str]:
    """The image's ENV in a fresh environment; the venv is the image's Python wherever it keeps it."""
    for folder in ("home", "tmp"):
        (tmp / folder).mkdir(exist_ok=True)
    env = {key: value for key, value in layout.stage["env"].items() if key != "PATH"}
    env.update(
        PATH=f"{layout.venv / 'bin'}:/usr/bin:/bin",
        HOME=str(tmp / "home"),
        TMPDIR=str(tmp / "tmp"),
        LANG="C.UTF-8",
        PYTHONNOUSERSITE="1",
    )
    return env


# Prints where each first-party package is found, then imports every module of those found (not
# their `__main__`).
_IMPORT_ALL = """
import importlib, importlib.util, json, pkgutil, sys
origins = {n: getattr(importlib.util.find_spec(n), "origin", None) for n in sys.argv[1].split(",")}
print(json.dumps(origins), flush=True)
for name in (n for n, origin in origins.items() if origin):
    for module in pkgutil.walk_packages(importlib.import_module(name).__path__, name + "."):
        if not module.name.endswith(".__main__"):
            importlib.import_module(module.name)
"""


def assert_isolated(origins: dict[str, str | None], layout: Layout) -> None:
    """No first-party package comes from anywhere but the image's files or its venv (the checkout
    above all)."""
    leaked = {
        name: path
        for name, path in origins.items()
        if path and not (Path(path).is_relative_to(layout.root) or Path(path).is_relative_to(layout.venv))
    }
    assert not leaked, f"imported from outside the image: {leaked}"


def check_code(env: dict[str, str], layout: Layout) -> None:
    """Every module of the first-party packages the image has imports, only from the image."""
    done = run(["python", "-c", _IMPORT_ALL, ",".join(FIRST_PARTY)], env, layout.workdir)
    origins = json.loads(done.stdout.splitlines()[0]) if done.stdout.startswith("{") else {}
    fail_unless(done.returncode == 0, f"importing the image's packages failed:\n{done.stdout[-3000:]}")
    fail_unless(any(origins.values()), "the image has none of our packages")
    assert_isolated(origins, layout)


@dataclass(frozen=True)
class Backing:
    """The running native stack's stores, which a rehearsed service is pointed at."""

    stack: Any
    new_database: Callable[[], str]


def rehearse_service(
    image: Image,
    dockerfile: Path,
    tmp: Path,
    settings: dict[str, str],
    health: str,
    before: Sequence[Sequence[str]] = (),
) -> None:
    """The image's command answers `health` on a spare port, and so does its HEALTHCHECK command."""
    layout = lay_out(image, dockerfile, tmp / "image")
    port = free_port()
    prefix = image.venv.upper()
    env = {**image_env(layout, tmp), **settings, f"{prefix}_HOST": "127.0.0.1"}
    env[f"{prefix}_PORT"] = str(port)
    check_code(env, layout)
    for command in before:
        done = run(command, env, layout.workdir)
        fail_unless(
            done.returncode == 0, f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}"
        )
    command = [*(layout.stage["entrypoint"] or []), *(layout.stage["cmd"] or [])]
    service = ServiceProcess(command, env, tmp / "service.log", health, port, cwd=layout.workdir)
    try:
        try:
            service.wait_until_alive(timeout=START_TIMEOUT)
        except ServiceDidNotStart as error:
            raise RehearsalFailed(f"{dockerfile}: {' '.join(command)}: {error}") from error
        healthcheck = layout.stage["healthcheck"]
        fail_unless(healthcheck, f"{dockerfile} has no HEALTHCHECK")
        done = run(healthcheck, env, layout.workdir)
        fail_unless(
            done.returncode == 0,
            f"{dockerfile}: the HEALTHCHECK exited with {done.returncode}:\n{done.stdout}",
        )
    finally:
        service.stop()


def rehearse_api(image: Image, dockerfile: Path, tmp: Path, backing: Backing) -> None:
    settings = {
        "API_ES_URL": backing.stack.es_url,
        "API_REDIS_URL": backing.stack.redis_url(API_REDIS_DB),
        "API_CURSOR_SECRET": "test-only-cursor-secret",
    }
    rehearse_service(image, dockerfile, tmp, settings, "/api/health")


def rehearse_auth(image: Image, dockerfile: Path, tmp: Path, backing: Backing) -> None:
    """As compose runs it: a development key made first, then `serve` migrates its own database."""
    keys = tmp / "keys"
    settings = {
        "AUTH_DATABASE_URL": backing.new_database().replace("postgresql://", "postgres://", 1),
        "AUTH_REDIS_URL": backing.stack.redis_url(AUTH_REDIS_DB),
        "AUTH_PRIVATE_KEY_FILE": str(keys / "private.pem"),
    }
    keys_first = [["python", "-m", "auth", "generate-keys", str(keys), "--if-missing"]]
    rehearse_service(image, dockerfile, tmp, settings, "/auth/health", before=keys_first)


def rehearse_tests(image: Image, dockerfile: Path, tmp: Path, backing: Backing) -> None:
    """The compose command's suite: one pytest run under the image's settings collects all of
    its paths (a collection error fails the run) and runs the unit tests among them (the
    functional ones, which need the test stack, are deselected after collection)."""
    layout = lay_out(image, dockerfile, tmp / "image")
    env = image_env(layout, tmp)
    check_code(env, layout)
    paths = compose(image.compose_file)["services"][image.service]["command"]
    functional = [path for path in paths if not path.startswith("tests/unit/")]
    assert len(functional) < len(paths), f"the {image.service} service's command runs no unit tests"
    command = [*(layout.stage["entrypoint"] or []), *paths, *(f"--deselect={path}" for path in functional)]
    ran = run(command, env, layout.workdir)
    fail_unless(ran.returncode == 0, f"{' '.join(paths)} failed in the image:\n{ran.stdout[-3000:]}")
    fail_unless(
        f"rootdir: {layout.workdir}\nconfigfile: pyproject.toml" in ran.stdout,
        f"pytest ran without the image's pyproject.toml settings:\n{ran.stdout[:1000]}",
    )
    summary = re.search(r"(\d+) passed, (\d+) deselected", ran.stdout)
    fail_unless(summary, f"no unit test passed, or no functional test was collected:\n{ran.stdout[-1000:]}")


_DAG_BAG = """
import importlib.util, json, sys
from airflow.dag_processing.bundles.manager import DagBundlesManager
from airflow.dag_processing.dagbag import BundleDagBag

bags = {}
for bundle in DagBundlesManager().get_all_dag_bundles():
    bundle.initialize()
    bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
    bags[bundle.name] = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": bag.dag_ids}
from cinema_etl import restore

backups = restore.Backups.from_environment()
print(json.dumps({
    "bags": bags,
    "dump": str(backups.catalogue_dump),
    "snapshot": str(backups.snapshot_dir / "index.latest"),
    "origins": {n: getattr(importlib.util.find_spec(n), "origin", None) for n in sys.argv[1:]},
}))
"""


def rehearse_airflow(image: Image, dockerfile: Path, tmp: Path, backing: Backing) -> None:
    """The image installs the ETL and the mappings; the DAG files and restore/ are compose's
    mounts, laid out at their image paths; the DAG folder parses as the DAG processor parses it."""
    layout = lay_out(image, dockerfile, tmp / "image")
    service = compose(image.compose_file)["services"][image.service]
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            shutil.copytree(
                ROOT / source, layout.root / target.lstrip("/"), ignore=shutil.ignore_patterns("__pycache__")
            )
    airflow_home = layout.root / AIRFLOW_IMAGE_HOME.lstrip("/")
    env = image_env(layout, tmp)
    env.update(
        AIRFLOW_HOME=str(tmp / "airflow-home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(airflow_home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp / 'airflow.db'}",
        CINEMA_RESTORE_DIR=f"{layout.root}{service['environment']['CINEMA_RESTORE_DIR']}",
    )
    done = run(["python", "-c", _DAG_BAG, *FIRST_PARTY], env, airflow_home)
    fail_unless(done.returncode == 0, f"loading the DAGs failed:\n{done.stdout[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert_isolated(result["origins"], layout)
    for name, bag in result["bags"].items():
        fail_unless(not bag["errors"], f"import errors in the {name} bundle: {bag['errors']}")
    dags = {dag for bag in result["bags"].values() for dag in bag["dags"]}
    fail_unless(dags == DAG_IDS, f"the DAGs found are {sorted(dags)}, not {sorted(DAG_IDS)}")
    for path in (result["dump"], result["snapshot"]):
        fail_unless(
            Path(path).is_relative_to(airflow_home) and Path(path).is_file(),
            f"the restore code looks for {path}",
        )


REHEARSALS: dict[str, Callable[[Image, Path, Path, Backing], None]] = {
    "api": rehearse_api,
    "auth": rehearse_auth,
    "tests": rehearse_tests,
    "airflow": rehearse_airflow,
}
_REHEARSED: set[str] = set()  # images whose complete Dockerfile rehearsed well in this session


@pytest.fixture
def backing(stack: Any, scratch_database: Callable[[], str]) -> Iterator[Backing]:
    yield Backing(stack, scratch_database)
    for db in (API_REDIS_DB, AUTH_REDIS_DB):
        redis.Redis.from_url(stack.redis_url(db)).flushdb()


def test_every_dockerfile_of_ours_is_rehearsed():
    dockerfiles = {
        path for path in ROOT.rglob("Dockerfile*") if not {".state", "node_modules"} & set(path.parts)
    }
    assert dockerfiles == {image.dockerfile for image in IMAGES.values()}


@pytest.mark.parametrize("name", IMAGES)
def test_image_rehearsal(name: str, tmp_path: Path, backing: Backing) -> None:
    image = IMAGES[name]
    REHEARSALS[name](image, image.dockerfile, tmp_path, backing)
    _REHEARSED.add(name)


@pytest.mark.parametrize("name", IMAGES)
def test_every_copy_line_is_needed(name: str, tmp_path: Path, backing: Backing) -> None:
    """The Dockerfile without any one of its COPY lines (from the context) fails its rehearsal."""
    image = IMAGES[name]
    if name not in _REHEARSED:  # otherwise failing variants would prove nothing
        REHEARSALS[name](image, image.dockerfile, tmp_path / "complete", backing)
    lines = image.dockerfile.read_text(encoding="utf-8").splitlines(keepends=True)
    copies = [copy for stage in stages(image, image.dockerfile) for copy in stage["copies"]]
    assert copies, f"{image.dockerfile} copies nothing from its context"

    def rehearse_without(copy: dict[str, Any]) -> str | None:
        """None when the image fails without this COPY line, else the line."""
        variant = tmp_path / f"without-line-{copy['line']}"
        variant.mkdir()
        kept = lines[: copy["line"] - 1] + lines[copy["end_line"] :]
        (variant / "Dockerfile").write_text("".join(kept), encoding="utf-8")
        try:
            REHEARSALS[name](image, variant / "Dockerfile", variant, backing)
        except RehearsalFailed:
            return None
        return f"line {copy['line']}: {lines[copy['line'] - 1].strip()}"

    # Two at a time: each variant is mostly one interpreter importing the image's code.
    with ThreadPoolExecutor(max_workers=2) as pool:
        not_needed = [line for line in pool.map(rehearse_without, copies) if line]
    assert not not_needed, f"{image.dockerfile} rehearses as well without: {not_needed}"


def _major(version: str) -> int:
    match = re.match(r"(\d+)", version)
    assert match, version
    return int(match.group(1))


def test_airflow_image_pg_restore_is_the_major_of_the_server_and_the_dump():
    """The client that the Airflow image installs, the binary compose's PG_RESTORE names, the
    compose Postgres servers and the server that made restore/catalogue.dump share one major."""
    text = IMAGES["airflow"].dockerfile.read_text(encoding="utf-8")
    instructions = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    clients = re.findall(r"\bpostgresql-client(?:-(\d+))?\b", instructions)
    assert clients and all(clients), f"the Airflow image installs an unversioned client: {clients}"
    (client,) = {int(major) for major in clients}

    pg_restore = compose("docker-compose.yml")["services"]["airflow-scheduler"]["environment"]["PG_RESTORE"]
    match = re.fullmatch(r"/usr/lib/postgresql/(\d+)/bin/pg_restore", pg_restore)
    assert match, f"PG_RESTORE is {pg_restore}, not the binary of one client version"
    # Debian lays the client out the same way natively: the package owns that very path.
    owner = subprocess.run(["dpkg", "-S", pg_restore], capture_output=True, text=True, check=False)
    assert owner.stdout.startswith(f"postgresql-client-{client}:"), owner.stdout + owner.stderr

    servers = {
        _major(compose(name)["services"]["postgres"]["image"].split(":", 1)[1])
        for name in ("docker-compose.yml", "docker-compose.test.yml")
    }
    header = subprocess.run(
        [pg_restore, "-l", str(ROOT / "restore" / "catalogue.dump")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    dumped = re.search(r"Dumped from database version: (\S+)", header)
    assert dumped, header[:500]
    majors = {
        "the image's postgresql-client": {client},
        "compose's PG_RESTORE": {int(match.group(1))},
        "compose's postgres images": servers,
        "the server that made the dump": {_major(dumped.group(1))},
    }
    assert set().union(*majors.values()) == {client}, majors


# Each server's port in its container, which the native stack uses on 127.0.0.1 too.
SERVER_PORTS = {"postgres": 5432, "redis": 6379, "elasticsearch": 9200}


def _interpolated(value: str, variables: dict[str, str]) -> str:
    """compose's `${NAME}`, `${NAME:-default}`, `${NAME:?error}` and `$$`."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, word = match.group(1), match.group(2) or "", match.group(3) or ""
        if variables.get(name):
            return variables[name]
        assert "?" not in operator, f"{name} must be set: {word}"
        return word

    text = re.sub(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", substitute, value.replace("$$", "\0"))
    return text.replace("\0", "$")


@pytest.mark.parametrize(
    ("compose_file", "service"),
    [
        (name, service)
        for name in ("docker-compose.yml", "docker-compose.test.yml")
        for service in SERVER_PORTS
    ],
)
def test_compose_healthcheck_passes_on_the_native_server_and_fails_on_a_closed_port(
    compose_file, service, stack
):
    """The healthcheck, run natively against the same server on the same port, passes while the
    server answers and fails while nothing listens there."""
    assert (stack.pg_port, stack.redis_port, stack.es_port) == tuple(SERVER_PORTS.values())
    definition = compose(compose_file)["services"][service]
    kind, *words = definition["healthcheck"]["test"]
    # What compose reads from .env. AUTH_DB_PASSWORD is required (`:?`) by the postgres service's
    # environment for its init script; a healthcheck never uses it, so any value stands in for it.
    variables = {
        "POSTGRES_USER": stack.pg_user,
        "POSTGRES_PASSWORD": stack.pg_password,
        "AUTH_DB_PASSWORD": "rehearsal",
    }
    env = {
        key: _interpolated(str(value), variables) for key, value in definition.get("environment", {}).items()
    }
    env["PATH"] = "/usr/bin:/bin"
    command = [_interpolated(word, variables) for word in words]
    if kind == "CMD-SHELL":
        command = ["/bin/sh", "-c", *command]
    port = str(SERVER_PORTS[service])
    assert any(port in word for word in command), f"the healthcheck names no port: {command}"

    live = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert live.returncode == 0, live.stdout + live.stderr
    closed = [word.replace(port, str(free_port())) for word in command]
    down = subprocess.run(closed, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert down.returncode != 0, f"{closed} passes with nothing listening"


class _EchoHeaders(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        # A service's own copy of the id, which the gateway must not pass on beside its own.
        self.send_header("X-Request-ID", "from-upstream")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_upstream() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def rehearsed_gateway(request: pytest.FixtureRequest, tmp_path: Path, echo_upstream: str) -> Iterator[str]:
    """The gateway template, rendered as the nginx image renders it, on the native nginx (the
    compose image's version), with both services replaced by an upstream that echoes the headers
    it gets; yields the gateway's URL. Parametrized indirectly, the parameter is
    GATEWAY_METRICS_ALLOW (the stacks' default otherwise)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is installed by `make up` (the gateway)"
    template = (ROOT / "deploy" / "nginx" / "templates" / "default.conf.template").read_text(encoding="utf-8")
    port = free_port()
    values = {
        "API_UPSTREAM": echo_upstream,
        "AUTH_UPSTREAM": echo_upstream,
        "DNS_RESOLVER": "127.0.0.1",
        "GATEWAY_ACCESS_LOG": str(tmp_path / "access.log"),
        "GATEWAY_METRICS_ALLOW": getattr(request, "param", "0.0.0.0/32"),
    }
    for name, value in values.items():
        template = template.replace("${" + name + "}", value)
    assert "listen 80;" in template
    assert "${" not in template, "a variable the stacks do not set"
    (tmp_path / "default.conf").write_text(template.replace("listen 80;", f"listen 127.0.0.1:{port};"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log warn;\nevents {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;"
        f" include {tmp_path}/default.conf; }}\n"
    )
    command = [
        nginx,
        "-c",
        str(tmp_path / "nginx.conf"),
        "-e",
        str(tmp_path / "error.log"),
        "-g",
        "daemon off;",
    ]
    gateway = ServiceProcess(
        command, {"PATH": "/usr/sbin:/usr/bin:/bin"}, tmp_path / "nginx.log", "/gateway/health", port
    )
    try:
        gateway.wait_until_alive(timeout=30)
        yield gateway.url
    finally:
        gateway.stop()


def test_gateway_overwrites_a_forged_x_forwarded_for(rehearsed_gateway: str) -> None:
    """The upstream sees the peer's address, never the client's claim."""
    for path in ("/auth/api/v1/login", "/api/v1/films"):
        seen = httpx.get(
            f"{rehearsed_gateway}{path}", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10
        ).json()
        assert seen["x-forwarded-for"] == "127.0.0.1", seen
        assert seen["x-real-ip"] == "127.0.0.1", seen


def test_gateway_passes_a_plain_request_id_on_and_makes_one_otherwise(
    rehearsed_gateway: str, tmp_path: Path
) -> None:
    """A plain token goes through as it is; none, or anything else, becomes nginx's own random id.
    The answer carries the id the upstream got, once, and so does the access log."""
    for path in ("/auth/api/v1/login", "/api/v1/films"):
        response = httpx.get(
            f"{rehearsed_gateway}{path}", headers={"X-Request-ID": "trace-1.a:b_c"}, timeout=10
        )
        assert response.json()["x-request-id"] == "trace-1.a:b_c"
        assert response.headers.get_list("x-request-id") == ["trace-1.a:b_c"]
    for offered in (None, "", "has space", "x" * 129, "semi;colon"):
        headers = {} if offered is None else {"X-Request-ID": offered}
        response = httpx.get(f"{rehearsed_gateway}/api/v1/films", headers=headers, timeout=10)
        made = response.json()["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), (offered, made)
        assert response.headers.get_list("x-request-id") == [made]
    # The gateway's own answers have one too.
    health = httpx.get(f"{rehearsed_gateway}/gateway/health", timeout=10)
    assert re.fullmatch(r"[0-9a-f]{32}", health.headers["x-request-id"])
    assert "request_id=trace-1.a:b_c" in (tmp_path / "access.log").read_text()


def test_gateway_answers_the_metrics_paths_with_404_by_default(rehearsed_gateway: str) -> None:
    """GATEWAY_METRICS_ALLOW at the stacks' default: no client reads the metrics through it."""
    for path in ("/api/metrics", "/auth/metrics"):
        response = httpx.get(f"{rehearsed_gateway}{path}", timeout=10)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "detail": "no such route"}
    # Everything else under the prefixes still reaches the services.
    assert httpx.get(f"{rehearsed_gateway}/api/metrics-and-more", timeout=10).status_code == 200


@pytest.mark.parametrize("rehearsed_gateway", ["127.0.0.1/32"], indirect=True)
def test_gateway_passes_the_metrics_on_to_the_allowed_network(rehearsed_gateway: str) -> None:
    for path in ("/api/metrics", "/auth/metrics"):
        response = httpx.get(f"{rehearsed_gateway}{path}", timeout=10)
        assert response.status_code == 200, path
        assert "x-request-id" in response.json()  # the echo upstream's answer
