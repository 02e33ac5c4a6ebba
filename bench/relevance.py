"""Search relevance benchmark (a script that prints numbers, not a test): `make bench-relevance`.

For each size (default 1,000 and 100,000 films) a catalogue is generated (seed 42) into a scratch
database and indexed by the ETL into indices of its own (`bench_relevance_<random>_*`); then,
for every distinct title, queries built from it:

- `exact`: the title as it is; `lowercase`: the title lowercased;
- `typo`: one letter of its longest word changed (words of 3 letters or more; seeded);
- `prefix`: its first 60% of characters (what someone types before choosing);
- `shuffled`: its words in another order (titles of two words or more);

and for people: `film-by-person` (a film's director or first actor by full name: a hit is any film
with a person of that name) and `person-exact`/`person-typo`/`person-prefix` against the person
search (a hit is any person with that name). A film ties with the films of the same title, so
the rank of a query is the position of the first film with the source title in the top 10; a
query that is itself another film's title (typing `Anbri` for `Anbricor` when a film is called
Anbri) counts that film as a hit too.

Each query is sent as the very body the API sends (`api.repositories.films.search_request`,
`api.repositories.persons`), in `_msearch` batches, and again as the single `multi_match` the
API sent before (the baseline, measured in the same run). Printed per kind: MRR@10 and top-1
rate for both, and the worst queries. Targets: exact title first for 100% of distinct titles,
MRR@10 >= 0.97 with one typo, >= 0.9 for prefixes. `--sample N` (default 5,000) caps the titles
per kind (seeded; 0: every title). Scratch databases and indices are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from elasticsearch import Elasticsearch
from psycopg import sql
from psycopg.conninfo import make_conninfo

import es_mappings
from api.models.query import FilmSearchQuery, SuggestQuery
from api.repositories.films import search_request
from api.repositories.relevance import PERSON_ORDER, folded, person_query
from api.repositories.suggestions import SUGGEST_FILTER, suggest_searches
from bench.figures import Figure, save
from catalogue import SCHEMA_SQL
from catalogue.generator import CatalogueSize, load
from catalogue.progress import Progress
from cinema_etl import extract, pipeline
from devtools.processes import ServiceProcess, free_port

TOP = 10
BATCH = 100
PREFIX_SHARE = 0.6
FILM_KINDS = ("exact", "lowercase", "typo", "prefix", "shuffled", "film-by-person")
PERSON_KINDS = ("person-exact", "person-typo", "person-prefix")
PEOPLE = ["actors_names", "directors_names", "writers_names"]


# --------------------------------------------------------------------------- queries
@dataclass(frozen=True)
class Probe:
    """One query and what counts as a hit for it."""

    kind: str
    text: str
    target: str  # the title (or person name) a hit must have, folded


def with_typo(text: str, rng: random.Random) -> str | None:
    """`text` with one letter of its longest word replaced, or None when no word is long enough."""
    words = text.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if len(letters) < 3:
        return None
    position = rng.choice(letters[1:])  # keep the first letter, as most typos do
    alphabet = (
        "абвгдежзиклмнопрстуфхцчшщыэюя"
        if "а" <= word[position].lower() <= "я"
        else "abcdefghijklmnopqrstuvwxyz"
    )
    replacement = rng.choice([ch for ch in alphabet if ch != word[position].lower()])
    words[longest] = word[:position] + replacement + word[position + 1 :]
    return " ".join(words)


def prefix_of(text: str) -> str:
    return text[: max(1, round(len(text) * PREFIX_SHARE))].rstrip(" :")


def shuffled(text: str, rng: random.Random) -> str | None:
    words = text.split()
    if len(words) < 2:
        return None
    order = words[:]
    while order == words:
        rng.shuffle(order)
    return " ".join(order)


def film_probes(titles: list[str], people: list[str], rng: random.Random, sample: int) -> list[Probe]:
    distinct = sorted(set(titles))
    if sample and len(distinct) > sample:
        distinct = rng.sample(distinct, sample)
    probes: list[Probe] = []
    for title in distinct:
        target = folded(title)
        probes.append(Probe("exact", title, target))
        probes.append(Probe("lowercase", title.lower(), target))
        typo = with_typo(title, rng)
        if typo:
            probes.append(Probe("typo", typo, target))
        probes.append(Probe("prefix", prefix_of(title), target))
        mixed = shuffled(title, rng)
        if mixed:
            probes.append(Probe("shuffled", mixed, target))
    names = sorted(set(people))
    if sample and len(names) > sample:
        names = rng.sample(names, sample)
    probes.extend(Probe("film-by-person", name, folded(name)) for name in names)
    return probes


def person_probes(names: list[str], rng: random.Random, sample: int) -> list[Probe]:
    distinct = sorted(set(names))
    if sample and len(distinct) > sample:
        distinct = rng.sample(distinct, sample)
    probes: list[Probe] = []
    for name in distinct:
        probes.append(Probe("person-exact", name, folded(name)))
        typo = with_typo(name, rng)
        if typo:
            probes.append(Probe("person-typo", typo, folded(name)))
        probes.append(Probe("person-prefix", prefix_of(name), folded(name)))
    return probes


# --------------------------------------------------------------------------- the two rankings
def api_film_body(text: str) -> dict[str, Any]:
    body = search_request(FilmSearchQuery(query=text, page_size=TOP))
    return {"query": body["query"], "sort": body["sort"], "size": TOP}


def baseline_film_body(text: str) -> dict[str, Any]:
    """The search the API sent before: one best_fields multi_match, typos everywhere."""
    fields = ["title^5", "actors_names^2", "directors_names^2", "writers_names^2", "genres^2", "description"]
    query = {"multi_match": {"query": text, "fields": fields, "type": "best_fields", "tie_breaker": 0.3,
                             "fuzziness": "AUTO", "lenient": True}}  # fmt: skip
    return {"query": query, "sort": [{"_score": "desc"}, {"id": "asc"}], "size": TOP}


def api_person_body(text: str) -> dict[str, Any]:
    return {"query": person_query(" ".join(text.split())), "sort": PERSON_ORDER, "size": TOP}


def baseline_person_body(text: str) -> dict[str, Any]:
    query = {"match": {"full_name": {"query": text, "fuzziness": "AUTO"}}}
    return {"query": query, "sort": [{"_score": "desc"}, {"id": "asc"}], "size": TOP}


# --------------------------------------------------------------------------- scoring
@dataclass
class KindScore:
    queries: int = 0
    reciprocal_sum: float = 0.0
    first: int = 0
    misses: list[tuple[int, Probe, str]] = field(default_factory=list)  # (rank or 99, probe, top title)

    def add(self, probe: Probe, rank: int | None, top: str) -> None:
        self.queries += 1
        if rank is not None:
            self.reciprocal_sum += 1 / rank
            self.first += rank == 1
        if rank != 1:
            self.misses.append((rank or TOP + 1, probe, top))

    @property
    def mrr(self) -> float:
        return self.reciprocal_sum / self.queries if self.queries else 0.0

    @property
    def top1(self) -> float:
        return self.first / self.queries if self.queries else 0.0


HitRule = Callable[[dict[str, Any], str, str], bool]


def rank_of(hits: list[dict[str, Any]], probe: Probe, is_hit: HitRule) -> int | None:
    for position, hit in enumerate(hits, start=1):
        if is_hit(hit["_source"], probe.target, probe.text):
            return position
    return None


def film_hit(source: dict[str, Any], target: str, text: str = "") -> bool:
    title = folded(source.get("title") or "")
    return title == target or title == folded(text)


def film_has_person(source: dict[str, Any], target: str, text: str = "") -> bool:
    return any(folded(name) == target for role in PEOPLE for name in source.get(role) or [])


def person_hit(source: dict[str, Any], target: str, text: str = "") -> bool:
    name = folded(source.get("full_name") or "")
    return name == target or name == folded(text)


def evaluate(
    es: Elasticsearch,
    index: str,
    probes: list[Probe],
    body: Callable[[str], dict[str, Any]],
    hit_rule: Callable[[Probe], HitRule],
    source: list[str],
) -> tuple[dict[str, KindScore], float]:
    """Every probe through `_msearch`; the scores per kind and the queries per second."""
    scores: dict[str, KindScore] = defaultdict(KindScore)
    started = time.perf_counter()
    for batch in chunks(probes, BATCH):
        searches: list[dict[str, Any]] = []
        for probe in batch:
            searches += [{"index": index}, {**body(probe.text), "_source": source}]
        responses = es.msearch(searches=searches)["responses"]
        for probe, response in zip(batch, responses, strict=True):
            if "error" in response:
                raise RuntimeError(f"{probe}: {response['error']}")
            hits = response["hits"]["hits"]
            first = hits[0]["_source"] if hits else {}
            top = first.get("title") or first.get("full_name") or ""
            scores[probe.kind].add(probe, rank_of(hits, probe, hit_rule(probe)), top)
    return scores, len(probes) / (time.perf_counter() - started)


def chunks(items: list[Probe], size: int) -> Iterator[list[Probe]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- suggestion latency
SUGGESTIONS = 400


def suggestion_latency(es_url: str, prefix: str, texts: list[str], rng: random.Random) -> tuple[float, float]:
    """p50 in ms of `GET /api/v1/suggest` from an API process without cache (`API_CACHE_TTL=0`)
    and of the same `_msearch` sent straight to Elasticsearch, over prefixes of 2-8 characters
    of titles and names, one request at a time on a kept-alive connection each."""
    typed = [text[: rng.randint(2, 8)] for text in rng.sample(texts, min(SUGGESTIONS, len(texts)))]
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("API_")}
    env.update(
        API_HOST="127.0.0.1",
        API_PORT=str(port),
        API_ES_URL=es_url,
        API_INDEX_PREFIX=prefix,
        API_CACHE_TTL="0",
        # A throwaway process: any key will do, it signs no cursor anyone keeps.
        API_CURSOR_SECRET=secrets.token_urlsafe(24),
    )
    log = Path(tempfile.mkdtemp(prefix="bench-relevance-")) / "api.log"
    api = ServiceProcess([sys.executable, "-m", "api"], env, log, "/api/health", port)
    api.wait_until_alive()
    try:
        api_times, es_times = [], []
        with httpx.Client(base_url=api.url, timeout=30) as client, httpx.Client(timeout=30) as direct:
            for text in typed[:20]:  # warm-up of both paths
                client.get("/api/v1/suggest", params={"query": text})
            for text in typed:
                started = time.perf_counter()
                response = client.get("/api/v1/suggest", params={"query": text})
                api_times.append(time.perf_counter() - started)
                response.raise_for_status()
                searches = suggest_searches(SuggestQuery(query=" ".join(text.split()) or "a"), prefix)
                body = b"".join(orjson.dumps(line) + b"\n" for line in searches)
                started = time.perf_counter()
                answer = direct.post(
                    f"{es_url}/_msearch",
                    params={"filter_path": ",".join(SUGGEST_FILTER)},
                    content=body,
                    headers={"Content-Type": "application/x-ndjson"},
                )
                es_times.append(time.perf_counter() - started)
                answer.raise_for_status()
    finally:
        api.stop()
    return statistics.median(api_times) * 1000, statistics.median(es_times) * 1000


# --------------------------------------------------------------------------- the catalogue
def admin_dsn() -> str:
    return (
        f"postgresql://{os.environ['POSTGRES_USER']}:{os.environ['POSTGRES_PASSWORD']}"
        f"@127.0.0.1:{os.environ.get('POSTGRES_PORT', '5432')}/postgres"
    )


def create_catalogue(admin: str, films: int) -> str:
    name = f"bench_relevance_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_conninfo(admin, dbname=name)
    with psycopg.connect(dsn) as conn:
        conn.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
        conn.commit()
        load(conn, seed=42, size=CatalogueSize(films=films), progress=Progress("  generated films", films))
        conn.execute("ANALYZE")
        conn.commit()
    return dsn


def drop_database(admin: str, dsn: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def catalogue_texts(dsn: str) -> tuple[list[str], list[str], list[str]]:
    """Film titles, one person's name per film (its director, else its first actor), every name."""
    with psycopg.connect(dsn) as conn:
        titles = [row[0] for row in conn.execute("SELECT title FROM content.film_work WHERE title <> 'N/A'")]
        film_people = [
            row[0]
            for row in conn.execute(
                """SELECT DISTINCT ON (pfw.film_work_id) p.full_name
                FROM content.person_film_work pfw JOIN content.person p ON p.id = pfw.person_id
                WHERE p.full_name <> 'N/A'
                ORDER BY pfw.film_work_id, pfw.role = 'director' DESC, pfw.created, p.id"""
            )
        ]
        names = [
            row[0] for row in conn.execute("SELECT full_name FROM content.person WHERE full_name <> 'N/A'")
        ]
    return titles, film_people, names


