"""End to end from nothing: `make up` in a fresh clone, on an empty state folder, gives with no
manual step the restored catalogue, full indices, the content API and auth behind the gateway
on port 80, and edits in Postgres that show through the API within one ETL interval plus 30 s.

The clone holds the checkout's files as git knows them (committed, or changed but not ignored)
and nothing else: no .state, no .env, no caches, so leftovers of the developer's checkout cannot
help it. It sits in a new folder inside root's home (mode 0700, Debian's default), where the
service user cannot reach it, as a newcomer's clone would; so its state goes to /var/lib/cinema.
The running stack is stopped for this (`make down`), the clone's one is started on the same
ports and, afterwards, stopped (its logs kept in test-artifacts/end-to-end/) and deleted with
`make reset`, and the usual stack is started again. Everyone sharing the stack loses it for those
minutes: run this module alone.
"""

from __future__ import annotations

import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from elasticsearch import Elasticsearch
from stack_control import GATEWAY_URL, ROOT, turn, turn_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

PASSWORD = "a long enough passphrase"
# The ETL DAGs run every minute (CINEMA_ETL_SCHEDULE); an edit must show within that plus 30 s.
ETL_INTERVAL_SECONDS = 60
REAL_NAME = "lower(btrim({})) NOT IN ('', 'n/a')"


def make(target: str, checkout: Path = ROOT) -> float:
    """`make -C CHECKOUT TARGET`; returns the seconds it took. A clone's make computes its own
    state folder and reads its own .env, so the stack's variables of this process are dropped."""
    env = {key: value for key, value in turn_env().items() if key not in ("STATE_DIR", "ROOT")}
    if checkout != ROOT:
        env = {key: value for key, value in env.items() if key not in _dotenv(ROOT / ".env")}
    started = time.monotonic()
    done = subprocess.run(
        ["make", "-C", str(checkout), target],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"make -C {checkout} {target} exited {done.returncode}:\n{output[-5000:]}"
    return time.monotonic() - started


def _dotenv(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.lstrip().startswith("#")}


def fresh_clone(parent: Path) -> Path:
    """A clone of this checkout with its working tree's tracked and new, unignored files."""
    clone = parent / "cinema"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source, target = ROOT / name, clone / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif target.exists():  # deleted in the working tree
            target.unlink()
    return clone


@dataclass(frozen=True)
class FreshStack:
    checkout: Path
    env: dict[str, str]  # its .env

    @property
    def state(self) -> Path:
        return (self.checkout / ".state").resolve()

    def pg_dsn(self) -> str:
        e = self.env
        return (
            f"postgresql://{e['POSTGRES_USER']}:{e['POSTGRES_PASSWORD']}@127.0.0.1:{e['POSTGRES_PORT']}/"
            f"{e['CATALOGUE_DB']}"
        )

    @property
    def es_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ES_PORT']}"


@pytest.fixture(scope="module")
def fresh_stack() -> Iterator[FreshStack]:
    """The whole stack made by `make up` in a fresh clone; the usual one afterwards."""
    home = Path(pwd.getpwnam("root").pw_dir)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700, f"{home} must be private (0700) for this test"
    parent = Path(tempfile.mkdtemp(prefix="cinema-e2e-", dir=home))
    # Holding the usual stack's lock throughout: another `make up` would take its ports back.
    with turn():
        make("down")
        try:
            clone = fresh_clone(parent)
            seconds = make("up", clone)
            print(f"\nmake up in a fresh clone ({clone}): {seconds:.0f}s")
            fresh = FreshStack(clone, _dotenv(clone / ".env"))
            assert not str(fresh.state).startswith(str(home)), "the state must be out of the private home"
            yield fresh
        finally:
            try:
                if (parent / "cinema" / ".state").exists():
                    keep_logs((parent / "cinema" / ".state").resolve())
                make("reset", parent / "cinema")
            finally:
                shutil.rmtree(parent, ignore_errors=True)
                make("up")


def keep_logs(state: Path) -> None:
    """The fresh stack's logs go to test-artifacts/end-to-end/ before its folder is deleted."""
    target = ROOT / "test-artifacts" / "end-to-end"
    shutil.rmtree(target, ignore_errors=True)
    for log in state.rglob("*.log"):
        if log.is_file() and "venvs" not in log.parts and "opt" not in log.parts:
            copy = target / log.relative_to(state)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, copy)


@pytest.fixture(scope="module")
def catalogue(fresh_stack: FreshStack) -> Iterator[psycopg.Connection]:
    with psycopg.connect(fresh_stack.pg_dsn(), autocommit=True) as conn:
        yield conn


