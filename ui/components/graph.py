"""Interactive network views (pyvis / vis-network, embedded with st.components.v1.html).

The HTML is self-contained: vis-network is inlined from the pyvis package, and pyvis' links to a CDN
(bootstrap, which the view does not need) are removed so the view works on a machine without internet.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from kg.model import Entity, Fact
from ui.components.format import predicate_words

TYPE_COLOURS = {
    "Disease": "#e45756",
    "Phenotype": "#f58518",
    "Symptom": "#ff9da6",
    "Finding": "#eeca3b",
    "Compound": "#4c78a8",
    "Gene": "#54a24b",
    "Anatomy": "#b279a2",
    "PharmacologicClass": "#72b7b2",
    "SideEffect": "#9d755d",
    "BiologicalProcess": "#bab0ac",
    "CellularComponent": "#bab0ac",
    "MolecularFunction": "#bab0ac",
    "Pathway": "#88d27a",
}
DEFAULT_COLOUR = "#9aa0a6"


@dataclass
class GraphNode:
    id: str
    label: str
    type: str = ""
    focus: bool = False        # drawn larger: the entity the view is about


@dataclass
class GraphEdge:
    source: str
    target: str
    label: str
    title: str = ""            # tooltip: fact id and sources


@dataclass
class GraphView:
    nodes: dict[str, GraphNode] = field(default_factory=dict)
    edges: list[GraphEdge] = field(default_factory=list)

    def add_entity(self, entity_id: str, entity: Entity | None, focus: bool = False) -> None:
        node = self.nodes.get(entity_id)
        if node is None:
            label = entity.name if entity else entity_id
            self.nodes[entity_id] = GraphNode(entity_id, label, entity.type if entity else "", focus)
        elif focus:
            node.focus = True

    def add_fact(self, fact: Fact, entities: dict[str, Entity], label_prefix: str = "") -> None:
        self.add_entity(fact.subject, entities.get(fact.subject))
        self.add_entity(fact.object, entities.get(fact.object))
        title = f"{fact.id} · " + ", ".join(fact.sources) if fact.sources else fact.id
        self.edges.append(GraphEdge(fact.subject, fact.object, label_prefix + predicate_words(fact.predicate),
                                    title))


def graph_of_facts(facts: Iterable[Fact], entities: dict[str, Entity], focus: Iterable[str] = (),
                   labels: Sequence[str] | None = None) -> GraphView:
    """Nodes and edges for facts; `labels[i]` (e.g. "[3] ") prefixes the i-th fact's edge label."""
    view = GraphView()
    for fid in focus:
        view.add_entity(fid, entities.get(fid), focus=True)
    for i, fact in enumerate(facts):
        view.add_fact(fact, entities, labels[i] if labels and i < len(labels) else "")
    return view


_EXTERNAL = re.compile(r"<(?:link|script)\b[^>]*(?:cdn\.jsdelivr\.net|node_modules)[^>]*>(?:\s*</script>)?",
                       re.S)


def network_html(view: GraphView, height: int = 420) -> str:
    """A standalone HTML page drawing the view with vis-network (drag, zoom, hover for details)."""
    from pyvis.network import Network

    net = Network(height=f"{height - 4}px", width="100%", directed=True, cdn_resources="in_line")
    for node in view.nodes.values():
        colour = TYPE_COLOURS.get(node.type, DEFAULT_COLOUR)
        tip = _safe(f"{node.label}\n{node.id}") + (f"\n{node.type}" if node.type else "")
        net.add_node(node.id, label=_short(node.label), title=tip, color=colour,
                     size=26 if node.focus else 16, borderWidth=3 if node.focus else 1,
                     font={"size": 16 if node.focus else 13})
    for edge in view.edges:
        net.add_edge(edge.source, edge.target, label=_safe(edge.label), title=_safe(edge.title),
                     font={"size": 11, "align": "middle"}, color="#8a8f98")
    net.set_options("""{
      "physics": {"solver": "forceAtlas2Based", "stabilization": {"iterations": 200},
                  "forceAtlas2Based": {"springLength": 120}},
      "interaction": {"hover": true, "navigationButtons": false, "tooltipDelay": 120},
      "edges": {"arrows": {"to": {"enabled": true, "scaleFactor": 0.6}}, "smooth": {"type": "dynamic"}}
    }""")
    page = _EXTERNAL.sub("", net.generate_html(notebook=False))
    # no page margin or card border: the frame is exactly the network's height, without a scrollbar
    return page.replace("<head>", "<head><style>html,body{margin:0;overflow:hidden} .card{border:0} #mynetwork{box-sizing:border-box}</style>", 1)


def _short(label: str, limit: int = 40) -> str:
    label = _safe(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _safe(text: str) -> str:
    """Names come from sources and curators: keep them from closing the page's <script> block."""
    return text.replace("<", "‹").replace(">", "›")


def legend_markdown(view: GraphView) -> str:
    """A one-line colour legend for the types present in the view."""
    types = sorted({n.type for n in view.nodes.values() if n.type})
    return " ".join(f"<span style='color:{TYPE_COLOURS.get(t, DEFAULT_COLOUR)}'>●</span> {html.escape(t)}"
                    for t in types)


def show_graph(view: GraphView, height: int = 420) -> None:
    """Draw the view in the page (nothing when it has no edges)."""
    import streamlit as st
    import streamlit.components.v1 as components

    if not view.edges:
        st.caption("No relations to draw.")
        return
    page = network_html(view, height)
    if hasattr(st, "iframe"):          # Streamlit >= 1.52: components.v1.html is deprecated
        st.iframe(page, height=height)
    else:
        components.html(page, height=height, scrolling=False)
    legend = legend_markdown(view)
    if legend:
        st.caption(legend, unsafe_allow_html=True)
