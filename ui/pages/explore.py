"""Explore: find an entity by any of its names (lay words too), read its page (synonyms, xrefs, facts
by predicate with provenance), walk its neighbourhood, and find paths between two entities."""
from __future__ import annotations

import math

import streamlit as st

from kg.model import PREDICATES, Entity
from kg.store.base import GraphStore
from ui.components.chips import TYPE_ICONS
from ui.components.errors import explain, user_errors
from ui.components.format import (evidence_parts, fact_sentence, predicate_words, synonyms_by_kind,
                                  xref_markdown)
from ui.components.graph import graph_of_facts, show_graph
from ui.context import get_context, warm

PAGE_SIZE = 20
MIN_MEANING_SCORE = 0.25   # interpret's calibrated score: below this a match by meaning is noise
TRAIL = "explore_trail"


def open_entity(entity_id: str) -> None:
    """Callback: show `entity_id` (kept in the URL so the page can be bookmarked and linked to)."""
    st.query_params["id"] = entity_id
    trail: list[str] = st.session_state.setdefault(TRAIL, [])
    if entity_id in trail:
        trail.remove(entity_id)
    trail.append(entity_id)
    del trail[:-8]


def find_entities(ctx, text: str, limit: int = 15) -> list[tuple[Entity, str]]:
    """Entities for a search: name/synonym matches from the store, then the linker for phrasings the
    names lack ("my heart is racing"); each with how it matched."""
    text = text.strip()
    if not text:
        return []
    resolved = ctx.store.resolve(text) if ":" in text else None
    found: list[tuple[Entity, str]] = []
    if resolved:
        entity = ctx.store.get_entity(resolved)
        if entity:
            found.append((entity, "identifier"))
    found += [(e, "name or synonym") for e in ctx.store.search(text, limit=limit)]
    if not found:  # the linker loads an embedding model: only when names and synonyms find nothing
        found += [(e, "meaning") for e in linked_entities(ctx, text)]
    seen: set[str] = set()
    return [(e, how) for e, how in found if not (e.id in seen or seen.add(e.id))][:limit]


def linked_entities(ctx, text: str) -> list[Entity]:
    """The linker's reading of a phrase (whichever of its methods this version offers)."""
    try:
        warm(ctx, "linker")
        linker = ctx.linker
    except Exception as exc:  # noqa: BLE001 - name search still works without the linker
        st.caption(f"Matching by meaning is unavailable: {explain(exc)}")
        return []
    method = (getattr(linker, "interpret", None) or getattr(linker, "link_phrase", None)
              or getattr(linker, "link", None))
    if method is None:
        return []
    out = []
    for item in method(text) or []:
        entity = getattr(item, "entity", None)
        if entity is None and isinstance(item, tuple):
            entity, score = item[0], float(item[1])
            if score < MIN_MEANING_SCORE:
                continue
        if entity is None and isinstance(item, Entity):
            entity = item
        if isinstance(entity, Entity):
            out.append(entity)
        for cand in getattr(item, "candidates", [])[:4]:
            if isinstance(cand, tuple) and isinstance(cand[0], Entity):
                out.append(cand[0])
    return out


def search_box(ctx) -> None:
    text = st.text_input("Search entities by name, synonym, everyday words or identifier",
                         key="explore_search", placeholder="e.g. heart attack, metformin, HP:0001945")
    if not text:
        return
    results = find_entities(ctx, text)
    if not results:
        st.info(f"Nothing in the graph matches “{text}”.", icon=":material/search_off:")
        return
    st.caption(f"{len(results)} match{'es' if len(results) != 1 else ''}")
    with st.container(horizontal=True, gap="small"):
        for entity, how in results:
            st.button(f"{entity.name} · {entity.type}", key=f"explore-hit-{entity.id}",
                      icon=TYPE_ICONS.get(entity.type, ":material/label:"),
                      help=f"{entity.id} (matched by {how})", on_click=open_entity, args=(entity.id,))


