"""Triage: a person's own words in; the findings recognised (correctable), ranked candidate conditions
with the findings for and against each, the urgency as a banner, and the next questions to answer."""
from __future__ import annotations

import time
from typing import Any

import streamlit as st

from ui.components.chips import entity_chip
from ui.components.errors import user_errors
from ui.components.format import urgency_method, urgency_style
from ui.components.records import as_entity, entity_id, entity_name, first, get
from ui.context import get_context, warm

STATE = "triage_case"          # {"text", "age", "sex", "answers": {entity id: bool}}
EXAMPLE = "I have had a fever and a cough for three days, my chest hurts when I breathe, no rash."

BANNERS = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}


def case() -> dict | None:
    return st.session_state.get(STATE)


def set_answer(finding_id: str, present: bool) -> None:
    """Callback: record the person's answer about a finding; the triage reruns with it."""
    current = case()
    if current is not None:
        current["answers"][finding_id] = present


def toggle_finding(finding_id: str, key: str) -> None:
    set_answer(finding_id, bool(st.session_state.get(key)))


def case_form() -> None:
    current = case() or {}
    with st.form("triage-form"):
        text = st.text_area("Describe what you feel, in your own words", value=current.get("text", ""),
                            placeholder=EXAMPLE, height=110, key="triage-text")
        cols = st.columns([1, 1, 2])
        age = cols[0].number_input("Age (optional)", min_value=0, max_value=120, value=current.get("age") or 0,
                                   step=1, key="triage-age", help="0 = not given")
        sex_options = ["not given", "female", "male"]
        sex = cols[1].selectbox("Sex (optional)", sex_options, key="triage-sex",
                                index=sex_options.index(current.get("sex") or "not given"))
        submitted = st.form_submit_button("Assess", type="primary", icon=":material/stethoscope:")
    if submitted:
        if not text.strip():
            st.warning("Describe the symptoms first.", icon=":material/edit_note:")
            return
        st.session_state[STATE] = {"text": text.strip(), "age": int(age) or None,
                                   "sex": None if sex == "not given" else sex, "answers": {}}


def run_triage(ctx, current: dict) -> tuple[Any, float]:
    warm(ctx, "triager")
    start = time.perf_counter()
    result = ctx.triager.triage(current["text"], answers=dict(current["answers"]) or None,
                                age=current["age"], sex=current["sex"])
    return result, time.perf_counter() - start


def urgency_banner(result: Any) -> None:
    style = urgency_style(get(result, "urgency"))
    flags = [str(first(f, "reason", "finding", "label", default="")) for f in get(result, "red_flags", []) or []]
    body = f"**{style.title}** — {get(result, 'advice', '') or style.advice}"
    if flags:
        body += "  \n**Red flags:** " + "; ".join(f.rstrip(". ") for f in flags if f) + "."
    BANNERS[style.kind](body, icon=":material/emergency:" if style.kind == "error" else None)
    reasons = get(result, "urgency_reasons", []) or []
    if reasons:
        st.caption("Why this level: " + "; ".join(str(r).rstrip(". ") for r in reasons) + ".")
    st.caption(urgency_method(result))


def findings_section(result: Any, current: dict) -> None:
    findings = get(result, "findings", []) or []
    st.subheader("What was recognised")
    if not findings:
        st.info("No symptoms or signs were recognised in the text. Try describing them differently "
                "(what you feel, where, since when).", icon=":material/help:")
        return
    st.caption("Untick a finding that is wrong, tick one that is present: the assessment updates.")
    for f in findings:
        ent = get(f, "entity")
        fid = entity_id(ent)
        present = bool(get(f, "present", True))
        said = first(f, "text", "mention", default="")
        label = entity_name(ent) + (f" — “{said}”" if said and str(said).lower() != entity_name(ent).lower() else "")
        if fid in current["answers"] or get(f, "origin") == "answer":
            label += " (your answer)"
        notes = [str(get(f, k)) for k in ("duration", "severity", "onset") if get(f, k)]
        if get(f, "uncertain"):
            notes.append("uncertain")
        if notes:
            label += f" [{', '.join(notes)}]"
        key = f"triage-finding-{fid}-{present}"
        st.checkbox(label, value=present, key=key, on_change=toggle_finding, args=(fid, key),
                    help=f"{fid} · {'present' if present else 'absent'}")


