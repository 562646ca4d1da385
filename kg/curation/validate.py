"""Checks a proposal must pass before it is queued, and again when it is approved."""
from __future__ import annotations

from typing import Any

from kg.model import (ENTITY_TYPES, PREDICATES, SYNONYM_KINDS, Entity, ModelError, fact_id,
                      predicate_allowed)
from kg.store.base import GraphStore
from kg.curation.records import CHANGE_KINDS, Evidence


class ValidationFailed(ValueError):
    """The proposal cannot be accepted; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def validate(store: GraphStore, kind: str, payload: dict[str, Any], evidence: Evidence) -> dict[str, Any]:
    """Return the payload with ids resolved to preferred ids, or raise ValidationFailed."""
    if kind not in CHANGE_KINDS:
        raise ValidationFailed([f"unknown proposal kind {kind!r}; one of {sorted(CHANGE_KINDS)}"])
    if not isinstance(payload, dict):
        raise ValidationFailed(["payload must be an object"])
    problems: list[str] = []
    checked = _CHECKS[kind](store, payload, problems)
    if kind in ("add_fact", "retract_fact", "merge_entities") and not (evidence.pmids or evidence.note.strip()):
        problems.append("evidence is required: PubMed ids or a note saying why")
    bad_pmids = [p for p in evidence.pmids if not p.isdigit()]
    if bad_pmids:
        problems.append(f"PubMed ids must be numbers: {bad_pmids}")
    if problems:
        raise ValidationFailed(problems)
    return checked


def _entity(store: GraphStore, raw: Any, role: str, problems: list[str]) -> Entity | None:
    if not isinstance(raw, str) or not raw.strip():
        problems.append(f"{role} must be an entity id")
        return None
    resolved = store.resolve(raw.strip())
    entity = store.get_entity(resolved) if resolved else None
    if entity is None:
        problems.append(f"{role} {raw!r} is not an entity of the graph")
    return entity


def _add_fact(store, payload, problems):
    subject = _entity(store, payload.get("subject"), "subject", problems)
    obj = _entity(store, payload.get("object"), "object", problems)
    predicate = payload.get("predicate")
    if predicate not in PREDICATES:
        problems.append(f"predicate {predicate!r} is not one of {sorted(PREDICATES)}")
        return payload
    if subject and obj:
        if subject.id == obj.id:
            problems.append("a fact needs two different entities")
        elif not predicate_allowed(subject.type, predicate, obj.type):
            problems.append(f"{predicate} is not allowed from a {subject.type} to a {obj.type}")
        elif store.get_fact(fact_id(subject.id, predicate, obj.id)) is not None:
            problems.append(f"the graph already has this fact ({fact_id(subject.id, predicate, obj.id)})")
        return {"subject": subject.id, "predicate": predicate, "object": obj.id}
    return payload


def _retract_fact(store, payload, problems):
    fid = payload.get("fact_id")
    if not isinstance(fid, str) or store.get_fact(fid) is None:
        problems.append(f"fact {fid!r} is not in the graph")
    return {"fact_id": fid}


def _synonyms(raw: Any, problems: list[str], field: str) -> list[dict]:
    out = []
    for s in raw or []:
        if isinstance(s, str):
            s = {"text": s, "kind": "exact"}
        if not isinstance(s, dict) or not str(s.get("text", "")).strip():
            problems.append(f"{field}: each synonym needs a text")
            continue
        kind = s.get("kind", "exact")
        if kind not in SYNONYM_KINDS:
            problems.append(f"{field}: synonym kind {kind!r} is not one of {SYNONYM_KINDS}")
            continue
        out.append({"text": str(s["text"]).strip(), "kind": kind})
    return out


def _add_entity(store, payload, problems):
    eid, etype, name = payload.get("id"), payload.get("type"), str(payload.get("name") or "").strip()
    if not isinstance(eid, str) or ":" not in eid or eid.startswith(":") or eid.endswith(":"):
        problems.append(f"id {eid!r} must be a CURIE such as DOID:1234")
    elif store.resolve(eid) is not None:
        problems.append(f"{eid} already names an entity ({store.resolve(eid)}); propose an edit instead")
    if etype not in ENTITY_TYPES:
        problems.append(f"type {etype!r} is not one of {ENTITY_TYPES}")
    if not name:
        problems.append("name is required")
    out = {"id": eid, "type": etype, "name": name,
           "synonyms": _synonyms(payload.get("synonyms"), problems, "synonyms"),
           "xrefs": [str(x) for x in payload.get("xrefs") or []],
           "description": str(payload.get("description") or "")}
    if not problems:
        try:
            Entity.from_dict(out)
        except ModelError as exc:
            problems.append(str(exc))
    return out


def _edit_entity(store, payload, problems):
    entity = _entity(store, payload.get("id"), "id", problems)
    fields = ("name", "description", "add_synonyms", "remove_synonyms", "add_xrefs", "remove_xrefs")
    out: dict[str, Any] = {k: payload[k] for k in fields if payload.get(k) not in (None, "", [])}
    if not out:
        problems.append(f"an edit needs at least one of {fields}")
    if entity is None:
        return payload
    out["id"] = entity.id
    if "name" in out and not str(out["name"]).strip():
        problems.append("name cannot be empty")
    out["add_synonyms"] = _synonyms(out.get("add_synonyms"), problems, "add_synonyms")
    existing = {s.text.lower() for s in entity.synonyms}
    for text in out.get("remove_synonyms", []):
        if str(text).lower() not in existing:
            problems.append(f"{entity.id} has no synonym {text!r} to remove")
    for x in out.get("remove_xrefs", []):
        if x not in entity.xrefs:
            problems.append(f"{entity.id} has no xref {x!r} to remove")
    return out


def _merge_entities(store, payload, problems):
    keep = _entity(store, payload.get("keep"), "keep", problems)
    merge = _entity(store, payload.get("merge"), "merge", problems)
    if keep and merge:
        if keep.id == merge.id:
            problems.append("cannot merge an entity into itself")
        elif keep.type != merge.type:
            problems.append(f"cannot merge a {merge.type} into a {keep.type}")
        return {"keep": keep.id, "merge": merge.id}
    return payload


_CHECKS = {"add_fact": _add_fact, "retract_fact": _retract_fact, "add_entity": _add_entity,
           "edit_entity": _edit_entity, "merge_entities": _merge_entities}