def entity_header(entity: Entity) -> None:
    st.header(entity.name)
    with st.container(horizontal=True, gap="small"):
        st.badge(entity.type, icon=TYPE_ICONS.get(entity.type, ":material/label:"), color="blue")
        st.markdown(xref_markdown(entity.id))
        if entity.sources:
            st.caption("from " + ", ".join(entity.sources))
    if entity.description:
        st.markdown(entity.description)
    groups = synonyms_by_kind(entity)
    cols = st.columns(2)
    with cols[0]:
        st.markdown("**Synonyms**")
        if not groups:
            st.caption("none recorded")
        for kind, names in groups.items():
            shown = ", ".join(names[:25]) + (f" … (+{len(names) - 25})" if len(names) > 25 else "")
            st.markdown(f"*{kind}*: {shown}")
    with cols[1]:
        st.markdown("**Cross-references**")
        if entity.xrefs:
            st.markdown(" · ".join(xref_markdown(x) for x in entity.xrefs[:40])
                        + (f" … (+{len(entity.xrefs) - 40})" if len(entity.xrefs) > 40 else ""))
        else:
            st.caption("none recorded")


def fact_groups(store: GraphStore, entity_id: str) -> list[tuple[str, str, int]]:
    """(predicate, direction, count) for every predicate the entity takes part in, largest first."""
    groups = []
    for predicate in PREDICATES:
        for direction in ("out", "in"):
            n = store.count_facts(entity_id, [predicate], direction)
            if n:
                groups.append((predicate, direction, n))
    return sorted(groups, key=lambda g: -g[2])


def group_title(entity: Entity, predicate: str, direction: str, n: int) -> str:
    words = predicate_words(predicate)
    if direction == "out":
        return f"{entity.name} {words} … ({n:,})"
    return f"… {words} {entity.name} ({n:,})"


