"""Questions, linking, retrieval and triage through the real server: the command line's JSON contract."""
from __future__ import annotations

import httpx
import pytest

ENTITY_KEYS = {"id", "name", "type", "xrefs"}


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, headers=server.headers("reader"), timeout=60) as c:
        yield c


def test_link_finds_fever_at_its_offsets(client):
    text = "I have had a fever and a bad headache since Monday"
    r = client.post("/v1/link", json={"text": text})
    assert r.status_code == 200
    body = r.json()
    assert body["text"] == text
    fever = next(m for m in body["mentions"] if m["entity"]["id"] == "HP:0001945")
    assert text[fever["start"]:fever["end"]] == fever["text"] and "fever" in fever["text"].lower()
    assert 0 < fever["score"] <= 1 and set(fever["entity"]) >= ENTITY_KEYS


def test_link_accepts_type_priors(client):
    r = client.post("/v1/link", json={"text": "fever and seizures", "types": ["Phenotype"]})
    assert r.status_code == 200
    assert {m["entity"]["id"] for m in r.json()["mentions"]} >= {"HP:0001945"}


def test_ask_returns_the_contract_with_citations_among_the_facts(client):
    r = client.post("/v1/ask", json={"question": "what are the features of Marfan syndrome?", "extractive": True})
    assert r.status_code == 200
    body = r.json()
    assert {"question", "answer", "abstained", "entities", "facts", "citations"} <= set(body)
    assert isinstance(body["abstained"], bool) and isinstance(body["answer"], str) and body["answer"]
    fact_ids = {f["id"] for f in body["facts"]}
    assert set(body["citations"]) <= fact_ids
    for f in body["facts"]:
        assert {"id", "subject", "predicate", "object", "sources"} <= set(f)
    for e in body["entities"]:
        assert set(e) >= ENTITY_KEYS


def test_ask_declines_a_question_outside_the_graph(client):
    body = client.post("/v1/ask", json={"question": "who won the football world cup in 1998?"}).json()
    assert body["abstained"] is True and body["citations"] == []


def test_retrieve_returns_ranked_facts(client):
    r = client.post("/v1/retrieve", json={"question": "what are the symptoms of Marfan syndrome?", "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert {"question", "mentions", "intent", "facts", "paths"} <= set(body)
    assert len(body["facts"]) <= 5
    scores = [f["score"] for f in body["facts"]]
    assert scores == sorted(scores, reverse=True)


def test_triage_contract_and_answers_override_the_text(client):
    text = "I have a high fever and a stiff neck, no rash"
    r = client.post("/v1/triage", json={"text": text, "age": 30, "sex": "female"})
    assert r.status_code == 200
    body = r.json()
    assert {"text", "findings", "candidates", "urgency", "red_flags", "next_questions", "disclaimer"} <= set(body)
    assert body["urgency"] in ("emergency", "urgent", "routine", "self-care")
    assert body["disclaimer"]
    present = {f["entity"]["id"]: f["present"] for f in body["findings"]}
    assert present and all(isinstance(v, bool) for v in present.values())
    for c in body["candidates"]:
        assert set(c["entity"]) >= ENTITY_KEYS and isinstance(c["score"], (int, float))
    # Answering a finding "absent" (as a client does after a next question) overrides what the text said.
    finding = next(i for i, p in present.items() if p)
    again = client.post("/v1/triage", json={"text": text, "answers": {finding: False}}).json()
    assert {f["entity"]["id"]: f["present"] for f in again["findings"]}[finding] is False
    unknown = client.post("/v1/triage", json={"text": text, "answers": {"HP:9999999": True}})
    assert unknown.status_code == 422 and "HP:9999999" in unknown.json()["error"]["message"]


@pytest.mark.parametrize("path,payload", [
    ("/v1/link", {"text": ""}), ("/v1/link", {"text": "   \n "}), ("/v1/link", {"text": 42}),
    ("/v1/link", {"text": "fever\x00"}), ("/v1/link", {"text": "x" * 5001}), ("/v1/link", {}),
    ("/v1/link", {"text": "fever", "types": ["Planet"]}), ("/v1/link", {"text": "fever", "colour": "red"}),
    ("/v1/ask", {"question": "q" * 1001}), ("/v1/ask", {"question": None}), ("/v1/ask", ["what?"]),
    ("/v1/retrieve", {"question": "fever", "limit": 0}), ("/v1/retrieve", {"question": "fever", "limit": "5x"}),
    ("/v1/triage", {"text": "fever", "age": -1}), ("/v1/triage", {"text": "fever", "sex": "robot"}),
    ("/v1/triage", {"text": "fever", "answers": {"not a curie": True}}),
    ("/v1/triage", {"text": "fever", "answers": {"HP:0001945": "maybe"}}),
])
def test_invalid_bodies_are_422_naming_the_field(client, path, payload):
    r = client.post(path, json=payload)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and err["message"] and err["request_id"]
    assert "x" * 100 not in r.text  # the input is never echoed back


def test_malformed_json_and_wrong_content_type(client):
    r = client.post("/v1/link", content=b'{"text": "fev', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    r = client.post("/v1/link", content=b"\xff\xfe\x00garbage", headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    r = client.post("/v1/link", content=b"text=fever", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize("raw", [
    b"[" * 20000 + b"]" * 20000, b"null", b"[]", b'"text"', b'{"text": "\\ud800 fever"}', b'{"text": NaN}',
    b'{"text": "fever", "text": 1}', b"\xef\xbb\xbf{}", b'{"text": "fever"} trailing',
])
def test_hostile_raw_bodies_get_a_4xx(client, raw):
    r = client.post("/v1/link", content=raw, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, (raw[:40], r.status_code, r.text)
    assert r.json()["error"]["request_id"] == r.headers["x-request-id"]


def test_body_over_the_limit_is_413_before_reading_it(strict_server):
    r = httpx.post(strict_server.url + "/v1/link", headers=strict_server.headers("admin"),
                   json={"text": "fever " * 1000})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_unknown_route_and_wrong_method(client):
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/v1/link")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_access_log_never_holds_the_text_and_the_server_stays_up(server, client):
    marker = "zebra-quokka-symptom"
    client.post("/v1/link", json={"text": f"I have {marker} pain"})
    client.post("/v1/triage", json={"text": f"my {marker} hurts"})
    client.get("/v1/entities", params={"q": marker})
    log = server.live.log_text()
    assert "POST /v1/triage 200" in log and "key=reader-key" in log
    assert marker not in log and server.keys["reader"] not in log
    assert "Traceback" not in log
    assert server.live.alive