# --------------------------------------------------------------------------- main
def print_scores(size: int, ours: dict[str, KindScore], before: dict[str, KindScore], worst: int) -> None:
    head = f"{'kind':<15} {'queries':>8} {'MRR@10':>7} {'top-1':>7}"
    print(f"\n{size:,} films: {head} | before: {'MRR@10':>7} {'top-1':>7}")
    for kind in (*FILM_KINDS, *PERSON_KINDS):
        if kind not in ours:
            continue
        a, b = ours[kind], before[kind]
        ours_row = f"{kind:<15} {a.queries:>8,} {a.mrr:>7.3f} {a.top1:>7.1%}"
        print(f"{'':<13} {ours_row} | {'':>7} {b.mrr:>7.3f} {b.top1:>7.1%}")
    for kind in (*FILM_KINDS, *PERSON_KINDS):
        misses = sorted(ours[kind].misses, key=lambda miss: (-miss[0], miss[1].text)) if kind in ours else []
        if misses:
            print(f"  worst {kind} queries (rank 11 = not in the top 10):")
            for rank, probe, top in misses[:worst]:
                print(f"    rank {rank:>2}  {probe.text!r} for {probe.target!r}; first: {top!r}")


TARGETS: dict[str, tuple[str, str, float]] = {
    # kind: (measure, target in words, threshold)
    "exact": ("top1", "100% first", 1.0),
    "typo": ("mrr", ">= 0.97", 0.97),
    "prefix": ("mrr", ">= 0.9", 0.9),
}