def fact_table(store: GraphStore, entity: Entity, predicate: str, direction: str, n: int) -> None:
    pages = max(1, math.ceil(n / PAGE_SIZE))
    key = f"explore-page-{entity.id}-{predicate}-{direction}"
    page = 1
    if pages > 1:
        page = int(st.number_input(f"page (of {pages})", min_value=1, max_value=pages, value=1, step=1,
                                   key=key))
    facts = store.facts(entity.id, [predicate], direction, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    others = store.get_entities([f.object if direction == "out" else f.subject for f in facts])
    lines = ["| other end | evidence | source |", "|---|---|---|"]
    licenses: dict[tuple[str, str], str] = {}
    for f in facts:
        other_id = f.object if direction == "out" else f.subject
        other = others.get(other_id)
        other_txt = f"**{other.name}** · {other.type} · {xref_markdown(other_id)}" if other else xref_markdown(other_id)
        evidence = " / ".join("; ".join(evidence_parts(p.evidence)) or "—" for p in f.provenance) or "—"
        source = ", ".join(f"{p.source} {p.version}".strip() for p in f.provenance) or "no provenance"
        for p in f.provenance:
            licenses[(p.source, p.version)] = p.license or "license not recorded"
        lines.append(f"| {_cell(other_txt)} | {_cell(evidence)} | {_cell(source)} |")
    st.markdown("\n".join(lines))
    st.caption(" · ".join(f"{src} {ver}: {lic}".replace("  ", " ") for (src, ver), lic in licenses.items()))
    if others:
        labels = {i: f"{e.name} · {e.type}" for i, e in others.items()}
        st.selectbox("Open one of these", options=[""] + list(labels), format_func=lambda i: labels.get(i, "—"),
                     key=f"{key}-open", on_change=_open_selected, args=(f"{key}-open",))


def _open_selected(key: str) -> None:
    value = st.session_state.get(key)
    if value:
        open_entity(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def facts_section(store: GraphStore, entity: Entity) -> None:
    groups = fact_groups(store, entity.id)
    total = sum(g[2] for g in groups)
    st.subheader(f"Facts ({total:,})")
    if not groups:
        st.caption("No facts touch this entity.")
    for i, (predicate, direction, n) in enumerate(groups):
        with st.expander(group_title(entity, predicate, direction, n), expanded=i == 0):
            fact_table(store, entity, predicate, direction, n)


def neighbourhood_section(store: GraphStore, entity: Entity) -> None:
    st.subheader("Neighbourhood")
    cols = st.columns([3, 1])
    with cols[0]:
        chosen = st.multiselect("Relations", options=list(PREDICATES), format_func=predicate_words,
                                key="explore-nb-preds", placeholder="all relations")
    with cols[1]:
        limit = st.slider("Neighbours", 5, 80, 25, step=5, key="explore-nb-limit")
    neighbours = store.neighbours(entity.id, predicates=chosen or None, limit=limit)
    if not neighbours:
        st.caption("No neighbours for these relations.")
        return
    entities = {n.entity.id: n.entity for n in neighbours} | {entity.id: entity}
    show_graph(graph_of_facts([n.fact for n in neighbours], entities, focus=[entity.id]), height=460)
    labels = {n.entity.id: f"{n.entity.name} · {n.entity.type} ({predicate_words(n.fact.predicate)})"
              for n in neighbours}
    st.selectbox("Go to a neighbour", options=[""] + list(labels), format_func=lambda i: labels.get(i, "—"),
                 key=f"explore-nb-go-{entity.id}", on_change=_open_selected, args=(f"explore-nb-go-{entity.id}",))


def entity_picker(ctx, label: str, key: str, default: Entity | None) -> Entity | None:
    text = st.text_input(label, key=f"{key}-text", value=default.name if default else "")
    if not text:
        return None
    if default and default.name == text:
        return default
    matches = [e for e, _ in find_entities(ctx, text, limit=10)]
    if not matches:
        st.caption(f"Nothing matches “{text}”.")
        return None
    by_id = {m.id: m for m in matches}
    chosen = st.selectbox(f"{label}: which one", options=list(by_id), key=f"{key}-pick",
                          format_func=lambda i: f"{by_id[i].name} · {by_id[i].type} ({i})",
                          label_visibility="collapsed")
    return by_id.get(chosen)


def paths_section(ctx, current: Entity | None) -> None:
    st.subheader("Paths between two entities")
    cols = st.columns(2)
    with cols[0]:
        source = entity_picker(ctx, "From", "explore-path-from", current)
    with cols[1]:
        target = entity_picker(ctx, "To", "explore-path-to", None)
    hops = st.slider("At most this many steps", 1, 4, 3, key="explore-path-hops")
    if not (source and target):
        st.caption("Choose two entities to see how the graph connects them.")
        return
    if source.id == target.id:
        st.info("Choose two different entities.")
        return
    paths = ctx.store.shortest_paths(source.id, target.id, max_hops=hops, limit=10)
    if not paths:
        st.info(f"No path of at most {hops} steps joins {source.name} and {target.name}.",
                icon=":material/route:")
        return
    ids = sorted({e for p in paths for e in p.entities})
    entities = ctx.store.get_entities(ids)
    names = {i: e.name for i, e in entities.items()}
    st.caption(f"{len(paths)} shortest path{'s' if len(paths) != 1 else ''} ({len(paths[0])} step"
               f"{'s' if len(paths[0]) != 1 else ''})")
    for i, path in enumerate(paths, start=1):
        st.markdown(f"{i}. " + " → ".join(f"*{fact_sentence(f, names)}*" for f in path.facts))
    facts = {f.id: f for p in paths for f in p.facts}
    show_graph(graph_of_facts(facts.values(), entities, focus=[source.id, target.id]), height=420)


def trail_bar(store: GraphStore, current_id: str | None) -> None:
    trail = [i for i in st.session_state.get(TRAIL, []) if i != current_id]
    if not trail:
        return
    visited = store.get_entities(trail)
    with st.container(horizontal=True, gap="small"):
        st.caption("Visited:")
        for i in reversed(trail):
            if i in visited:
                st.button(visited[i].name, key=f"explore-trail-{i}", type="tertiary",
                          on_click=open_entity, args=(i,))


st.title("Explore the graph")
with user_errors("The Explore page"):
    ctx = get_context()
    store = ctx.store
    search_box(ctx)
    wanted = st.query_params.get("id")
    current: Entity | None = None
    if wanted:
        resolved = store.resolve(wanted) or wanted
        current = store.get_entity(resolved)
        if current is None:
            st.warning(f"No entity `{wanted}` in the graph.", icon=":material/search_off:")
    trail_bar(store, current.id if current else None)
    tab_entity, tab_paths = st.tabs(["Entity", "Paths"])
    with tab_entity:
        if current is None:
            st.caption("Search for an entity above, or open one from an answer.")
        else:
            entity_header(current)
            facts_section(store, current)
            neighbourhood_section(store, current)
    with tab_paths:
        paths_section(ctx, current)