def evidence_label(item: Any) -> str:
    """"fever (90% of cases, hpo)" for one finding for or against a candidate."""
    name = first(item, "finding_name", "name", default="") or entity_name(get(item, "entity"), "")
    name = name or str(first(item, "finding", "id", default="?"))
    if get(item, "present") is False:
        name = f"no {name}"
    details = []
    freq = get(item, "frequency")
    if isinstance(freq, (int, float)):
        details.append(f"{freq:.0%} of cases")
    if get(item, "source"):
        details.append(str(get(item, "source")))
    return name + (f" ({', '.join(details)})" if details else "")


def candidates_section(result: Any) -> None:
    candidates = get(result, "candidates", []) or []
    st.subheader("Conditions to consider")
    if not candidates:
        st.caption("No condition stands out from these findings.")
        return
    for rank, c in enumerate(candidates[:10], start=1):
        ent = get(c, "entity")
        score = float(get(c, "score", 0.0))
        with st.container(border=True):
            top = st.columns([4, 1])
            with top[0]:
                entity = as_entity(ent)
                if entity is not None:
                    entity_chip(entity, label=f"{rank}. {entity.name}")
                else:
                    st.markdown(f"**{rank}. {entity_name(ent)}**")
            top[1].progress(min(max(score, 0.0), 1.0), text=f"{score:.0%}")
            supporting = [evidence_label(e) for e in first(c, "supporting", "evidence", default=[])]
            opposing = [evidence_label(e) for e in get(c, "opposing", []) or []]
            if supporting:
                st.markdown(":green[**for:**] " + ", ".join(supporting))
            if opposing:
                st.markdown(":red[**against:**] " + ", ".join(opposing))
            care = get(c, "care")
            severity = get(c, "severity")
            meta = ([f"usual level of care: {care}"] if care else []) + ([f"severity {severity} (1 = most severe)"]
                                                                     if severity else [])
            if meta:
                st.caption(" · ".join(meta))


def next_questions_section(result: Any) -> None:
    questions = get(result, "next_questions", []) or []
    if not questions:
        return
    st.subheader("Questions that would help")
    for i, q in enumerate(questions[:6]):
        text = str(first(q, "question", "text", default=q))
        fid = entity_id(first(q, "entity", "finding", "id", default=""))
        st.markdown(text)
        if fid:
            with st.container(horizontal=True, gap="small"):
                st.button("Yes", key=f"triage-q-yes-{i}-{fid}", on_click=set_answer, args=(fid, True),
                          icon=":material/check:")
                st.button("No", key=f"triage-q-no-{i}-{fid}", on_click=set_answer, args=(fid, False),
                          icon=":material/close:")


st.title("Triage")
st.caption("Describe symptoms in everyday words. This is decision support for pre-diagnosis, not a "
           "diagnosis: when in doubt, see a clinician.")
with user_errors("The Triage page"):
    ctx = get_context()
    case_form()
    current = case()
    if current:
        with st.spinner("Assessing…"):
            result, seconds = run_triage(ctx, current)
        urgency_banner(result)
        if get(result, "message"):
            st.markdown(get(result, "message"))
        left, right = st.columns([2, 3])
        with left:
            findings_section(result, current)
            next_questions_section(result)
        with right:
            candidates_section(result)
        disclaimer = get(result, "disclaimer", "")
        if disclaimer:
            st.info(disclaimer, icon=":material/medical_information:")
        st.caption(f"assessed in {seconds * 1000:.0f} ms")
