"""Ask: a chat about the graph. Each answer carries numbered citations, the entities it understood, the
evidence drawn as a graph, whether an LLM or the extractive composer wrote it, and the disclaimer."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ui.components.chips import entity_chips
from ui.components.citations import answer_markdown, citation_list, collect_facts, numbered
from ui.components.errors import explain, user_errors
from ui.components.format import markers
from ui.components.graph import graph_of_facts, show_graph
from ui.components.records import get
from ui.context import get_context, graph_stats, warm

log = logging.getLogger("kgqa.ui")

HISTORY = "ask_history"
PENDING = "ask_pending"

# Questions offered on a first visit: (question, predicate, the entity's name in the graph, the type at the
# other end). One is offered only when the graph holds such facts for that entity.
EXAMPLES = [
    ("What drugs treat hypertension?", "treats", "hypertension", "Compound"),
    ("Which genes are linked to asthma?", "associated_with", "asthma", "Gene"),
    ("What are the symptoms of Marfan syndrome?", "has_phenotype", "Marfan syndrome", "Phenotype"),
    ("Which diseases cause a fast heartbeat?", "has_phenotype", "tachycardia", "Disease"),
    ("What does metformin bind?", "binds", "metformin", "Gene"),
]


@dataclass
class Turn:
    question: str
    answer: Any = None
    error: str = ""
    seconds: float = 0.0
    mode: str = ""
    extra: dict = field(default_factory=dict)


def examples_for(ctx) -> list[str]:
    """The example questions this graph can answer (it holds the facts they ask for), at most four."""
    by_predicate = graph_stats(ctx).get("by_predicate", {})
    out = []
    for question, predicate, name, other_type in EXAMPLES:
        if not by_predicate.get(predicate):
            continue
        hits = ctx.store.search(name, limit=1)
        if hits and ctx.store.count_facts(hits[0].id, [predicate], other_types=[other_type]):
            out.append(question)
    return out[:4]


def llm_choice(ctx) -> str | None:
    """The LLM to use for this session: the configured one unless switched off in the sidebar."""
    configured = ctx.settings.llm
    if not configured or configured == "none":
        st.sidebar.caption("Answers: extractive (no LLM configured; set KGQA_LLM to use one).")
        return "none"
    on = st.sidebar.toggle(f"Write answers with the LLM ({configured})", value=True, key="ask_use_llm",
                           help="Off: the extractive composer, which only restates cited facts.")
    return configured if on else "none"


def mode_badge(answer: Any) -> None:
    mode = str(get(answer, "mode", "extractive"))
    with st.container(horizontal=True, gap="small"):
        if mode == "llm":
            name = get(answer, "llm_name", "")
            st.badge(f"LLM answer{f' ({name})' if name else ''} · checked against the cited facts",
                     icon=":material/smart_toy:", color="violet")
        else:
            st.badge("Extractive answer · composed from graph facts", icon=":material/format_quote:", color="blue")
        verdict = get(answer, "verdict")
        if verdict in ("yes", "no"):
            st.badge(f"Answer: {verdict}", color="green" if verdict == "yes" else "orange")


def render_answer(turn: Turn, index: int, latest: bool, store) -> None:
    if turn.error:
        st.error(f"The question could not be answered: {turn.error}", icon=":material/error:")
        return
    answer = turn.answer
    mode_badge(answer)
    cites = numbered(answer)
    if get(answer, "abstained", False):
        st.info(answer_markdown(cites) or "The graph holds no facts that answer this question.",
                icon=":material/help:")
    else:
        st.markdown(answer_markdown(cites))
    for warning in get(answer, "warnings", []) or []:
        st.warning(str(warning), icon=":material/warning:")
    entity_chips(get(answer, "entities", []) or [], title="Understood:")
    if cites.fact_ids:
        facts, entities = collect_facts(answer, store)
        st.markdown(f"**Citations** ({len(cites.fact_ids)})")
        citation_list(cites, facts, entities, key=f"ask-{index}")
        if st.toggle("Show the evidence graph", value=latest, key=f"ask-graph-{index}"):
            cited = [facts[f] for f in cites.fact_ids if f in facts]
            labels = [markers([n]).strip() + " " for n, f in enumerate(cites.fact_ids, 1) if f in facts]
            anchors = [e.id for e in get(answer, "entities", []) or [] if hasattr(e, "id")]
            show_graph(graph_of_facts(cited, entities, focus=anchors, labels=labels), height=380)
    disclaimer = get(answer, "disclaimer", "")
    if disclaimer:
        st.caption(f":material/medical_information: {disclaimer}")
    st.caption(f"answered in {turn.seconds * 1000:.0f} ms")


def ask(ctx, question: str, llm: str | None) -> Turn:
    turn = Turn(question)
    start = time.perf_counter()
    try:
        warm(ctx, "answerer")
        turn.answer = ctx.answerer.ask(question, llm=llm)
    except Exception as exc:  # noqa: BLE001 - shown in the chat; the traceback goes to the server log
        log.exception("kgqa ui: ask failed")
        turn.error = explain(exc)
    turn.seconds = time.perf_counter() - start
    return turn


st.title("Ask the knowledge graph")
with user_errors("The Ask page"):
    ctx = get_context()
    llm = llm_choice(ctx)
    history: list[Turn] = st.session_state.setdefault(HISTORY, [])
    if history and st.sidebar.button("Clear the conversation", icon=":material/delete:"):
        history.clear()

    # pinned to the bottom of the page wherever it is called; called first so that a question typed on
    # a first visit hides the introduction in the same run
    typed = st.chat_input("Ask about a disease, symptom, drug or gene…", key="ask-input")
    if not history and PENDING not in st.session_state and not typed:
        st.markdown("Ask about diseases, symptoms, drugs and genes, in medical or everyday words. "
                    "Every statement in an answer is cited to facts of the graph, with their sources.")
        examples = examples_for(ctx)
        if examples:
            st.caption("Try one of these:")
            with st.container(horizontal=True, gap="small"):
                for i, q in enumerate(examples):
                    st.button(q, key=f"ask-example-{i}", icon=":material/lightbulb:",
                              on_click=st.session_state.__setitem__, args=(PENDING, q))

    for i, turn in enumerate(history):
        with st.chat_message("user"):
            st.markdown(turn.question)
        with st.chat_message("assistant"):
            render_answer(turn, i, latest=i == len(history) - 1, store=ctx.store)

    question = (typed or st.session_state.pop(PENDING, None) or "").strip()
    if question:
        with st.chat_message("user"):
            st.markdown(question)
        with st.chat_message("assistant"):
            with st.spinner("Finding the facts that answer it…"):
                turn = ask(ctx, question, llm)
            history.append(turn)
            render_answer(turn, len(history) - 1, latest=True, store=ctx.store)
