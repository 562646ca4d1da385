"""Curate: the review queue, proposal forms with entity pickers, an entity's history, and reverts.

The app has no login: the curator types their name, which the workflow records. A curator still cannot
approve their own proposal. For deployments open to many people, curate through the API with curator keys.
"""
from __future__ import annotations

import json

import streamlit as st

from kg.model import PREDICATES, SYNONYM_KINDS
from kg.curation.records import CHANGE_KINDS
from ui.components.errors import user_errors
from ui.context import get_context

KIND_LABELS = {"add_fact": "Add a fact", "retract_fact": "Retract a fact", "add_entity": "Add an entity",
               "edit_entity": "Edit names and synonyms", "merge_entities": "Merge two entities"}

ctx = get_context()
st.title("Curate the graph")
st.caption("Every change is proposed, reviewed by another curator, recorded in the audit log, and can be "
           "reverted. Changes are live for the next question.")
curator = st.text_input("Your name (recorded as proposer or reviewer)", key="curator_name").strip()


def entity_picker(label: str, key: str) -> str | None:
    """A search box and a choice among the entities whose names match; returns the chosen id."""
    query = st.text_input(f"{label}: search by name, synonym or id", key=f"{key}_q")
    if not query.strip():
        return None
    matches = []
    if ":" in query:
        resolved = ctx.store.resolve(query.strip())
        if resolved and (e := ctx.store.get_entity(resolved)):
            matches.append(e)
    matches += [e for e in ctx.store.search(query, limit=15) if e.id not in {m.id for m in matches}]
    if not matches:
        st.caption(f"No entity matches {query!r}.")
        return None
    labels = {e.id: f"{e.name} · {e.type} · {e.id}" for e in matches}
    return st.selectbox(label, list(labels), key=f"{key}_pick", format_func=labels.get)


def evidence_inputs(key: str) -> dict:
    cols = st.columns([1, 2])
    source = cols[0].text_input("Evidence source", value="PubMed", key=f"{key}_src")
    pmids = cols[1].text_input("PubMed ids (comma separated)", key=f"{key}_pmids")
    note = st.text_area("Why (a note)", key=f"{key}_note", height=70)
    return {"source": source, "note": note,
            "pmids": [p.strip().removeprefix("PMID:") for p in pmids.split(",") if p.strip()]}


FLASH = "curate_flash"


def flash(kind: str, message: str) -> None:
    """A message for the next run of the page (buttons act in callbacks, before the page is drawn)."""
    st.session_state[FLASH] = (kind, message)


def act(action: str, fn, *args, done: str = "") -> None:
    """Callback of a button: run a curation call; the outcome is flashed as a message, never a traceback."""
    if not st.session_state.get("curator_name", "").strip():
        flash("warning", "Enter your name first.")
        return
    try:
        result = fn(*args)
    except Exception as exc:  # noqa: BLE001 - every failure is a message for the curator
        flash("error", f"{action} failed: {exc}")
        return
    flash("success", done.format(result=result, version=ctx.store.version()))


def submit(kind: str, payload: dict, evidence: dict) -> None:
    act("The proposal", lambda: ctx.curation.propose(kind, payload, evidence, curator),
        done="Proposal {result.id} is waiting for another curator's review.")


if FLASH in st.session_state:
    level, message = st.session_state.pop(FLASH)
    getattr(st, level)(message)


queue_tab, propose_tab, history_tab = st.tabs(["Review queue", "Propose a change", "History and revert"])

with queue_tab:
    with user_errors("Reading the review queue"):
        pending = ctx.curation.proposals("pending", limit=100)
        if not pending:
            st.info("No proposal is waiting for review.")
        for p in pending:
            with st.expander(f"#{p.id} · {KIND_LABELS.get(p.kind, p.kind)} · by {p.proposer} · {p.created_at}",
                             expanded=len(pending) <= 3):
                st.code(json.dumps(p.payload, indent=2, ensure_ascii=False), language="json")
                st.markdown(f"**Evidence:** {p.evidence.source}; PubMed {', '.join(p.evidence.pmids) or '—'}; "
                            f"{p.evidence.note or 'no note'}")
                if p.proposer == curator:
                    st.caption("Your own proposal: another curator must review it.")
                reason = st.text_input("Reason (needed to reject)", key=f"reason_{p.id}")
                approve_col, reject_col = st.columns(2)
                approve_col.button("Approve", key=f"approve_{p.id}", disabled=not curator or p.proposer == curator,
                                   on_click=act, args=("Approval", ctx.curation.approve, p.id, curator),
                                   kwargs={"done": "Applied as change {result.change_id}; graph version {version}."})
                reject_col.button("Reject", key=f"reject_{p.id}", disabled=not curator,
                                  on_click=act, args=("Rejection", ctx.curation.reject, p.id, curator, reason),
                                  kwargs={"done": f"Proposal {p.id} rejected."})

