"""A mapping change while the content API is under load: the ETL builds the changed `movies` index
beside the live one and swaps the alias, and the API answers every request throughout.

The test drives the live stack: the catalogue database, the `movies` alias the running API reads
and Redis db 0, where the API caches its answers. Client threads hammer the API through the
gateway (film details, film lists, film searches, person searches, details and filmographies,
genre lists and details) while the ETL runs in this process with the movies body plus one field,
injected as `body` the way tests/etl/test_etl_mapping_swap.py does. Afterwards the ETL runs again
with the real body, so the stack is left on the index it normally serves.

The response cache: requests are drawn at random (ids, sorts, page sizes and numbers, genres,
words) and a thread bumps the three indices' generations in Redis every BUMP_INTERVAL_SECONDS,
as the ETL does after a load, so answers come from Elasticsearch instead of being replayed from
Redis. The test checks it: Elasticsearch counts searches on the old index until the swap and on
the new one after it.

The live films DAG is kept out meanwhile by holding the index's writer lock (the one every run
takes; it is re-entrant, so this session's runs go ahead): its next run would otherwise swap the
real mapping back in before the assertions. It waits, then finds its index in place.
"""

from __future__ import annotations

import copy
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
import redis
from elasticsearch import Elasticsearch
from stack_control import GATEWAY_URL, wait_for

import es_mappings
from cinema_etl import extract, load, pipeline

CLIENTS = 6
BUMP_INTERVAL_SECONDS = 0.05
# Answers wanted before the ETL starts and after it has swapped, so the load spans the whole run.
ANSWERS_AROUND_RUN = 300
SAMPLE_FILMS = 25
EXTRA_FIELD = "swap_probe"
REDIS_DB = 0  # the running API's cache
MOVIES = es_mappings.MOVIES
# A name the ETL indexes (placeholders are left out, see cinema_etl.transform).
REAL_NAME = "lower(btrim({})) NOT IN ('', 'n/a')"


@dataclass(frozen=True)
class Catalogue:
    """What the clients draw their requests from, read from Postgres."""

    films: list[str]
    persons: list[str]
    genres: list[str]
    title_words: list[str]
    name_words: list[str]

    @classmethod
    def read(cls, conn: psycopg.Connection) -> Catalogue:
        def column(query: str) -> list[str]:
            return sorted(str(row[0]) for row in conn.execute(query))

        def words(texts: list[str]) -> list[str]:
            return sorted({w.lower() for text in texts for w in re.findall(r"\w{3,}", text)})

        return cls(
            films=column("SELECT id FROM content.film_work"),
            persons=column(f"SELECT id FROM content.person WHERE {REAL_NAME.format('full_name')}"),
            genres=column(f"SELECT id FROM content.genre WHERE {REAL_NAME.format('name')}"),
            title_words=words(column("SELECT title FROM content.film_work")),
            name_words=words(column("SELECT full_name FROM content.person")),
        )


def random_request(rng: random.Random, catalogue: Catalogue) -> tuple[str, str, dict[str, Any]]:
    """(kind, path, query parameters) of one request of the mix."""
    kind = rng.choice(
        ["film", "films", "film search", "person search", "person", "person films", "genres", "genre"]
    )
    if kind == "film":
        return kind, f"/api/v1/films/{rng.choice(catalogue.films)}", {}
    if kind == "films":
        params: dict[str, Any] = {
            "sort": rng.choice(["-imdb_rating", "imdb_rating", "title", "-title"]),
            "page_size": rng.randint(1, 100),
            "page_number": rng.randint(1, 10),
        }
        if rng.random() < 0.5:
            params["genre"] = rng.choice(catalogue.genres)
        return kind, "/api/v1/films/", params
    if kind == "film search":
        params = {"query": rng.choice(catalogue.title_words), "page_size": rng.randint(1, 50)}
        return kind, "/api/v1/films/search", params
    if kind == "person search":
        params = {"query": rng.choice(catalogue.name_words), "page_size": rng.randint(1, 50)}
        return kind, "/api/v1/persons/search", params
    if kind == "person":
        return kind, f"/api/v1/persons/{rng.choice(catalogue.persons)}", {}
    if kind == "person films":
        return kind, f"/api/v1/persons/{rng.choice(catalogue.persons)}/film", {}
    if kind == "genres":
        return kind, "/api/v1/genres/", {}
    return kind, f"/api/v1/genres/{rng.choice(catalogue.genres)}", {}


@dataclass
class Load:
    """CLIENTS threads sending `random_request`s through the gateway, and the generation bumper."""

    catalogue: Catalogue
    seed: int
    cache: redis.Redis
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    guard: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def answered(self) -> int:
        with self.guard:
            return sum(self.statuses.values())

    def not_2xx(self) -> dict[tuple[str, int], int]:
        return {key: n for key, n in self.statuses.items() if not 200 <= key[1] < 300}

    def client(self, number: int) -> None:
        rng = random.Random(self.seed + number)
        with httpx.Client(base_url=GATEWAY_URL, timeout=30) as http:
            while not self.stop.is_set():
                kind, path, params = random_request(rng, self.catalogue)
                try:
                    status = http.get(path, params=params).status_code
                except httpx.TransportError as error:
                    with self.guard:
                        self.errors.append(f"{kind} {path} {params}: {type(error).__name__}: {error}")
                    continue
                with self.guard:
                    self.statuses[kind, status] += 1

    def bump(self) -> None:
        keys = [es_mappings.generation_key(index) for index in es_mappings.INDICES]
        while not self.stop.wait(BUMP_INTERVAL_SECONDS):
            try:
                for key in keys:
                    self.cache.incr(key)
            except redis.RedisError as error:
                with self.guard:
                    self.errors.append(f"generation bump: {type(error).__name__}: {error}")

    @contextmanager
    def running(self) -> Iterator[Load]:
        threads = [threading.Thread(target=self.client, args=(n,)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=self.bump))
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()


