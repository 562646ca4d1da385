"""Applying a validated change to the graph store, and undoing it. Callers hold a store transaction.

Each function returns an `Effect`: the before/after snapshots for the audit log, the entities touched
(for an entity's history) and the entities whose names changed (so the linker can update its index).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.model import Entity, Fact, Provenance, Synonym
from kg.store.base import ConflictError, GraphStore
from kg.curation.records import Evidence

CURATION_SOURCE = "curation"
CURATION_LICENSE = "CC0 1.0 (curated in this deployment)"


@dataclass
class Effect:
    before: Any
    after: Any
    touched: list[str] = field(default_factory=list)
    renamed: list[Entity] = field(default_factory=list)     # entities added or whose names changed
    removed: list[str] = field(default_factory=list)        # entity ids removed


def curated_provenance(evidence: Evidence, proposer: str, reviewer: str, at: str, change_id: str) -> Provenance:
    ev: dict[str, Any] = {"reviewed_by": reviewer, "evidence_source": evidence.source}
    if evidence.pmids:
        ev["pmids"] = list(evidence.pmids)
    if evidence.note:
        ev["note"] = evidence.note
    return Provenance(source=CURATION_SOURCE, version=change_id, license=CURATION_LICENSE, evidence=ev,
                      curator=proposer, created_at=at, change_id=change_id)


def apply_change(store: GraphStore, kind: str, payload: dict, provenance: Provenance) -> Effect:
    return _APPLY[kind](store, payload, provenance)


def _need_entity(store: GraphStore, entity_id: str) -> Entity:
    entity = store.get_entity(entity_id)
    if entity is None:
        raise ConflictError(f"entity {entity_id} is no longer in the graph")
    return entity


def _add_fact(store, p, prov):
    _need_entity(store, p["subject"]), _need_entity(store, p["object"])
    fact = Fact(p["subject"], p["predicate"], p["object"], [prov])
    store.upsert_facts([fact])
    return Effect(None, store.get_fact(fact.id).to_json(), [fact.subject, fact.object])


def _retract_fact(store, p, prov):
    fact = store.get_fact(p["fact_id"])
    if fact is None:
        raise ConflictError(f"fact {p['fact_id']} is no longer in the graph")
    store.delete_facts([fact.id])
    return Effect(fact.to_json(), None, [fact.subject, fact.object])


def _add_entity(store, p, prov):
    if store.resolve(p["id"]) is not None:
        raise ConflictError(f"{p['id']} already names an entity")
    entity = Entity.from_dict({**p, "sources": [CURATION_SOURCE],
                               "synonyms": [{**s, "source": CURATION_SOURCE} for s in p.get("synonyms", [])]})
    store.upsert_entities([entity])
    return Effect(None, entity.to_full_json(), [entity.id], renamed=[entity])


def _edit_entity(store, p, prov):
    entity = _need_entity(store, p["id"])
    before = entity.to_full_json()
    if p.get("name"):
        entity.name = p["name"].strip()
    if p.get("description"):
        entity.description = p["description"]
    drop = {str(t).lower() for t in p.get("remove_synonyms", [])}
    synonyms = [s for s in entity.synonyms if s.text.lower() not in drop]
    have = {s.text.lower() for s in synonyms}
    for s in p.get("add_synonyms", []):
        if s["text"].lower() not in have:
            synonyms.append(Synonym(s["text"], s.get("kind", "exact"), CURATION_SOURCE))
    entity.synonyms = synonyms
    entity.xrefs = [x for x in entity.xrefs if x not in set(p.get("remove_xrefs", []))]
    entity.xrefs += [x for x in p.get("add_xrefs", []) if x not in entity.xrefs]
    if CURATION_SOURCE not in entity.sources:
        entity.sources.append(CURATION_SOURCE)
    store.upsert_entities([entity])
    return Effect(before, entity.to_full_json(), [entity.id], renamed=[entity])


def _rewire(fact: Fact, old: str, new: str) -> Fact | None:
    subject = new if fact.subject == old else fact.subject
    obj = new if fact.object == old else fact.object
    if subject == obj:
        return None  # a fact between the two merged entities becomes a self-loop: dropped
    return Fact(subject, fact.predicate, obj, list(fact.provenance))


def _merge_entities(store, p, prov):
    keep, merge = _need_entity(store, p["keep"]), _need_entity(store, p["merge"])
    moved_before = store.facts(merge.id, limit=None)
    before = {"keep": keep.to_full_json(), "merge": merge.to_full_json(),
              "facts": [f.to_json() for f in moved_before]}
    rewired = [f for f in (_rewire(f, merge.id, keep.id) for f in moved_before) if f is not None]
    store.delete_entity(merge.id)
    have = {s.text.lower() for s in keep.synonyms} | {keep.name.lower()}
    for s in [Synonym(merge.name, "exact", CURATION_SOURCE)] + merge.synonyms:
        if s.text.lower() not in have:
            keep.synonyms.append(s)
            have.add(s.text.lower())
    keep.xrefs += [x for x in [merge.id] + merge.xrefs if x not in keep.xrefs and x != keep.id]
    keep.sources = sorted(set(keep.sources) | set(merge.sources) | {CURATION_SOURCE})
    store.upsert_entities([keep])
    store.upsert_facts(rewired)
    after = {"keep": keep.to_full_json(), "facts": [f.id for f in rewired]}
    return Effect(before, after, [keep.id, merge.id], renamed=[keep], removed=[merge.id])


_APPLY = {"add_fact": _add_fact, "retract_fact": _retract_fact, "add_entity": _add_entity,
          "edit_entity": _edit_entity, "merge_entities": _merge_entities}


# ---- undo ----------------------------------------------------------------------------------------
def revert_change(store: GraphStore, kind: str, before: Any, after: Any, change_id: str) -> Effect:
    """Undo a recorded change; raises ConflictError when later changes make that unsafe."""
    if kind == "add_fact":
        fact = store.get_fact(after["id"])
        if fact is None:
            raise ConflictError(f"fact {after['id']} added by {change_id} is already gone")
        remaining = [pr for pr in fact.provenance if pr.change_id != change_id]
        store.delete_facts([fact.id])
        if remaining:  # the same triple arrived from elsewhere since: keep it with that provenance
            store.upsert_facts([Fact(fact.subject, fact.predicate, fact.object, remaining)])
        return Effect(fact.to_json(), None, [fact.subject, fact.object])
    if kind == "retract_fact":
        fact = Fact.from_dict(before)
        _need_entity(store, fact.subject), _need_entity(store, fact.object)
        store.upsert_facts([fact])
        return Effect(None, store.get_fact(fact.id).to_json(), [fact.subject, fact.object])
    if kind == "add_entity":
        n = store.count_facts(after["id"])
        if n:
            raise ConflictError(f"{after['id']} has {n} facts now; retract them before reverting {change_id}")
        _need_entity(store, after["id"])
        store.delete_entity(after["id"])
        return Effect(after, None, [after["id"]], removed=[after["id"]])
    if kind == "edit_entity":
        current = _need_entity(store, after["id"])
        if current.to_full_json() != after:
            raise ConflictError(f"{after['id']} was changed again after {change_id}; revert the later change first")
        restored = Entity.from_dict(before)
        store.upsert_entities([restored])
        return Effect(after, before, [restored.id], renamed=[restored])
    if kind == "merge_entities":
        keep = _need_entity(store, after["keep"]["id"])
        if keep.to_full_json() != after["keep"]:
            raise ConflictError(f"{keep.id} was changed again after {change_id}; revert the later change first")
        store.delete_facts(after["facts"])
        restored_keep, restored_merge = Entity.from_dict(before["keep"]), Entity.from_dict(before["merge"])
        store.upsert_entities([restored_keep, restored_merge])
        store.upsert_facts([Fact.from_dict(f) for f in before["facts"]])
        return Effect(after, before, [restored_keep.id, restored_merge.id],
                      renamed=[restored_keep, restored_merge])
    raise ConflictError(f"a change of kind {kind!r} cannot be reverted")
