"""Answers with numbered citations; each citation opens the fact with its source, evidence and license."""
from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

from kg.model import Entity, Fact
from kg.store.base import GraphStore
from ui.components.format import (CitationList, fact_sentence, markers, number_citations, provenance_row,
                                  xref_markdown)
from ui.components.records import get


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def provenance_table(fact: Fact) -> str:
    """A markdown table: one row per source of the fact (version, license, evidence with PubMed links)."""
    rows = [provenance_row(p) for p in fact.provenance]
    if not rows:
        return "_No provenance recorded for this fact._"
    curated = any(r["curator"] for r in rows)
    head = "| source | version | license | evidence |" + (" curator |" if curated else "")
    sep = "|---|---|---|---|" + ("---|" if curated else "")
    lines = [head, sep]
    for r in rows:
        line = f"| {_cell(r['source'])} | {_cell(r['version'])} | {_cell(r['license'])} | {_cell(r['evidence'])} |"
        if curated:
            line += f" {_cell(r['curator'])} |"
        lines.append(line)
    return "\n".join(lines)


def fact_details(fact: Fact, entities: dict[str, Entity], key: str) -> None:
    """The body of a citation: the triple with links to Explore, then its provenance."""
    names = {i: e.name for i, e in entities.items()}
    st.markdown(f"**{fact_sentence(fact, names)}**  \n"
                f"{xref_markdown(fact.subject)} — *{fact.predicate}* → {xref_markdown(fact.object)} · "
                f"fact `{fact.id}`")
    with st.container(horizontal=True, gap="small"):
        for eid in (fact.subject, fact.object):
            ent = entities.get(eid)
            st.page_link("pages/explore.py", label=f"Explore {ent.name if ent else eid}",
                         icon=":material/travel_explore:", query_params={"id": eid})
    st.markdown(provenance_table(fact))


def collect_facts(answer: Any, store: GraphStore) -> tuple[dict[str, Fact], dict[str, Entity]]:
    """The answer's facts by id and the entities they name (from the ScoredFacts, else the store)."""
    facts: dict[str, Fact] = {}
    entities: dict[str, Entity] = {}
    for sf in get(answer, "facts", []) or []:
        fact = get(sf, "fact", sf)
        if not isinstance(fact, Fact):
            continue
        facts[fact.id] = fact
        for end in ("subject", "object"):
            ent = get(sf, end)
            if isinstance(ent, Entity):
                entities[ent.id] = ent
    for ent in get(answer, "entities", []) or []:
        if isinstance(ent, Entity):
            entities.setdefault(ent.id, ent)
    for fid in get(answer, "citations", []) or []:
        if isinstance(fid, str) and fid not in facts:
            fact = store.get_fact(fid)
            if fact is not None:
                facts[fid] = fact
    missing = {e for f in facts.values() for e in (f.subject, f.object)} - entities.keys()
    if missing:
        entities.update(store.get_entities(sorted(missing)))
    return facts, entities


def numbered(answer: Any) -> CitationList:
    """Citation numbers for an answer (see format.number_citations)."""
    fact_ids = [get(get(sf, "fact", sf), "id", "") for sf in get(answer, "facts", []) or []]
    sentences = get(answer, "sentences", []) or []
    if not sentences and get(answer, "answer"):
        sentences = [{"text": get(answer, "answer"), "citations": get(answer, "citations", [])}]
    return number_citations(sentences, get(answer, "citations", []) or [], fact_ids)


def answer_markdown(cites: CitationList) -> str:
    """The answer text with its markers; unsupported sentences (LLM path) are flagged, not hidden."""
    parts = []
    for s in cites.sentences:
        text = s.text + markers(s.numbers)
        if not s.supported:
            text = f"~~{text}~~ *(not supported by the cited facts)*"
        parts.append(text)
    return " ".join(parts)


def citation_list(cites: CitationList, facts: dict[str, Fact], entities: dict[str, Entity],
                  key: str, expanded: Sequence[int] = ()) -> None:
    """One expander per citation: "[n] subject predicate object · sources"."""
    names = {i: e.name for i, e in entities.items()}
    for n, fid in enumerate(cites.fact_ids, start=1):
        fact = facts.get(fid)
        if fact is None:
            st.warning(f"[{n}] cites fact `{fid}`, which is not in the graph (any more).")
            continue
        label = f"[{n}] {fact_sentence(fact, names)} · {', '.join(fact.sources) or 'no source'}"
        with st.expander(label, expanded=n in expanded):
            fact_details(fact, entities, key=f"{key}-{n}")
