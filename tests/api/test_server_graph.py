"""Graph reads through the real server on the HPO graph: entities, search, facts, paths, version, sources."""
from __future__ import annotations

import httpx
import pytest

FEVER = "HP:0001945"


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, headers=server.headers("reader"), timeout=30) as c:
        yield c


def test_entity_by_id_and_by_xref(client):
    fever = client.get(f"/v1/entities/{FEVER}").json()
    assert fever["id"] == FEVER and fever["name"] == "Fever" and fever["type"] == "Phenotype"
    assert any(s["text"] == "Pyrexia" for s in fever["synonyms"])
    assert fever["xrefs"], "HPO gives Fever cross-references"
    via_xref = client.get(f"/v1/entities/{fever['xrefs'][0]}")
    assert via_xref.status_code == 200
    assert via_xref.json()["id"] == FEVER and via_xref.json()["requested_id"] == fever["xrefs"][0]


def test_unknown_and_malformed_ids(client):
    r = client.get("/v1/entities/HP:9999999")
    assert r.status_code == 404 and "HP:9999999" in r.json()["error"]["message"]
    for bad in ["fever", "HP:", ":123", "HP:%20x", "x" * 300 + ":1"]:
        r = client.get(f"/v1/entities/{bad}")
        assert r.status_code in (404, 422), (bad, r.status_code)
        assert r.json()["error"]["code"] in ("invalid_request", "not_found")


def test_search_is_paginated_without_overlap(client):
    first = client.get("/v1/entities", params={"q": "fever", "limit": 3}).json()
    assert [e["id"] for e in first["items"]][:1] == [FEVER]
    assert first["next_offset"] == 3
    second = client.get("/v1/entities", params={"q": "fever", "limit": 3, "offset": 3}).json()
    assert second["items"] and not {e["id"] for e in first["items"]} & {e["id"] for e in second["items"]}
    typed = client.get("/v1/entities", params={"q": "fever", "type": "Disease", "limit": 5}).json()
    assert typed["items"] and all(e["type"] == "Disease" for e in typed["items"])
    nothing = client.get("/v1/entities", params={"q": "qqzzxxnotaword"}).json()
    assert nothing["items"] == [] and nothing["next_offset"] is None


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": "   "}, {"q": "fever", "limit": 0}, {"q": "fever", "limit": 101},
    {"q": "fever", "offset": -1}, {"q": "fever", "limit": "ten"}, {"q": "fever", "offset": 10**9},
    {"q": "fever", "type": "Planet"}, {"q": "a\x00b"}, {"q": "x" * 201},
])
def test_bad_search_parameters_are_422_with_the_field(client, params):
    r = client.get("/v1/entities", params=params)
    assert r.status_code == 422, (params, r.text)
    assert r.json()["error"]["code"] == "invalid_request" and r.json()["error"]["message"]


def test_facts_filter_by_predicate_and_direction_and_paginate(client):
    parents = client.get(f"/v1/entities/{FEVER}/facts", params={"predicate": "subclass_of", "direction": "out"}).json()
    assert parents["total"] >= 1 and len(parents["items"]) == parents["total"]
    assert all(f["predicate"] == "subclass_of" and f["subject"] == FEVER for f in parents["items"])
    assert parents["items"][0]["object_name"]
    assert all(f["sources"] and f["sources"][0]["source"] == "hpo" for f in parents["items"])
    everything = client.get(f"/v1/entities/{FEVER}/facts", params={"limit": 7}).json()
    assert everything["total"] > 7 and len(everything["items"]) == 7 and everything["next_offset"] == 7
    page2 = client.get(f"/v1/entities/{FEVER}/facts", params={"limit": 7, "offset": 7}).json()
    assert not {f["id"] for f in everything["items"]} & {f["id"] for f in page2["items"]}
    past_end = client.get(f"/v1/entities/{FEVER}/facts", params={"offset": everything["total"] + 5}).json()
    assert past_end["items"] == [] and past_end["next_offset"] is None
    assert client.get(f"/v1/entities/{FEVER}/facts", params={"predicate": "eats"}).status_code == 422
    assert client.get(f"/v1/entities/{FEVER}/facts", params={"direction": "up"}).status_code == 422
    assert client.get("/v1/entities/HP:9999999/facts").status_code == 404


def test_paths_between_an_entity_and_its_parent(client):
    parent = client.get(f"/v1/entities/{FEVER}/facts",
                        params={"predicate": "subclass_of", "direction": "out"}).json()["items"][0]["object"]
    r = client.get("/v1/paths", params={"from": FEVER, "to": parent, "max_hops": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["from"]["id"] == FEVER and body["to"]["id"] == parent
    assert body["paths"] and [e["id"] for e in body["paths"][0]["entities"]] == [FEVER, parent]
    assert body["paths"][0]["facts"][0]["predicate"] == "subclass_of"


@pytest.mark.parametrize("params,status", [
    ({"from": FEVER}, 422), ({"from": FEVER, "to": FEVER}, 422), ({"from": FEVER, "to": "HP:9999999"}, 404),
    ({"from": FEVER, "to": "HP:0000118", "max_hops": 9}, 422), ({"from": FEVER, "to": "HP:0000118", "limit": 0}, 422),
    ({"from": "nonsense", "to": "HP:0000118"}, 422),
])
def test_bad_path_requests(client, params, status):
    r = client.get("/v1/paths", params=params)
    assert r.status_code == status, r.text


def test_version_and_sources(client):
    v = client.get("/v1/kg/version").json()
    assert v["version"] == f"{v['build_id']}.{v['curation_version']}" and v["build_id"] != "unbuilt"
    sources = client.get("/v1/sources").json()["sources"]
    hpo = next(s for s in sources if s["name"] == "hpo")
    assert hpo["license"] and hpo["attribution"] and hpo["version"]