def figures_for(size: int, ours: dict[str, KindScore], before: dict[str, KindScore]) -> list[Figure]:
    figures = []
    for kind in (*FILM_KINDS, *PERSON_KINDS):
        if kind not in ours:
            continue
        measure, target, threshold = TARGETS.get(kind, ("mrr", "", 0.0))
        value = getattr(ours[kind], measure)
        baseline = getattr(before[kind], measure)
        label = "top-1 rate" if measure == "top1" else "MRR@10"
        figures.append(
            Figure(
                f"{kind} queries, {label}, {size:,} films ({ours[kind].queries:,} queries)",
                value,
                "",
                baseline,
                "the single multi_match searched before",
                target,
                value >= threshold if target else None,
            )
        )
    return figures


def run_size(es: Elasticsearch, es_url: str, films: int, sample: int, seed: int, worst: int) -> list[Figure]:
    admin = admin_dsn()
    prefix = f"bench_relevance_{uuid.uuid4().hex[:8]}_"
    started = time.perf_counter()
    dsn = create_catalogue(admin, films)
    try:
        with extract.connect(dsn) as conn:
            for index in es_mappings.INDICES:
                pipeline.IndexRun(conn, es, None, index, prefix, 1000).run()
        movies = es_mappings.index_name(es_mappings.MOVIES, prefix)
        persons = es_mappings.index_name(es_mappings.PERSONS, prefix)
        es.indices.refresh(
            index=",".join(es_mappings.index_name(name, prefix) for name in es_mappings.INDICES)
        )
        titles, film_people, names = catalogue_texts(dsn)
        took = time.perf_counter() - started
        distinct = f"{len(set(titles)):,} distinct titles, {len(set(names)):,} distinct names"
        print(f"  {films:,} films generated and indexed in {took:.0f} s; {distinct}", flush=True)
        rng = random.Random(seed)
        probes = film_probes(titles, film_people, rng, sample)
        people = person_probes(names, rng, sample)
        if sample and max(len(set(titles)), len(set(names))) > sample:
            # Every title at 100,000 films is about a million queries per side: a sample says so.
            print(f"  a sample: at most {sample:,} titles and names per kind, seed {seed} (--sample 0: all)")

        def film_rule(probe: Probe) -> HitRule:
            return film_has_person if probe.kind == "film-by-person" else film_hit

        film_source = ["title", *PEOPLE]
        ours, rate = evaluate(es, movies, probes, api_film_body, film_rule, film_source)
        before, _ = evaluate(es, movies, probes, baseline_film_body, film_rule, film_source)
        ours_p, _ = evaluate(es, persons, people, api_person_body, lambda _: person_hit, ["full_name"])
        before_p, _ = evaluate(es, persons, people, baseline_person_body, lambda _: person_hit, ["full_name"])
        print(f"  {len(probes):,} film queries at {rate:,.0f} queries/s (the API's query, _msearch)")
        ours.update(ours_p)
        before.update(before_p)
        print_scores(films, ours, before, worst)
        api_p50, es_p50 = suggestion_latency(es_url, prefix, titles + names, rng)
        print(f"\n  uncached suggestions: p50 {api_p50:.2f} ms via the API, {es_p50:.2f} ms straight to ES")
        suggest = Figure(
            f"uncached suggestion p50 via the API, {films:,} films (c=1)", api_p50, "ms", es_p50,
            "the same _msearch straight to Elasticsearch", "<= 5 ms", api_p50 <= 5,
        )  # fmt: skip
        return [*figures_for(films, ours, before), suggest]
    finally:
        drop_database(admin, dsn)
        # The ETL's names are aliases of versioned indices: delete what they point to.
        names = ",".join(es_mappings.index_name(n, prefix) for n in es_mappings.INDICES)
        concrete = es.indices.get(index=names, ignore_unavailable=True)
        if concrete:
            es.indices.delete(index=",".join(concrete))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--films", default="1000,100000", help="comma-separated catalogue sizes")
    parser.add_argument(
        "--sample",
        type=int,
        default=5000,
        help="at most this many titles (and names) per size, seeded; 0: all",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="typo and sample seed (default: random, printed)"
    )
    parser.add_argument("--worst", type=int, default=8, help="worst queries printed per kind")
    parser.add_argument("--es", default=f"http://127.0.0.1:{os.environ.get('ES_PORT', '9200')}")
    parser.add_argument("--json", metavar="PATH", help="also write the figures for bench/report.py")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    print(f"seed {seed} (--seed {seed} builds the same queries)", flush=True)
    es = Elasticsearch(args.es, request_timeout=300)
    figures: list[Figure] = []
    try:
        for films in (int(size) for size in args.films.split(",")):
            figures += run_size(es, args.es, films, args.sample, seed, args.worst)
    finally:
        es.close()
    save(args.json, "relevance", figures)
    failed = [figure.name for figure in figures if figure.passed is False]
    if failed:
        print("\nmissed targets: " + "; ".join(failed), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
