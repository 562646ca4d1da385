"""Curation through the real API on both stores: propose -> self-approval refused -> another curator
approves -> the graph version moves -> /v1/ask cites the new fact with its PubMed id -> the audit log
holds both steps -> revert -> the fact is gone."""
from __future__ import annotations

import httpx
import pytest

from kg.model import fact_id
from tests.api.live_server import LiveServer
from tests.curation.test_curation_service import base_graph

KEYS = {"alice": "curator-alice-0123456789", "bob": "curator-bob-0123456789", "rita": "reader-rita-0123456789"}
NEW_FACT_ID = fact_id("DRUGBANK:DB00331", "treats", "DOID:10763")
QUESTION = {"question": "Does metformin treat high blood pressure?"}


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def curation_server(request, tmp_path):
    env = {"KGQA_API_KEYS": f"{KEYS['alice']}:curator:alice,{KEYS['bob']}:curator:bob,{KEYS['rita']}:reader:rita",
           "KGQA_API_RATE": "1000", "KGQA_API_BURST": "1000"}
    if request.param == "sqlite":
        from kg.store.sqlite import SQLiteStore
        url = f"sqlite:///{tmp_path / 'kg.sqlite'}"
        store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    else:
        from tests.support.bolt_server import fresh_neo4j_store, session_server
        store = fresh_neo4j_store(request)
        server = session_server(request.config)
        url = server.url
        env.update(KGQA_NEO4J_USER=server.user, KGQA_NEO4J_PASSWORD=server.password,
                   KGQA_NEO4J_DATABASE=store.database)
    base_graph(store)
    store.set_meta("build_id", f"curation-test-{request.param}")
    store.close()
    live = LiveServer(url, tmp_path / "home", tmp_path / "server.log", env)
    try:
        live.wait_ready(600)
        yield live
    finally:
        live.stop()


def _client(live: LiveServer, who: str) -> httpx.Client:
    return httpx.Client(base_url=live.base_url, headers={"X-API-Key": KEYS[who]}, timeout=120)


def test_propose_review_ask_audit_revert(curation_server):
    alice, bob, rita = (_client(curation_server, w) for w in ("alice", "bob", "rita"))
    version_before = bob.get("/v1/kg/version").json()["version"]
    before = rita.post("/v1/ask", json=QUESTION).json()
    assert NEW_FACT_ID not in before["citations"]

    body = {"kind": "add_fact", "evidence": {"source": "PubMed", "pmids": ["12345678"], "note": "trial"},
            "payload": {"subject": "DRUGBANK:DB00331", "predicate": "treats", "object": "DOID:10763"}}
    assert rita.post("/v1/curation/proposals", json=body).status_code == 403      # readers cannot propose
    created = alice.post("/v1/curation/proposals", json=body)
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["status"] == "pending" and proposal["proposer"] == "alice"

    own = alice.post(f"/v1/curation/proposals/{proposal['id']}/approve")
    assert own.status_code == 403 and "own proposal" in own.json()["error"]["message"]
    approved = bob.post(f"/v1/curation/proposals/{proposal['id']}/approve")
    assert approved.status_code == 200, approved.text
    change_id = approved.json()["change_id"]
    assert bob.get("/v1/kg/version").json()["version"] != version_before

    answer = rita.post("/v1/ask", json=QUESTION).json()
    assert NEW_FACT_ID in answer["citations"], answer
    cited = next(f for f in answer["facts"] if f["id"] == NEW_FACT_ID)
    (prov,) = cited["sources"]
    assert prov["source"] == "curation" and prov["evidence"]["pmids"] == ["12345678"]
    assert prov["curator"] == "alice" and prov["change_id"] == change_id

    audit = bob.get("/v1/curation/audit", params={"entity": "DOID:10763"}).json()["items"]
    assert [(c["change_id"], c["proposer"], c["reviewer"]) for c in audit] == [(change_id, "alice", "bob")]
    assert alice.get("/v1/curation/proposals", params={"status": "approved"}).json()["items"][0]["change_id"] == change_id

    duplicate = alice.post("/v1/curation/proposals", json=body)
    assert duplicate.status_code == 422 and "already has this fact" in duplicate.json()["error"]["message"]

    reverted = alice.post(f"/v1/curation/changes/{change_id}/revert", json={"reason": "wrong drug"})
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["reverts"] == change_id
    facts = rita.get("/v1/entities/DOID:10763/facts", params={"predicate": "treats"}).json()
    assert NEW_FACT_ID not in [f["id"] for f in facts["items"]]
    assert NEW_FACT_ID not in rita.post("/v1/ask", json=QUESTION).json()["citations"]
    again = alice.post(f"/v1/curation/changes/{change_id}/revert", json={})
    assert again.status_code == 409
    assert bob.post("/v1/curation/changes/chg_0000/revert", json={}).status_code == 404
    assert len(bob.get("/v1/curation/audit").json()["items"]) == 2
