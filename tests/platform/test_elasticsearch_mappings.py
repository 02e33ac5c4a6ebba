"""Every index definition is accepted by the real Elasticsearch; ru_en stems both languages."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

import es_mappings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def es(stack):
    with httpx.Client(base_url=stack.es_url, timeout=30) as client:
        yield client


@pytest.fixture
def scratch_index(es):
    created: list[str] = []

    def create(logical: str) -> str:
        name = f"test_platform_{uuid.uuid4().hex[:8]}_{logical}"
        response = es.put(f"/{name}", json=es_mappings.index_body(logical))
        assert response.status_code == 200, response.text
        created.append(name)
        return name

    yield create
    for name in created:
        es.delete(f"/{name}")


def test_every_mapping_file_is_an_index_definition():
    files = {p.stem for p in (ROOT / "es_mappings").glob("*.json")} - {"analysis"}
    assert files == set(es_mappings.INDICES)
    for path in (ROOT / "es_mappings").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("logical", es_mappings.INDICES)
def test_elasticsearch_accepts_the_index(es, scratch_index, logical):
    name = scratch_index(logical)
    mapping = es.get(f"/{name}/_mapping").json()[name]["mappings"]
    assert mapping["dynamic"] == "strict"
    expected = es_mappings.index_body(logical)["mappings"]["properties"]
    assert set(mapping["properties"]) == set(expected)


def test_movies_keeps_the_established_fields(es, scratch_index):
    name = scratch_index("movies")
    properties = es.get(f"/{name}/_mapping").json()[name]["mappings"]["properties"]
    assert properties["id"]["type"] == "keyword"
    assert properties["imdb_rating"]["type"] == "float"
    assert properties["genres"]["type"] == "keyword"
    assert properties["title"]["analyzer"] == "ru_en"
    assert properties["title"]["fields"]["raw"]["type"] == "keyword"
    for people in ("directors", "actors", "writers"):
        assert properties[people]["type"] == "nested"
        assert properties[f"{people}_names"]["analyzer"] == "ru_en"
    settings = es.get(f"/{name}/_settings").json()[name]["settings"]["index"]
    assert settings["refresh_interval"] == "1s"


def test_strict_mapping_rejects_unknown_fields(es, scratch_index):
    name = scratch_index("movies")
    response = es.put(f"/{name}/_doc/1", json={"id": "1", "title": "x", "box_office": 10})
    assert response.status_code == 400
    assert "strict_dynamic_mapping_exception" in response.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The running stars", ["run", "star"]),
        ("Galaxies and empires", ["galaxi", "empir"]),
        ("Звёздные войны", ["звездн", "войн"]),
        ("и в городах", ["город"]),
    ],
)
def test_ru_en_analyzer_stems_russian_and_english(es, scratch_index, text, expected):
    name = scratch_index("movies")
    response = es.post(f"/{name}/_analyze", json={"analyzer": "ru_en", "text": text})
    assert response.status_code == 200, response.text
    assert [token["token"] for token in response.json()["tokens"]] == expected


def test_search_matches_across_word_forms(es, scratch_index):
    name = scratch_index("movies")
    es.put(f"/{name}/_doc/1?refresh=true", json={"id": "1", "title": "Возвращение звёзд"}).raise_for_status()
    hits = es.post(f"/{name}/_search", json={"query": {"match": {"title": "звезда"}}}).json()["hits"]
    assert hits["total"]["value"] == 1


def test_search_sub_fields_need_nothing_from_the_etl(es, scratch_index):
    """The sub-fields search and suggestions use are filled by Elasticsearch from the ETL's own
    fields: the title folded whole, its words unstemmed, a completion field, people's names in one."""
    name = scratch_index("movies")
    doc = {
        "id": "1",
        "title": "Star Wars: Episode IV",
        "actors_names": ["Mark Hamill"],
        "directors_names": ["George Lucas"],
    }
    es.put(f"/{name}/_doc/1?refresh=true", json=doc).raise_for_status()

    def total(query: dict) -> int:
        return es.post(f"/{name}/_search", json={"query": query}).json()["hits"]["total"]["value"]

    assert total({"term": {"title.folded": "star wars: episode iv"}}) == 1
    assert total({"term": {"title.folded": "star wars"}}) == 0
    assert total({"match_phrase": {"title.words": "wars episode"}}) == 1
    assert total({"match": {"title.words": "war"}}) == 0  # unstemmed
    assert total({"match": {"title": "war"}}) == 1  # stemmed
    assert total({"match_phrase": {"people_names": "george lucas"}}) == 1
    assert total({"match_phrase": {"people_names": "hamill george"}}) == 0  # names stay apart
    suggest = {"suggest": {"s": {"prefix": "star w", "completion": {"field": "title.suggest"}}}}
    options = es.post(f"/{name}/_search", json=suggest).json()["suggest"]["s"][0]["options"]
    assert [option["_id"] for option in options] == ["1"]