with propose_tab:
    kind = st.selectbox("Kind of change", list(CHANGE_KINDS), format_func=KIND_LABELS.get, key="propose_kind")
    if kind == "add_fact":
        subject = entity_picker("Subject", "fact_subject")
        predicate = st.selectbox("Predicate", list(PREDICATES), format_func=lambda p: PREDICATES[p], key="fact_pred")
        obj = entity_picker("Object", "fact_object")
        evidence = evidence_inputs("fact")
        st.button("Propose the fact", key="propose_add_fact", disabled=not (subject and obj), on_click=submit,
                  args=(kind, {"subject": subject, "predicate": predicate, "object": obj}, evidence))
    elif kind == "retract_fact":
        fact_id = st.text_input("Fact id (shown with each fact in Explore and in answers)", key="retract_id").strip()
        if fact_id and (fact := ctx.store.get_fact(fact_id)):
            st.caption(f"{fact.subject} {PREDICATES[fact.predicate]} {fact.object} — sources: {', '.join(fact.sources)}")
        evidence = evidence_inputs("retract")
        st.button("Propose the retraction", key="propose_retract_fact", disabled=not fact_id, on_click=submit,
                  args=(kind, {"fact_id": fact_id}, evidence))
    elif kind == "add_entity":
        cols = st.columns(2)
        new_id = cols[0].text_input("Id (a CURIE, e.g. DOID:0080000)", key="new_id")
        new_type = cols[1].selectbox("Type", ["Disease", "Phenotype", "Symptom", "Compound", "Gene", "Anatomy"])
        name = st.text_input("Name", key="new_name")
        synonyms = st.text_input("Synonyms (comma separated)", key="new_syn")
        description = st.text_area("Description", key="new_desc", height=70)
        evidence = evidence_inputs("entity")
        payload = {"id": new_id.strip(), "type": new_type, "name": name, "description": description,
                   "synonyms": [{"text": s.strip(), "kind": "exact"} for s in synonyms.split(",") if s.strip()]}
        st.button("Propose the entity", key="propose_add_entity", disabled=not (new_id and name), on_click=submit,
                  args=(kind, payload, evidence))
    elif kind == "edit_entity":
        target = entity_picker("Entity", "edit_entity")
        name = st.text_input("New name (leave empty to keep)", key="edit_name")
        cols = st.columns([3, 1])
        synonym = cols[0].text_input("Add a synonym", key="edit_syn")
        syn_kind = cols[1].selectbox("Kind", SYNONYM_KINDS, index=SYNONYM_KINDS.index("layperson"), key="edit_kind")
        evidence = evidence_inputs("edit")
        payload = {"id": target}
        if name.strip():
            payload["name"] = name.strip()
        if synonym.strip():
            payload["add_synonyms"] = [{"text": synonym.strip(), "kind": syn_kind}]
        st.button("Propose the edit", key="propose_edit_entity", disabled=not target, on_click=submit,
                  args=(kind, payload, evidence))
    else:
        keep = entity_picker("Keep", "merge_keep")
        merge = entity_picker("Merge into it (removed afterwards)", "merge_merge")
        evidence = evidence_inputs("merge")
        st.button("Propose the merge", key="propose_merge_entities", disabled=not (keep and merge), on_click=submit,
                  args=(kind, {"keep": keep, "merge": merge}, evidence))

with history_tab:
    focus = entity_picker("History of an entity (empty: every change)", "history")
    with user_errors("Reading the audit log"):
        changes = ctx.curation.audit(entity_id=focus, limit=200)
        if not changes:
            st.info("No change recorded yet.")
        for c in reversed(changes):
            state = f" · reverted by {c.reverted_by}" if c.reverted_by else ""
            title = f"{c.at} · {c.change_id} · {c.kind}{state} · proposed by {c.proposer}, approved by {c.reviewer}"
            with st.expander(title):
                st.code(json.dumps({"payload": c.payload, "before": c.before, "after": c.after}, indent=2,
                                   ensure_ascii=False)[:6000], language="json")
                if c.kind != "revert" and not c.reverted_by:
                    sure = st.checkbox("I want to revert this change", key=f"sure_{c.change_id}")
                    st.button("Revert", key=f"revert_{c.change_id}", disabled=not (sure and curator),
                              on_click=act, args=("The revert", ctx.curation.revert, c.change_id, curator,
                                                  "reverted in the app"),
                              kwargs={"done": "Reverted as change {result.change_id}; graph version {version}."})