def searches(es: Elasticsearch, versioned_name: str) -> int:
    """The searches `versioned_name` has answered since it was created."""
    stats = es.indices.stats(index=versioned_name, metric="search")
    return int(stats["indices"][versioned_name]["total"]["search"]["query_total"])


class ObservedRun(pipeline.IndexRun):
    """An ETL run that notes, just before its swap, how many searches the old index had answered
    and how many answers the load had had."""

    load: Load
    searches_before_swap: dict[str, int]
    answered_before_swap: int

    def swap(self) -> None:
        self.searches_before_swap = {name: searches(self.es, name) for name in self.to_replace or []}
        self.answered_before_swap = self.load.answered()
        super().swap()


def api_answers(catalogue: Catalogue, seed: int) -> dict[str, Any]:
    """The API's answers for SAMPLE_FILMS film details, the first page of the films by rating
    and a few searches, by request."""
    rng = random.Random(seed)
    paths = [f"/api/v1/films/{film_id}" for film_id in rng.sample(catalogue.films, SAMPLE_FILMS)]
    paths.append("/api/v1/films/?sort=-imdb_rating&page_size=100")
    paths += [f"/api/v1/films/search?query={word}" for word in rng.sample(catalogue.title_words, 5)]
    answers: dict[str, Any] = {}
    with httpx.Client(base_url=GATEWAY_URL, timeout=30) as http:
        for path in paths:
            response = http.get(path)
            assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
            answers[path] = response.json()
    return answers


@dataclass
class LiveCatalogue:
    """The live catalogue's connection, holding the movies writer lock, and the API's cache."""

    conn: psycopg.Connection
    cache: redis.Redis


@pytest.fixture
def live(stack, es, redis_db) -> Iterator[LiveCatalogue]:
    """The three live indices current with their real bodies before the test, and `movies` again
    after it, whatever the test did (that run also drops an index a failed run left behind)."""
    alias = es_mappings.index_name(MOVIES)
    with extract.connect(stack.pg_dsn()) as conn, pipeline.index_lock(conn, alias):
        live = LiveCatalogue(conn, redis_db(REDIS_DB))
        try:
            for index in es_mappings.INDICES:
                pipeline.IndexRun(conn, es, live.cache, index).run()
            yield live
        finally:
            pipeline.IndexRun(conn, es, live.cache, MOVIES).run()
    assert load.concrete_indices(es, alias) == [es_mappings.versioned_name(MOVIES)]


def test_a_mapping_change_is_swapped_in_while_the_api_is_under_load(live, es):
    seed = random.randrange(2**32)
    print(f"\nseed {seed}")
    catalogue = Catalogue.read(live.conn)
    alias = es_mappings.index_name(MOVIES)
    old = load.concrete_indices(es, alias)
    assert old == [es_mappings.versioned_name(MOVIES)]
    body = copy.deepcopy(es_mappings.index_body(MOVIES))
    body["mappings"]["properties"][EXTRA_FIELD] = {"type": "keyword"}
    new = es_mappings.versioned_name(MOVIES, body=body)
    assert new not in old
    before = api_answers(catalogue, seed)
    old_searches = {name: searches(es, name) for name in old}

    with Load(catalogue, seed, live.cache).running() as traffic:
        wait_for("the load to get going", lambda: traffic.answered() >= ANSWERS_AROUND_RUN, timeout=120)
        run = ObservedRun(live.conn, es, live.cache, MOVIES, body=body)
        run.load = traffic
        started = time.monotonic()
        report = run.run()
        seconds = time.monotonic() - started
        after_swap = traffic.answered()
        wait_for(
            "the load to go on after the swap",
            lambda: traffic.answered() >= after_swap + ANSWERS_AROUND_RUN,
            timeout=120,
        )
    new_searches = searches(es, new)

    print(
        f"{traffic.answered()} answers {dict(traffic.statuses)}, {len(traffic.errors)} errors;"
        f" the run took {seconds:.1f} s ({run.answered_before_swap} answers before its swap);"
        f" {report.summary()}"
    )
    assert traffic.not_2xx() == {}
    assert traffic.errors == []
    assert report.created and report.replaced == old
    assert run.answered_before_swap >= ANSWERS_AROUND_RUN
    # The API's reads reached Elasticsearch, not only Redis, on each side of the swap.
    assert all(run.searches_before_swap[name] > old_searches[name] for name in old)
    assert new_searches > 0
    assert load.concrete_indices(es, alias) == [new]
    assert not any(es.indices.exists(index=name) for name in old)
    mapping = es.indices.get_mapping(index=alias).body[new]["mappings"]["properties"]
    assert mapping[EXTRA_FIELD] == {"type": "keyword"}
    films = live.conn.execute("SELECT count(*) FROM content.film_work").fetchone()
    assert films is not None
    assert es.count(index=new)["count"] == films[0]
    assert api_answers(catalogue, seed) == before