def _dump_rows(table: str) -> int:
    """Rows of `table` in restore/catalogue.dump, read with pg_restore itself."""
    pg_restore = shutil.which("pg_restore") or "/usr/lib/postgresql/15/bin/pg_restore"
    data = subprocess.run(
        [pg_restore, "--data-only", f"--table={table}", "--file=-", str(ROOT / "restore" / "catalogue.dump")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    start = next(i for i, line in enumerate(data) if line.startswith("COPY "))
    return data.index("\\.", start) - start - 1


def test_the_catalogue_is_restored_and_the_indices_filled(catalogue, fresh_stack):
    films, genres, persons = catalogue.execute(
        "SELECT (SELECT count(*) FROM content.film_work),"
        f" (SELECT count(*) FROM content.genre WHERE {REAL_NAME.format('name')}),"
        f" (SELECT count(*) FROM content.person WHERE {REAL_NAME.format('full_name')})"
    ).fetchone()
    assert films == _dump_rows("film_work") > 0
    es = Elasticsearch(fresh_stack.es_url, request_timeout=30)
    try:
        counts = {name: es.count(index=name)["count"] for name in ("movies", "genres", "persons")}
    finally:
        es.close()
    assert counts == {"movies": films, "genres": genres, "persons": persons}


def _best_rated(catalogue: psycopg.Connection) -> tuple[str, str, float]:
    # The API's documented order: rating descending, unrated last, the id breaks ties.
    return catalogue.execute(
        "SELECT id::text, title, rating FROM content.film_work"
        ' ORDER BY rating DESC NULLS LAST, id::text COLLATE "C" LIMIT 1'
    ).fetchone()


def test_the_gateway_lists_the_best_rated_film_first(catalogue):
    film_id, title, rating = _best_rated(catalogue)
    response = httpx.get(f"{GATEWAY_URL}/api/v1/films/", params={"sort": "-imdb_rating"}, timeout=30)
    assert response.status_code == 200, response.text
    first = response.json()[0]
    assert first == {"uuid": film_id, "title": title, "imdb_rating": pytest.approx(rating)}


def test_edits_in_postgres_show_through_the_api(catalogue):
    film_id, _, _ = _best_rated(catalogue)
    person_id, in_film = catalogue.execute(
        "SELECT p.id::text, pfw.film_work_id IS NOT NULL FROM content.person p"
        " LEFT JOIN content.person_film_work pfw ON pfw.person_id = p.id AND pfw.film_work_id = %s"
        f" WHERE {REAL_NAME.format('p.full_name')}"
        ' ORDER BY pfw.film_work_id IS NULL, p.id::text COLLATE "C" LIMIT 1',
        (film_id,),
    ).fetchone()
    with httpx.Client(base_url=f"{GATEWAY_URL}/api/v1", timeout=30) as api:
        # Asked once before the edit, so both answers sit in the cache.
        assert api.get(f"/films/{film_id}").status_code == 200
        assert api.get(f"/persons/{person_id}").status_code == 200
        mark = uuid.uuid4().hex[:8]
        title, name = f"Edited film {mark}", f"Edited Person {mark}"
        catalogue.execute(
            "UPDATE content.film_work SET title = %s, modified = now() WHERE id = %s", (title, film_id)
        )
        catalogue.execute(
            "UPDATE content.person SET full_name = %s, modified = now() WHERE id = %s", (name, person_id)
        )
        edited = time.monotonic()

        def both_visible() -> bool:
            film = api.get(f"/films/{film_id}").json()
            person = api.get(f"/persons/{person_id}").json()
            return film.get("title") == title and person.get("full_name") == name

        wait_for("both edits in the API", both_visible, timeout=ETL_INTERVAL_SECONDS + 30, interval=2)
        print(f"\nedits visible through the API after {time.monotonic() - edited:.0f}s")
        assert api.get("/films/", params={"sort": "-imdb_rating"}).json()[0]["title"] == title
        if in_film:
            film = api.get(f"/films/{film_id}").json()
            people = film["actors"] + film["writers"] + film["directors"]
            assert {"uuid": person_id, "full_name": name} in people


def test_sign_up_log_in_and_use_the_token_through_the_gateway(fresh_stack):
    login = f"e2e-{uuid.uuid4().hex[:12]}"
    with httpx.Client(base_url=f"{GATEWAY_URL}/auth/api/v1", timeout=30) as auth:
        signed_up = auth.post("/signup", json={"login": login, "password": PASSWORD})
        assert signed_up.status_code == 201, signed_up.text
        logged_in = auth.post("/login", json={"login": login, "password": PASSWORD})
        assert logged_in.status_code == 200, logged_in.text
        token = logged_in.json()["access_token"]
        me = auth.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["login"] == login
        assert auth.get("/users/me").status_code == 401
