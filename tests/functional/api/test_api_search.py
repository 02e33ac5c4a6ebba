"""`/api/v1/films/search` and `/api/v1/persons/search`: relevance over title, people, genres and
description, in the order the API promises (exact title, phrase, all words, exact words above
typos, the last word as a prefix, title above people above genres above description)."""

from __future__ import annotations

import es_mappings


def titles(api, query: str, **params) -> list[str]:
    response = api.get("/api/v1/films/search", params={"query": query, **params})
    assert response.status_code == 200
    return [film["title"] for film in response.json()]


def test_search_by_title_word(api):
    assert set(titles(api, "star")[:2]) == {"Star Wars", "Star Trek"}


def test_title_match_outranks_description_match(api):
    found = titles(api, "alien")
    assert found[0] == "Alien"
    assert "Filler 03" in found  # its description mentions an alien


def test_search_tolerates_one_typo(api):
    assert titles(api, "blade runer")[0] == "Blade Runner"
    assert titles(api, "Alein")[0] == "Alien"


def test_search_by_person_and_genre(api):
    assert titles(api, "Sigourney Weaver") == ["Alien"]
    assert "Star Wars" in titles(api, "Action")


EPISODE_V = "Star Wars: Episode V - The Empire Strikes Back"


def test_whole_title_beats_a_short_title_sharing_one_word(api):
    # The report: "Dog Star Man" came first for `star wars`, before any Star Wars.
    found = titles(api, "star wars")
    assert found[:3] == ["Star Wars", EPISODE_V, "Wars of the Star"]
    assert found.index("Dog Star Man") > 2


def test_exact_title_first_with_case_and_punctuation_folded(api):
    assert titles(api, "STAR WARS")[0] == "Star Wars"
    assert titles(api, "star wars episode v the empire strikes back")[0] == EPISODE_V
    assert titles(api, "Star Wars: Episode V - The Empire Strikes Back")[0] == EPISODE_V
    assert titles(api, "dog star man")[0] == "Dog Star Man"


def test_phrase_above_scattered_words(api):
    # Both have every word; only Star Wars has them in this order.
    found = titles(api, "wars of the star")
    assert found[0] == "Wars of the Star"
    assert found.index("Star Wars") > 0
    assert titles(api, "the star")[0] == "Wars of the Star"


def test_exact_words_above_typos_and_one_typo_still_finds_the_title(api):
    assert titles(api, "star wras")[0] == "Star Wars"
    assert titles(api, "blade runer")[0] == "Blade Runner"
    assert titles(api, "Alein")[0] == "Alien"


def test_last_word_is_matched_as_a_prefix(api):
    assert titles(api, "star wa")[:2] == ["Star Wars", EPISODE_V]
    assert titles(api, "blade ru")[0] == "Blade Runner"


def test_the_likeliest_completion_of_the_last_word_first(api, es, catalogue, bump_generation):
    # Three one-word titles starting with `brith` (5 letters): people type about 60% of a title
    # before they search, so 3 letters left (Brithaxi) is likelier than 2 (Brithon) or 7
    # (Brithazenpel), though both others are rated higher (which alone would put them first).
    index = catalogue.index(es_mappings.MOVIES)
    added = {"Brithaxi": 5.0, "Brithazenpel": 9.0, "Brithon": 9.5}
    for number, (title, rating) in enumerate(added.items()):
        doc = {**catalogue.films["Lucas"], "id": f"00000000-0000-4000-8000-00000000c1{number:02d}"}
        es.index(index=index, id=doc["id"], document={**doc, "title": title, "imdb_rating": rating})
    try:
        es.indices.refresh(index=index)
        bump_generation(es_mappings.MOVIES)
        assert titles(api, "brith")[:3] == ["Brithaxi", "Brithon", "Brithazenpel"]
        assert titles(api, "brithaz")[0] == "Brithazenpel"
        assert titles(api, "brithon")[0] == "Brithon"  # the exact title above every completion
    finally:
        for number in range(len(added)):
            es.delete(index=index, id=f"00000000-0000-4000-8000-00000000c1{number:02d}", refresh=True)
        bump_generation(es_mappings.MOVIES)


def test_title_above_people(api):
    # A film called Lucas first, then the film George Lucas made.
    assert titles(api, "lucas") == ["Lucas", "Star Wars"]
    assert set(titles(api, "kershner")) == {EPISODE_V, "Solaris"}  # he directed one and wrote the other


def test_films_of_one_title_tie_and_the_rating_breaks_the_tie(api, catalogue):
    response = api.get("/api/v1/films/search", params={"query": "solaris"})
    found = response.json()
    assert [film["title"] for film in found[:2]] == ["Solaris", "Solaris"]
    assert [film["uuid"] for film in found[:2]] == [
        catalogue.film_id("Solaris"),
        catalogue.film_id("Solaris #2"),
    ]
    assert titles(api, "solaris") == titles(api, "solaris")  # the same order every time


def test_stemming_is_kept(api):
    assert titles(api, "star war")[0] == "Star Wars"
    assert "Wars of the Star" in titles(api, "war")


def persons(api, query: str) -> list[str]:
    response = api.get("/api/v1/persons/search", params={"query": query})
    assert response.status_code == 200
    return [person["full_name"] for person in response.json()]


def test_person_search_ranks_names_the_same_way(api):
    assert persons(api, "george lucas")[0] == "George Lucas"
    assert persons(api, "GEORGE LUCAS")[0] == "George Lucas"
    assert persons(api, "george luca")[0] == "George Lucas"  # the last word as a prefix
    assert persons(api, "george lucsa")[0] == "George Lucas"  # a typo
    assert set(persons(api, "george")[:2]) == {"George Lucas", "George Clooney"}
    assert persons(api, "harrison")[0] == "Harrison Ford"


def test_search_results_are_short_films_and_paginate_without_overlap(api, catalogue):
    response = api.get("/api/v1/films/search", params={"query": "story", "page_size": 100})
    everything = response.json()
    assert int(response.headers["x-total-count"]) == len(everything) == 60 - 1  # Filler 03 is about an alien
    assert set(everything[0]) == {"uuid", "title", "imdb_rating"}
    paged = []
    for page_number in range(1, 8):
        paged += api.get(
            "/api/v1/films/search", params={"query": "story", "page[size]": 10, "page[number]": page_number}
        ).json()
    assert [f["uuid"] for f in paged] == [f["uuid"] for f in everything]


def test_search_without_match_is_an_empty_list(api):
    assert titles(api, "zzzqqqxxx") == []
