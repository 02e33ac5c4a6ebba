"""A seeded generator of catalogue data in the `content` layout.

Same seed and size, same rows: ids come from a hash of (seed, kind, number) and every table is
drawn from its own seeded random stream, so a film's people never depend on how many films were
asked for before it. Rows are streamed to Postgres with COPY one batch at a time, so memory stays
flat from a thousand films to a million.

The data is meant to exercise the ETL: several genres and people per film, people in many films
and in more than one role, films without a director or a rating, English and Russian text, and
placeholder values ('N/A', empty strings) that must come out of the ETL as null.

Titles are meant to exercise search (`Titles`): most have a coined name that tells them apart,
as real titles have, around words many titles share; some are those shared words alone (short
titles inside longer ones), some continue an earlier title ("Valdoria: Dark Night", "Valdoria
II"), and some repeat an earlier title exactly (remakes).
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from catalogue import words
from catalogue.progress import Progress

EPOCH = datetime(2021, 6, 16, 20, 14, 9, tzinfo=UTC)
PLACEHOLDERS = ("N/A", "")

# Rows in the column order `load` copies them in.
GenreRow = tuple[uuid.UUID, str, str, datetime, datetime]
PersonRow = tuple[uuid.UUID, str, datetime, datetime]
FilmRow = tuple[uuid.UUID, str, str | None, date | None, float | None, str, datetime, datetime]
GenreLink = tuple[uuid.UUID, uuid.UUID, uuid.UUID, datetime]
PersonLink = tuple[uuid.UUID, uuid.UUID, uuid.UUID, str, datetime]


@dataclass(frozen=True)
class CatalogueSize:
    films: int = 999
    persons_per_film: float = 4.2

    @property
    def genres(self) -> int:
        return len(words.GENRES)

    @property
    def persons(self) -> int:
        return max(1, round(self.films * self.persons_per_film))


def stable_uuid(seed: int, kind: str, number: int) -> uuid.UUID:
    digest = hashlib.blake2b(f"{seed}:{kind}:{number}".encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


def _text(rng: random.Random, english: tuple[str, ...], russian: tuple[str, ...]) -> tuple[str, ...]:
    return english if rng.random() < 0.5 else russian


def _description(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return None
    if roll < 0.12:
        return rng.choice(PLACEHOLDERS)
    sentences = _text(rng, words.EN_SENTENCES, words.RU_SENTENCES)
    return " ".join(rng.sample(sentences, rng.randint(1, 3)))


def genre_rows(seed: int) -> Iterator[GenreRow]:
    for number, (name, description) in enumerate(words.GENRES):
        stamp = EPOCH + timedelta(seconds=number)
        yield (stable_uuid(seed, "genre", number), name, description, stamp, stamp)


def person_rows(seed: int, size: CatalogueSize) -> Iterator[PersonRow]:
    rng = random.Random(f"{seed}:persons")
    for number in range(size.persons):
        # A few people carry the placeholder name, like the course data's unknown directors.
        if number % 1500 == 7:
            full_name = "N/A"
        elif rng.random() < 0.5:
            full_name = f"{rng.choice(words.EN_FIRST)} {rng.choice(words.EN_LAST)}"
        else:
            full_name = f"{rng.choice(words.RU_FIRST)} {rng.choice(words.RU_LAST)}"
        stamp = EPOCH + timedelta(seconds=number)
        yield (stable_uuid(seed, "person", number), full_name, stamp, stamp)


class Titles:
    """Film titles from their own random stream (so that a title never shifts anything else).

    `title(shared, english)` turns the shared title words drawn for a film into its title. It
    remembers the last few hundred titles only, so memory stays flat however many films there are.
    """

    REMAKE = 0.03  # the same title as an earlier film
    SEQUEL = 0.06  # an earlier title continued
    WORDS_ONLY = 0.10  # the shared words alone
    NAME_LAST = 0.10  # the words, then a coined name: the name is past the title's first half

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"{seed}:titles")
        self._recent: deque[tuple[str, bool]] = deque(maxlen=500)

    def title(self, shared: str, english: bool) -> str:
        rng = self._rng
        roll = rng.random()
        earlier = [title for title, is_english in self._recent if is_english == english]
        if roll < self.REMAKE and earlier:
            title = rng.choice(earlier)
        elif roll < self.REMAKE + self.SEQUEL and earlier:
            sequels = words.SEQUELS if english else words.RU_SEQUELS
            title = (
                f"{rng.choice(earlier)}: {shared}"
                if rng.random() < 0.5
                else f"{rng.choice(earlier)} {rng.choice(sequels)}"
            )
        elif roll < self.REMAKE + self.SEQUEL + self.WORDS_ONLY:
            title = shared
        elif roll < self.REMAKE + self.SEQUEL + self.WORDS_ONLY + self.NAME_LAST:
            title = f"{shared} {self._name(english)}"
        elif rng.random() < 0.15:
            title = self._name(english)
        else:
            title = f"{self._name(english)} {shared}"
        self._recent.append((title, english))
        return title

    def _name(self, english: bool) -> str:
        syllables = words.EN_SYLLABLES if english else words.RU_SYLLABLES
        # Three syllables at least: shorter names would mostly be the beginnings of longer ones.
        return "".join(self._rng.choices(syllables, k=self._rng.randint(3, 4))).capitalize()


@dataclass
class FilmBatch:
    films: list[FilmRow]
    genre_links: list[GenreLink]
    person_links: list[PersonLink]


def film_batches(seed: int, size: CatalogueSize, batch_size: int = 5000) -> Iterator[FilmBatch]:
    """Films with their genre and person links, `batch_size` films at a time."""
    rng = random.Random(f"{seed}:films")
    titles = Titles(seed)
    persons = size.persons
    # Every person gets into at least one film: film n takes the next `fresh` people in turn.
    fresh = math.ceil(persons / size.films)
    batch = FilmBatch([], [], [])
    link_number = 0
    for number in range(size.films):
        film_id = stable_uuid(seed, "film", number)
        title_words = _text(rng, words.EN_TITLE_WORDS, words.RU_TITLE_WORDS)
        shared = " ".join(rng.sample(title_words, rng.randint(1, 3)))
        title = titles.title(shared, english=title_words is words.EN_TITLE_WORDS)
        rating = None if rng.random() < 0.08 else round(rng.uniform(1.0, 9.9), 1)
        created_on = None if rng.random() < 0.1 else date(1950, 1, 1) + timedelta(days=rng.randrange(27000))
        kind = "tv_show" if rng.random() < 0.15 else "movie"
        stamp = EPOCH + timedelta(seconds=number)
        batch.films.append((film_id, title, _description(rng), created_on, rating, kind, stamp, stamp))

        for genre in rng.sample(range(size.genres), rng.choice((1, 1, 2, 2, 3, 4))):
            link_number += 1
            batch.genre_links.append(
                (
                    stable_uuid(seed, "genre_link", link_number),
                    stable_uuid(seed, "genre", genre),
                    film_id,
                    stamp,
                )
            )

        roles: dict[int, set[str]] = {}
        for slot in range(fresh):
            person = (number * fresh + slot) % persons
            roles.setdefault(person, set()).add("actor" if slot else rng.choice(("actor", "writer")))
        # Popular people: a skewed draw puts the low numbers into many films.
        for _ in range(rng.randint(1, 4)):
            person = int(persons * rng.random() ** 3)
            roles.setdefault(person, set()).add(rng.choice(("actor", "actor", "writer")))
        if rng.random() >= 0.1:
            director = int(persons * rng.random() ** 2)
            roles.setdefault(director, set()).add("director")
            if rng.random() < 0.3:
                roles[director].add("writer")
        for person in sorted(roles):
            for role in sorted(roles[person]):
                link_number += 1
                batch.person_links.append(
                    (
                        stable_uuid(seed, "person_link", link_number),
                        stable_uuid(seed, "person", person),
                        film_id,
                        role,
                        stamp,
                    )
                )

        if len(batch.films) >= batch_size:
            yield batch
            batch = FilmBatch([], [], [])
    if batch.films:
        yield batch


def _copy(cursor: psycopg.Cursor, table: str, columns: str, rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with cursor.copy(f"COPY content.{table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def load(
    conn: psycopg.Connection,
    seed: int = 42,
    size: CatalogueSize | None = None,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Stream a generated catalogue into the (empty) `content` schema of `conn`; commits after
    every batch and returns the row count of each table. `progress` hears of the films committed."""
    size = size or CatalogueSize()
    counts = dict.fromkeys(("genre", "person", "film_work", "genre_film_work", "person_film_work"), 0)
    with conn.cursor() as cur:
        counts["genre"] = _copy(cur, "genre", "id, name, description, created, modified", genre_rows(seed))
        people = person_rows(seed, size)
        while True:
            chunk = [row for _, row in zip(range(batch_size * 4), people, strict=False)]
            if not chunk:
                break
            counts["person"] += _copy(cur, "person", "id, full_name, created, modified", chunk)
            conn.commit()
        for batch in film_batches(seed, size, batch_size):
            counts["film_work"] += _copy(
                cur,
                "film_work",
                "id, title, description, creation_date, rating, type, created, modified",
                batch.films,
            )
            counts["genre_film_work"] += _copy(
                cur, "genre_film_work", "id, genre_id, film_work_id, created", batch.genre_links
            )
            counts["person_film_work"] += _copy(
                cur, "person_film_work", "id, person_id, film_work_id, role, created", batch.person_links
            )
            conn.commit()
            if progress is not None:
                progress.update(counts["film_work"])
    conn.commit()
    return counts
