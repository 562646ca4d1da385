"""Curation workflow on a real SQLite graph store and a real curation log file."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from kg.curation import CurationError, CurationService, PermissionDenied, ValidationFailed
from kg.curation.log import CurationLog
from kg.model import Entity, Fact, Provenance, Synonym, fact_id
from kg.store.base import ConflictError
from kg.store.sqlite import SQLiteStore

HETIONET = Provenance("hetionet", "v1.0", "CC0 1.0")


def base_graph(store) -> None:
    store.upsert_entities([
        Entity("DRUGBANK:DB00331", "Compound", "Metformin", [Synonym("Glucophage", "brand")]),
        Entity("DRUGBANK:DB00316", "Compound", "Acetaminophen", [Synonym("paracetamol")]),
        Entity("DOID:9352", "Disease", "type 2 diabetes mellitus", [Synonym("sugar diabetes", "layperson")],
               ["MESH:D003924"]),
        Entity("DOID:10763", "Disease", "hypertension", [Synonym("high blood pressure", "layperson")]),
        Entity("DOID:0000000", "Disease", "hypertensive disorder (duplicate)", []),
        Entity("NCBIGene:5468", "Gene", "PPARG"),
        Entity("HP:0001945", "Phenotype", "Fever", [Synonym("high temperature", "layperson")]),
    ])
    store.upsert_facts([
        Fact("DRUGBANK:DB00331", "treats", "DOID:9352", [HETIONET]),
        Fact("DOID:9352", "associated_with", "NCBIGene:5468", [HETIONET]),
        Fact("DOID:0000000", "associated_with", "NCBIGene:5468", [HETIONET]),
    ])


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    base_graph(s)
    yield s
    s.close()


@pytest.fixture
def service(store, tmp_path):
    svc = CurationService(store, CurationLog(tmp_path / "curation.sqlite"))
    yield svc
    svc.log.close()


EVIDENCE = {"source": "PubMed", "pmids": ["12345678"], "note": "randomised trial"}
NEW_FACT = {"subject": "DRUGBANK:DB00331", "predicate": "treats", "object": "DOID:10763"}


def test_propose_review_apply_and_audit(service, store):
    before = service.version()
    proposal = service.propose("add_fact", NEW_FACT, EVIDENCE, proposer="alice")
    assert proposal.status == "pending"
    with pytest.raises(PermissionDenied):
        service.approve(proposal.id, reviewer="alice")
    change = service.approve(proposal.id, reviewer="bob")
    assert service.version() == before + 1
    assert store.version().endswith(f".{before + 1}")
    fact = store.get_fact(fact_id("DRUGBANK:DB00331", "treats", "DOID:10763"))
    assert fact is not None
    (prov,) = fact.provenance
    assert prov.source == "curation" and prov.curator == "alice" and prov.change_id == change.change_id
    assert prov.evidence["pmids"] == ["12345678"] and prov.evidence["reviewed_by"] == "bob"
    assert service.log.get_proposal(proposal.id).status == "approved"
    history = service.audit(entity_id="DOID:10763")
    assert [c.change_id for c in history] == [change.change_id]
    assert history[0].proposer == "alice" and history[0].reviewer == "bob"
    assert history[0].before is None and history[0].after["id"] == fact.id


@pytest.mark.parametrize("kind,payload,evidence,expected", [
    ("add_fact", {**NEW_FACT, "subject": "DRUGBANK:DB99999"}, EVIDENCE, "is not an entity"),
    ("add_fact", {**NEW_FACT, "predicate": "cures"}, EVIDENCE, "is not one of"),
    ("add_fact", {"subject": "NCBIGene:5468", "predicate": "treats", "object": "DOID:10763"}, EVIDENCE,
     "not allowed from a Gene"),
    ("add_fact", {"subject": "DRUGBANK:DB00331", "predicate": "treats", "object": "DOID:9352"}, EVIDENCE,
     "already has this fact"),
    ("add_fact", NEW_FACT, {"source": "PubMed"}, "evidence is required"),
    ("add_fact", NEW_FACT, {"pmids": ["abc"]}, "must be numbers"),
    ("retract_fact", {"fact_id": "Fnope"}, EVIDENCE, "is not in the graph"),
    ("add_entity", {"id": "DOID:9352", "type": "Disease", "name": "x"}, EVIDENCE, "already names"),
    ("add_entity", {"id": "nocolon", "type": "Disease", "name": "x"}, EVIDENCE, "must be a CURIE"),
    ("add_entity", {"id": "DOID:1", "type": "Planet", "name": "x"}, EVIDENCE, "is not one of"),
    ("edit_entity", {"id": "DOID:10763"}, EVIDENCE, "needs at least one"),
    ("edit_entity", {"id": "DOID:10763", "remove_synonyms": ["nope"]}, EVIDENCE, "no synonym"),
    ("merge_entities", {"keep": "DOID:10763", "merge": "NCBIGene:5468"}, EVIDENCE, "cannot merge a Gene"),
    ("teleport", {}, EVIDENCE, "unknown proposal kind"),
])
def test_validation_errors_name_the_problem(service, kind, payload, evidence, expected):
    with pytest.raises(ValidationFailed, match=expected):
        service.propose(kind, payload, evidence, proposer="alice")
    assert service.proposals() == []


def test_reject_needs_reason_and_closes_the_proposal(service):
    p = service.propose("add_fact", NEW_FACT, EVIDENCE, proposer="alice")
    with pytest.raises(CurationError, match="reason"):
        service.reject(p.id, "bob", " ")
    rejected = service.reject(p.id, "bob", "the trial was retracted")
    assert rejected.status == "rejected" and rejected.reason == "the trial was retracted"
    with pytest.raises(CurationError, match="not pending"):
        service.approve(p.id, "carol")
    assert service.proposals(status="pending") == []


def test_revert_add_fact_is_a_recorded_change(service, store):
    change = service.approve(service.propose("add_fact", NEW_FACT, EVIDENCE, "alice").id, "bob")
    revert = service.revert(change.change_id, actor="carol", reason="wrong drug")
    assert store.get_fact(change.after["id"]) is None
    assert revert.kind == "revert" and revert.reverts == change.change_id
    assert service.version() == 2
    assert service.get_change(change.change_id).reverted_by == revert.change_id
    with pytest.raises(ConflictError, match="already reverted"):
        service.revert(change.change_id, actor="carol")
    with pytest.raises(CurationError, match="cannot itself be reverted"):
        service.revert(revert.change_id, actor="carol")


def test_retract_then_revert_restores_source_provenance(service, store):
    fid = fact_id("DRUGBANK:DB00331", "treats", "DOID:9352")
    change = service.approve(service.propose("retract_fact", {"fact_id": fid}, EVIDENCE, "alice").id, "bob")
    assert store.get_fact(fid) is None
    service.revert(change.change_id, "bob")
    restored = store.get_fact(fid)
    assert restored is not None and [p.source for p in restored.provenance] == ["hetionet"]


def test_edit_entity_and_listener_sees_the_new_name(service, store):
    seen = []
    service.listeners.append(lambda change, effect: seen.extend(e.id for e in effect.renamed))
    payload = {"id": "DOID:10763", "add_synonyms": [{"text": "raised blood pressure", "kind": "layperson"}]}
    change = service.approve(service.propose("edit_entity", payload, {"note": "common phrasing"}, "alice").id, "bob")
    assert "raised blood pressure" in store.get_entity("DOID:10763").all_names()
    assert seen == ["DOID:10763"]
    service.revert(change.change_id, "bob")
    assert "raised blood pressure" not in store.get_entity("DOID:10763").all_names()


def test_merge_moves_facts_and_revert_restores_both(service, store):
    payload = {"keep": "DOID:10763", "merge": "DOID:0000000"}
    change = service.approve(service.propose("merge_entities", payload, EVIDENCE, "alice").id, "bob")
    assert store.get_entity("DOID:0000000") is None
    keep = store.get_entity("DOID:10763")
    assert "DOID:0000000" in keep.xrefs and store.resolve("DOID:0000000") == "DOID:10763"
    assert store.get_fact(fact_id("DOID:10763", "associated_with", "NCBIGene:5468")) is not None
    service.revert(change.change_id, "bob")
    assert store.get_entity("DOID:0000000") is not None
    assert store.get_fact(fact_id("DOID:0000000", "associated_with", "NCBIGene:5468")) is not None
    assert store.get_fact(fact_id("DOID:10763", "associated_with", "NCBIGene:5468")) is None


def test_audit_log_is_append_only(service, tmp_path):
    service.approve(service.propose("add_fact", NEW_FACT, EVIDENCE, "alice").id, "bob")
    conn = sqlite3.connect(tmp_path / "curation.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE changes SET reviewer='mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM changes")
    conn.close()


def test_concurrent_conflicting_approvals_one_wins(service, store):
    a = service.propose("add_fact", NEW_FACT, EVIDENCE, "alice")
    b = service.propose("add_fact", NEW_FACT, {"note": "also seen in guidelines"}, "dave")
    results: dict[int, object] = {}
    barrier = threading.Barrier(2)

    def approve(pid: int, reviewer: str) -> None:
        barrier.wait()
        try:
            results[pid] = service.approve(pid, reviewer)
        except ConflictError as exc:
            results[pid] = exc

    threads = [threading.Thread(target=approve, args=(a.id, "bob")), threading.Thread(target=approve, args=(b.id, "carol"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Change", "ConflictError"]
    loser = next(pid for pid, r in results.items() if isinstance(r, ConflictError))
    assert "already has this fact" in str(results[loser])
    assert service.log.get_proposal(loser).status == "conflict"
    assert len(service.audit()) == 1


def test_export_import_between_deployments(service, tmp_path):
    change = service.approve(service.propose("add_fact", NEW_FACT, EVIDENCE, "alice").id, "bob")
    edit = service.approve(service.propose("edit_entity", {"id": "DOID:10763", "add_synonyms": ["HTN"]},
                                           {"note": "abbreviation"}, "alice").id, "bob")
    service.revert(edit.change_id, "bob")
    exported = tmp_path / "changes.jsonl"
    assert service.export_changes(exported) == 3

    other_store = SQLiteStore(str(tmp_path / "other.sqlite"), create=True)
    base_graph(other_store)
    other = CurationService(other_store, CurationLog(tmp_path / "other-curation.sqlite"))
    report = other.import_changes(exported, actor="importer")
    assert report.applied == [change.change_id, edit.change_id, report.applied[2]] and not report.conflicts
    fact = other_store.get_fact(change.after["id"])
    assert fact.provenance[0].curator == "alice" and fact.provenance[0].change_id == change.change_id
    assert "HTN" not in other_store.get_entity("DOID:10763").all_names()
    again = other.import_changes(exported, actor="importer")
    assert again.applied == [] and change.change_id in again.skipped
    bad = tmp_path / "bad.jsonl"
    bad.write_text(exported.read_text().splitlines()[0] + '\n{"change_id": "x", "kind": "add_fact"}\n')
    with pytest.raises(CurationError, match=r"bad.jsonl:2"):
        other.import_changes(bad, actor="importer")
    other_store.close()


def test_reapply_on_rebuilt_graph_keeps_changes_and_reports_conflicts(service, tmp_path):
    kept = service.approve(service.propose("add_fact", NEW_FACT, EVIDENCE, "alice").id, "bob")
    doomed = service.approve(service.propose(
        "add_fact", {"subject": "DRUGBANK:DB00316", "predicate": "palliates", "object": "HP:0001945"},
        EVIDENCE, "alice").id, "bob")
    rebuilt = SQLiteStore(str(tmp_path / "rebuilt.sqlite"), create=True)
    base_graph(rebuilt)
    rebuilt.delete_entity("DRUGBANK:DB00316")      # the new source release dropped this drug
    report = service.reapply(rebuilt)
    assert report.applied == [kept.change_id]
    assert len(report.conflicts) == 1 and report.conflicts[0].startswith(doomed.change_id)
    assert rebuilt.get_fact(kept.after["id"]) is not None
    assert rebuilt.get_meta("curation_version") == "2"
    rebuilt.close()
