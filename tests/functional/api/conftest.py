"""Fixtures of the content API's functional tests.

The tests seed their own indices (prefix `test_api_<random>_`, built from `es_mappings`) and start
their own API processes on spare ports, so they never touch the live `movies` index and can run
beside another engineer's tests:

- `api`: the API against the real Elasticsearch and Redis;
- `api_es_down`: the same cache (Redis db and prefix) but Elasticsearch on a closed port;
- `api_redis_down`: the real Elasticsearch but Redis on a closed port.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from elasticsearch import Elasticsearch, helpers

import es_mappings
from devtools.processes import ServiceDidNotStart, ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[3]
REDIS_DB = 12  # the API tests' cache db; keys are prefixed per session, so runs do not collide
START_TIMEOUT = 60
# The test processes' cursor key: the cursor tests sign cursors with it (and with others).
CURSOR_SECRET = "functional-tests-cursor-secret"


def _uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cinema-api-tests/{name}"))


@dataclass
class Catalogue:
    """The seeded documents, for tests to compare answers against."""

    prefix: str
    genres: dict[str, dict[str, Any]] = field(default_factory=dict)
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)
    films: dict[str, dict[str, Any]] = field(default_factory=dict)

    def film_id(self, title: str) -> str:
        return self.films[title]["id"]

    def person_id(self, name: str) -> str:
        return self.persons[name]["id"]

    def genre_id(self, name: str) -> str:
        return self.genres[name]["id"]

    def index(self, name: str) -> str:
        return es_mappings.index_name(name, self.prefix)


# title, rating, genres, description, directors, writers, actors
FEATURED = [
    (
        "Star Wars",
        8.6,
        ["Action", "Sci-Fi"],
        "Rebels fight an empire in a galaxy far away.",
        ["George Lucas"],
        ["George Lucas"],
        ["Mark Hamill", "Harrison Ford", "Carrie Fisher"],
    ),
    ("Star Trek", 7.9, ["Sci-Fi"], "A starship crew explores space.", [], [], ["William Shatner"]),
    (
        "Alien",
        8.5,
        ["Sci-Fi", "Drama"],
        "A crew meets a deadly creature.",
        ["Ridley Scott"],
        [],
        ["Sigourney Weaver"],
    ),
    (
        "Blade Runner",
        8.1,
        ["Sci-Fi"],
        "A detective hunts replicants.",
        ["Ridley Scott"],
        [],
        ["Harrison Ford"],
    ),
    ("Cache Probe", None, [], None, [], [], []),
    # The hard cases of relevance: a short title that shares one word with the query, a longer one
    # that holds a whole title, the words of a title in another order, a title the shorter ones
    # are inside of, punctuation, and two films of one title (a remake).
    ("Dog Star Man", 6.9, ["Mystery"], "An experimental film.", ["Stan Brakhage"], [], []),
    (
        "Star Wars: Episode V - The Empire Strikes Back",
        8.4,
        ["Romance", "Mystery"],
        "The empire strikes back at the rebels.",
        ["Irvin Kershner"],
        ["Leigh Brackett"],
        ["Billy Dee Williams"],
    ),
    ("Wars of the Star", 4.1, ["Drama"], "A war between two stars of the stage.", [], [], ["Extra Player"]),
    ("Solaris", 8.0, ["Mystery", "Drama"], "A planet that reads minds.", ["Andrei Tarkovsky"], [], []),
    # Films are keyed by title in `Catalogue.films`; " #2" keys the second film of a title.
    (
        "Solaris #2",
        6.2,
        ["Romance"],
        "The remake.",
        ["Steven Soderbergh"],
        ["Irvin Kershner"],
        ["George Clooney"],
    ),
    ("Lucas", 5.5, ["Comedy"], "A boy named Lucas.", [], [], ["Corey Haim"]),
]
# What the featured films differ in besides the columns above (every other film is a 1977 movie).
FEATURED_DETAILS = {
    "Star Trek": {"creation_date": "1979-12-07", "type": "tv_show"},
    "Alien": {"creation_date": "1979-05-25"},
    "Blade Runner": {"creation_date": "1982-06-25"},
    "Dog Star Man": {"creation_date": "1964-01-01"},
    "Wars of the Star": {"creation_date": "2011-03-01", "type": "tv_show"},
    "Lucas": {"creation_date": None},
}
GENRE_NAMES = ["Action", "Comedy", "Drama", "Sci-Fi", "Documentary", "Mystery", "Romance"]
FILLERS = 60  # enough for several pages; ratings repeat so that the tie-breaker matters


def build_catalogue(prefix: str) -> Catalogue:
    catalogue = Catalogue(prefix=prefix)
    for name in GENRE_NAMES:
        catalogue.genres[name] = {
            "id": _uid(f"genre/{name}"),
            "name": name,
            "description": f"{name} films",
            "film_count": 0,
        }
    rows = list(FEATURED)
    for number in range(FILLERS):
        rating = None if number % 20 == 7 else float(number % 7) + 1.5
        genre = "Comedy" if number % 2 else "Drama"
        # One filler mentions an alien in its description only: the title match must outrank it.
        description = "An alien visits a small town." if number == 3 else f"Story number {number}."
        rows.append((f"Filler {number:02d}", rating, [genre], description, [], [], ["Extra Player"]))
    for key, rating, genres, description, directors, writers, actors in rows:
        title = key.partition(" #")[0]
        film_id = _uid(f"film/{key}")
        people = {"director": directors, "writer": writers, "actor": actors}
        for role, names in people.items():
            for name in names:
                person = catalogue.persons.setdefault(
                    name, {"id": _uid(f"person/{name}"), "full_name": name, "films": []}
                )
                entry = next((f for f in person["films"] if f["id"] == film_id), None)
                if entry is None:
                    entry = {"id": film_id, "title": title, "imdb_rating": rating, "roles": []}
                    person["films"].append(entry)
                entry["roles"].append(role)
        for name in genres:
            catalogue.genres[name]["film_count"] += 1

        def refs(names: list[str]) -> list[dict[str, str]]:
            return [{"id": _uid(f"person/{n}"), "name": n} for n in names]

        catalogue.films[key] = {
            "id": film_id,
            "title": title,
            "imdb_rating": rating,
            "description": description,
            "genres": genres,
            "genre_ids": [catalogue.genres[g]["id"] for g in genres],
            "genre_list": [{"id": catalogue.genres[g]["id"], "name": g} for g in genres],
            "directors_names": directors,
            "writers_names": writers,
            "actors_names": actors,
            "directors": refs(directors),
            "writers": refs(writers),
            "actors": refs(actors),
            "creation_date": "1977-05-25",
            "type": "movie",
        }
        catalogue.films[key].update(FEATURED_DETAILS.get(key, {}))
    return catalogue


def seed(es: Elasticsearch, catalogue: Catalogue) -> None:
    documents = {
        es_mappings.MOVIES: catalogue.films.values(),
        es_mappings.GENRES: catalogue.genres.values(),
        es_mappings.PERSONS: catalogue.persons.values(),
    }
    for name, docs in documents.items():
        body = es_mappings.index_body(name)
        # One node: replicas would only keep the test indices yellow.
        body["settings"]["number_of_replicas"] = 0
        es.indices.create(index=catalogue.index(name), **body)
        actions = ({"_index": catalogue.index(name), "_id": doc["id"], "_source": doc} for doc in docs)
        helpers.bulk(es, actions, refresh="wait_for")


@pytest.fixture(scope="session")
def cache_redis(redis_db) -> redis.Redis:
    return redis_db(REDIS_DB)


@pytest.fixture(scope="session")
def catalogue(es, cache_redis) -> Iterator[Catalogue]:
    catalogue = build_catalogue(f"test_api_{uuid.uuid4().hex[:10]}_")
    try:
        seed(es, catalogue)
        yield catalogue
    finally:
        keys = list(cache_redis.scan_iter(match=f"*{catalogue.prefix}*", count=1000))
        if keys:
            cache_redis.delete(*keys)
        # Wildcard deletes are refused (action.destructive_requires_name), so each name is given.
        names = ",".join(catalogue.index(name) for name in es_mappings.INDICES)
        es.indices.delete(index=names, ignore_unavailable=True)


# A port nothing listens on stands in for a dependency that is down.
closed_port = free_port


class ApiProcess(ServiceProcess):
    """`python -m api` in a subprocess with its own settings; its log goes to a file."""

    def __init__(self, name: str, settings: dict[str, str], log_dir: Path, workers: int = 1) -> None:
        self.name = name
        port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("API_")}
        env.update(settings, API_HOST="127.0.0.1", API_PORT=str(port), API_WORKERS=str(workers))
        super().__init__([sys.executable, "-m", "api"], env, log_dir / f"{name}.log", "/api/health", port)

    def wait_until_alive(self, timeout: float = START_TIMEOUT, any_answer: bool = False) -> None:
        try:
            super().wait_until_alive(timeout, any_answer)
        except ServiceDidNotStart as error:
            pytest.fail(f"API {self.name} did not start: {error}")


@pytest.fixture(scope="session")
def api_settings(stack, catalogue) -> dict[str, str]:
    """The settings of the `api` process: the stack's Elasticsearch and Redis, the test indices."""
    # Generous timeouts: on a busy machine a slow answer must not pass for a dependency that is down
    # (the "down" cases point at closed ports and fail at once).
    return {
        "API_CURSOR_SECRET": CURSOR_SECRET,
        "API_INDEX_PREFIX": catalogue.prefix,
        "API_CACHE_TTL": "300",
        "API_ES_TIMEOUT": "30",
        "API_REDIS_TIMEOUT": "10",
        "API_ES_URL": stack.es_url,
        "API_REDIS_URL": stack.redis_url(REDIS_DB),
    }


