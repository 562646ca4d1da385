"""Entity chips: one small link per entity that opens its page in Explore."""
from __future__ import annotations

from typing import Iterable

import streamlit as st

from kg.model import Entity

EXPLORE_PAGE = "pages/explore.py"

TYPE_ICONS = {
    "Disease": ":material/coronavirus:",
    "Phenotype": ":material/sick:",
    "Symptom": ":material/sick:",
    "Finding": ":material/fact_check:",
    "Compound": ":material/medication:",
    "Gene": ":material/genetics:",
    "Anatomy": ":material/accessibility_new:",
    "PharmacologicClass": ":material/category:",
}


def entity_chip(entity: Entity, label: str | None = None, key_suffix: str = "") -> None:
    """A link to Explore for `entity` (its page opens through the `id` query parameter)."""
    st.page_link(EXPLORE_PAGE, label=label or f"{entity.name} · {entity.type}",
                 icon=TYPE_ICONS.get(entity.type, ":material/label:"),
                 help=f"{entity.id} — open in Explore", query_params={"id": entity.id})


def entity_chips(entities: Iterable[Entity], title: str | None = None) -> None:
    """A wrapped row of chips, each entity once."""
    seen: set[str] = set()
    unique = [e for e in entities if not (e.id in seen or seen.add(e.id))]
    if not unique:
        return
    if title:
        st.caption(title)
    with st.container(horizontal=True, gap="small"):
        for entity in unique:
            entity_chip(entity)
