"""Pure parts of the catalogue generator: stable ids and the shape of generated films."""

from catalogue.generator import CatalogueSize, film_batches, stable_uuid


def test_stable_uuid_depends_on_seed_kind_and_number():
    assert stable_uuid(1, "film", 5) == stable_uuid(1, "film", 5)
    assert (
        len(
            {
                stable_uuid(1, "film", 5),
                stable_uuid(2, "film", 5),
                stable_uuid(1, "person", 5),
                stable_uuid(1, "film", 6),
            }
        )
        == 4
    )
    assert stable_uuid(1, "film", 5).version == 4


def test_batches_cover_every_film_once_and_respect_the_batch_size():
    size = CatalogueSize(films=250)
    batches = list(film_batches(seed=1, size=size, batch_size=100))
    assert [len(b.films) for b in batches] == [100, 100, 50]
    ids = [film[0] for b in batches for film in b.films]
    assert len(set(ids)) == 250


def test_links_are_unique_and_every_person_is_cast():
    size = CatalogueSize(films=200)
    person_links = [link for b in film_batches(seed=9, size=size) for link in b.person_links]
    triples = [(link[1], link[2], link[3]) for link in person_links]
    assert len(triples) == len(set(triples))
    assert {link[3] for link in person_links} == {"actor", "writer", "director"}
    assert len({link[1] for link in person_links}) == size.persons


def test_titles_hold_the_hard_cases_of_search():
    """Same-titled films, titles inside longer titles, words shared by many titles, and most
    titles told apart by a word of their own; only titles change, never the rest of a film."""
    titles = [film[1] for b in film_batches(seed=42, size=CatalogueSize(films=2000)) for film in b.films]
    counts = {title: titles.count(title) for title in set(titles)}
    assert sum(1 for n in counts.values() if n > 1) >= 20  # remakes
    distinct = set(titles)
    inside = [
        t
        for t in distinct
        if any((o != t and o.startswith(t + " ")) or o.startswith(t + ":") for o in distinct)
    ]
    assert len(inside) >= 50
    assert sum(1 for t in titles if ":" in t) >= 20  # punctuation to fold
    assert sum(1 for t in titles if "Star" in t.split()) >= 20  # a word many titles share
    assert len(distinct) >= 0.9 * len(titles)
    # Titles come from a stream of their own: the same seed gives the same films, whatever the size.
    small = [film for b in film_batches(seed=42, size=CatalogueSize(films=100)) for film in b.films]
    large = [film for b in film_batches(seed=42, size=CatalogueSize(films=2000)) for film in b.films][:100]
    assert [(f[0], f[1], f[3], f[4], f[5]) for f in small] == [(f[0], f[1], f[3], f[4], f[5]) for f in large]