@pytest.fixture(scope="session")
def api_processes(api_settings, tmp_path_factory) -> Iterator[dict[str, ApiProcess]]:
    log_dir = tmp_path_factory.mktemp("api-logs")
    dead_es = f"http://127.0.0.1:{closed_port()}"
    dead_redis = f"redis://127.0.0.1:{closed_port()}/0"
    settings = {
        "api": api_settings,
        "api_es_down": {**api_settings, "API_ES_URL": dead_es},
        "api_redis_down": {**api_settings, "API_REDIS_URL": dead_redis},
    }
    processes: dict[str, ApiProcess] = {}
    try:
        for name, values in settings.items():
            processes[name] = ApiProcess(name, values, log_dir)
        for process in processes.values():
            process.wait_until_alive()
        yield processes
    finally:
        for process in processes.values():
            process.stop()


def _client(process: ApiProcess) -> httpx.Client:
    return httpx.Client(base_url=process.url, timeout=20)


@pytest.fixture(scope="session")
def api(api_processes) -> Iterator[httpx.Client]:
    with _client(api_processes["api"]) as client:
        yield client


@pytest.fixture(scope="session")
def api_es_down(api_processes) -> Iterator[httpx.Client]:
    with _client(api_processes["api_es_down"]) as client:
        yield client


@pytest.fixture(scope="session")
def api_redis_down(api_processes) -> Iterator[httpx.Client]:
    with _client(api_processes["api_redis_down"]) as client:
        yield client


@pytest.fixture
def bump_generation(cache_redis, catalogue):
    """INCR an index's generation the way the ETL does after a load."""

    def bump(index: str) -> None:
        cache_redis.incr(es_mappings.generation_key(index, catalogue.prefix))

    return bump
