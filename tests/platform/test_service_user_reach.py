"""As root, every service but Airflow runs as the service user (`cinema`), and root's home is
private (0700, Debian's default). Each service's interpreter and every file it has open, maps
or names on its command line must be reachable by that user, or a restart would fail where the
first start worked: the stack changes the mode of nothing outside the checkout to make it so.

The test sets root's home to 0700 when it is not (that is the default, and it stays so) and
asks the kernel what each running service process uses (/proc/<pid>/exe, cwd, cmdline, maps,
fd), then checks every path with the service user's own rights.
"""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = Path(os.environ.get("STATE_DIR", ROOT / ".state")).resolve()
SERVICE_USER = os.environ.get("SERVICE_USER", "cinema")
# How each service's processes show in `ps` (their command line).
SERVICES = {
    "postgres": "postgres -D",
    "redis": "redis-server 127.0.0.1:",
    "redis_auth": "redis-server 127.0.0.1:6380",
    "elasticsearch": "org.elasticsearch.bootstrap.Elasticsearch",
    "api": "-m api",
    "auth": "-m auth serve",
    "gateway": "nginx: worker process",
}
# Checked by the service user: r for files, x for folders and executables.
CHECK = """
import json, os, sys
wanted = json.load(sys.stdin)
print(json.dumps([[path, mode] for path, mode in wanted
                  if not os.access(path, {"r": os.R_OK, "x": os.X_OK}[mode])]))
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="as a non-root user the services run as that user")


@pytest.fixture(scope="module")
def private_root_home() -> Path:
    home = Path(pwd.getpwnam("root").pw_dir)
    if stat.S_IMODE(home.stat().st_mode) != 0o700:
        home.chmod(0o700)
    return home


def service_processes(uid: int) -> dict[int, str]:
    """pid -> command line of every process running as the service user."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue  # gone meanwhile
    return found


def paths_used(pid: int) -> dict[str, str]:
    """Every file-system path process `pid` uses, with the access it needs (r or x)."""
    proc = Path(f"/proc/{pid}")
    used = {os.readlink(proc / "exe"): "x", os.readlink(proc / "cwd"): "x"}
    for argument in (proc / "cmdline").read_bytes().split(b"\0"):
        for part in argument.decode(errors="replace").split("="):
            if part.startswith("/") and os.path.exists(part):
                used.setdefault(part, "x" if os.path.isdir(part) else "r")
    for line in (proc / "maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/") and not fields[5].endswith("(deleted)"):
            used.setdefault(fields[5], "r")
    for fd in (proc / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/")) and os.path.isfile(target):
            used.setdefault(target, "r")
    return used


def unreachable(paths: dict[str, str]) -> list[list[str]]:
    done = subprocess.run(
        ["runuser", "-u", SERVICE_USER, "--", "/usr/bin/python3.11", "-c", CHECK],
        input=json.dumps(sorted(paths.items())),
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    return json.loads(done.stdout)


def test_every_service_runs_as_the_service_user(private_root_home):
    commands = service_processes(pwd.getpwnam(SERVICE_USER).pw_uid).values()
    missing = {service for service, mark in SERVICES.items() if not any(mark in line for line in commands)}
    assert not missing, f"no process of {sorted(missing)} runs as {SERVICE_USER}; running: {sorted(commands)}"


def test_the_service_user_reaches_everything_its_services_use(private_root_home):
    processes = service_processes(pwd.getpwnam(SERVICE_USER).pw_uid)
    used: dict[str, str] = {}
    for pid in processes:
        try:
            for path, mode in paths_used(pid).items():
                used[path] = "x" if "x" in (mode, used.get(path)) else mode
        except (FileNotFoundError, ProcessLookupError):
            continue
    assert len(used) > 50, f"only {len(used)} paths found: is the stack running?"
    assert not unreachable(used), f"{SERVICE_USER} cannot reach what its services use: {unreachable(used)}"


def test_nothing_a_service_uses_lies_in_the_private_home(private_root_home):
    """Not even where a chmod once made it reachable: a new machine would not have that chmod."""
    processes = service_processes(pwd.getpwnam(SERVICE_USER).pw_uid)
    inside = set()
    for pid in processes:
        try:
            inside |= {p for p in paths_used(pid) if Path(p).is_relative_to(private_root_home)}
        except (FileNotFoundError, ProcessLookupError):
            continue
    assert not inside, f"services use paths inside {private_root_home}: {sorted(inside)[:10]}"


@pytest.mark.parametrize(("service", "module"), [("api", "api.app"), ("auth", "auth.app")])
def test_the_service_user_imports_each_service_from_its_state_folder(private_root_home, service, module):
    """A fresh start, not only the running one: the interpreter and every module it imports,
    from the service's venv, where the stack installed the project (from `/`, as the stack starts it)."""
    venv = STATE_DIR / "venvs" / service
    python = venv / "bin" / "python"
    done = subprocess.run(
        [
            "runuser",
            "-u",
            SERVICE_USER,
            "--",
            "env",
            "PYTHONDONTWRITEBYTECODE=1",
            str(python),
            "-c",
            f"import {module}, sys; print(sys.modules['{module}'].__file__)",
        ],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert Path(done.stdout.strip()).is_relative_to(venv / "lib"), done.stdout
