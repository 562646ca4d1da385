"""Every page of the app runs headless (Streamlit's AppTest) on a real graph, and the main flows work:
ask -> answer with citations; explore -> search -> entity page -> neighbour -> paths; triage -> banner,
findings, candidates, corrections and next questions. The graph and models are the session's real ones."""
from __future__ import annotations

import re
import time

import pytest

from tests.ui.conftest import APP, assert_clean, configure_env, texts

PAGES = ["pages/ask.py", "pages/explore.py", "pages/triage.py", "pages/about.py"]
BANNER_KINDS = ("error", "warning", "info", "success")
URGENCY_TITLES = ("Emergency", "Urgent", "Routine", "Self-care")


def test_without_a_graph_the_app_says_to_build_one(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest
    configure_env(monkeypatch, f"sqlite:///{tmp_path / 'missing.sqlite'}", tmp_path)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert any("kgqa build" in e.value for e in at.error)
    assert "kgqa build" in at.code[0].value


def test_every_page_runs_without_an_exception(hpo_context, app_for):
    at = app_for(hpo_context).run()
    assert_clean(at)
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at)
        assert at.title, f"{page} shows no title"


def _ask(at, question: str):
    at.chat_input[0].set_value(question).run()
    assert_clean(at)
    return at


def _citation_expanders(at):
    return [e for e in at.expander if re.match(r"\[\d+\] ", str(e.label))]


def test_ask_shows_an_answer_with_numbered_citations_and_their_sources(hpo_context, app_for):
    at = app_for(hpo_context).run()
    question = "What are the symptoms of Marfan syndrome?"
    start = time.perf_counter()
    _ask(at, question)
    elapsed = time.perf_counter() - start
    answer = hpo_context.answerer.ask(question, llm="none")
    assert not answer.abstained
    shown = texts(at)
    assert "Extractive answer" in shown
    assert "[1]" in shown
    cited = _citation_expanders(at)
    assert len(cited) == len(answer.citations) > 0
    for n, exp in enumerate(cited, start=1):
        assert str(exp.label).startswith(f"[{n}] ")
        body = "\n".join(m.value for m in exp.markdown)
        fact = hpo_context.store.get_fact(answer.citations[n - 1])
        assert "| source | version | license | evidence |" in body
        for prov in fact.provenance:
            assert prov.source in body and (prov.license or "—") in body
            for pmid in prov.evidence.get("pmids", [])[:1]:
                assert "https://pubmed.ncbi.nlm.nih.gov/" in body
    # the understood entity is shown, and the disclaimer when the answer carries one
    names = [e.name for e in answer.entities]
    assert any(n in shown for n in names)
    if answer.disclaimer:
        assert answer.disclaimer in shown
    print(f"ask page run: {elapsed * 1000:.0f} ms")


def test_ask_example_questions_answer_on_a_first_visit(hpo_context, app_for):
    at = app_for(hpo_context).run()
    examples = [str(b.label) for b in at.button if str(b.key or "").startswith("ask-example-")]
    assert examples, "a first visit offers example questions"
    for question in examples:  # every example offered is answered from the graph, with citations
        answer = hpo_context.answerer.ask(question, llm="none")
        assert answer.citations, f"example {question!r} is not answerable on this graph"
    at.button(key="ask-example-0").click().run()
    assert_clean(at)
    assert at.chat_message[0].markdown[0].value == examples[0]
    assert len(_citation_expanders(at)) == len(hpo_context.answerer.ask(examples[0], llm="none").citations)
    assert not [b for b in at.button if str(b.key or "").startswith("ask-example-")]


def test_ask_declines_a_question_outside_the_graph_without_citations(hpo_context, app_for):
    at = _ask(app_for(hpo_context).run(), "What is the capital of France?")
    assert at.info, "the decline is shown as a message"
    assert not _citation_expanders(at)


def test_explore_search_opens_an_entity_page_and_walks_to_a_neighbour(hpo_context, app_for):
    store = hpo_context.store
    target = store.search("tachycardia", limit=1)[0]
    at = app_for(hpo_context).run()
    at.switch_page("pages/explore.py").run()
    at.text_input(key="explore_search").input(target.name).run()
    assert_clean(at)
    at.button(key=f"explore-hit-{target.id}").click().run()
    assert_clean(at)
    assert at.query_params.get("id") in (target.id, [target.id])
    assert at.header[0].value == target.name
    groups = [e for e in at.expander if "(" in str(e.label)]
    total = store.count_facts(target.id)
    assert any(s.value == f"Facts ({total:,})" for s in at.subheader)
    assert groups, "facts grouped by predicate"
    # walk to a neighbour through the select box under the graph
    neighbour = store.neighbours(target.id, limit=25)[0].entity
    at.selectbox(key=f"explore-nb-go-{target.id}").set_value(neighbour.id).run()
    assert_clean(at)
    assert at.header[0].value == neighbour.name


def _a_layperson_synonym(store):
    """(entity, synonym): the first phenotype whose layperson synonym is several words unlike its name."""
    for entity in store.iter_entities(types=["Phenotype"]):
        for syn in entity.synonyms:
            words = syn.text.lower().split()
            if syn.kind == "layperson" and len(words) >= 3 and not set(words) & set(entity.name.lower().split()):
                return entity, syn.text
    pytest.fail("the graph has no layperson synonyms")


def test_explore_finds_lay_words_through_synonyms(hpo_context, app_for):
    entity, lay = _a_layperson_synonym(hpo_context.store)
    at = app_for(hpo_context).run()
    at.switch_page("pages/explore.py").run()
    at.text_input(key="explore_search").input(lay).run()
    assert_clean(at)
    hits = [str(b.key)[len("explore-hit-"):] for b in at.button if str(b.key or "").startswith("explore-hit-")]
    assert entity.id in hits, (lay, entity.id, hits)


def test_explore_paths_between_two_entities(hpo_context, app_for):
    store = hpo_context.store
    source = store.search("tachycardia", limit=1)[0]
    fact = store.facts(source.id, limit=1)[0]
    other = store.get_entity(fact.object if fact.subject == source.id else fact.subject)
    at = app_for(hpo_context)
    at.query_params["id"] = source.id
    at.run()
    at.switch_page("pages/explore.py").run()
    at.text_input(key="explore-path-to-text").input(other.name).run()
    pick = at.selectbox(key="explore-path-to-pick")
    if pick.value != other.id:
        pick.set_value(other.id).run()
    assert_clean(at)
    assert any(c.value.startswith("1 shortest path") or "shortest paths (1 step)" in c.value
               for c in at.caption), [c.value for c in at.caption]


def test_explore_unknown_id_is_a_warning_not_a_crash(hpo_context, app_for):
    at = app_for(hpo_context)
    at.query_params["id"] = "NOPE:0"
    at.run()
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    assert any("NOPE:0" in w.value for w in at.warning)


def _banner(at):
    for kind in BANNER_KINDS:
        for el in getattr(at, kind):
            if str(el.value).startswith(tuple(f"**{t}**" for t in URGENCY_TITLES)):
                return kind, str(el.value)
    return None, ""


def test_triage_shows_banner_findings_candidates_and_reruns_on_answers(hpo_context, app_for):
    text = "I have a high fever and I keep coughing, but no rash."
    at = app_for(hpo_context).run()
    at.switch_page("pages/triage.py").run()
    at.text_area(key="triage-text").input(text)
    submit = [b for b in at.button if "Assess" in str(b.label)][0]
    submit.click().run()
    assert_clean(at)
    result = hpo_context.triager.triage(text)
    kind, banner = _banner(at)
    from ui.components.format import urgency_style
    assert kind == urgency_style(result.urgency).kind, banner
    boxes = [c for c in at.checkbox if str(c.key or "").startswith("triage-finding-")]
    assert len(boxes) == len(result.findings) > 0
    assert [c.value for c in boxes] == [f.present for f in result.findings]
    shown = texts(at)
    assert "Conditions to consider" in shown
    for cand in result.candidates[:3]:
        assert cand.entity.name in shown
    assert result.disclaimer in shown
    # correct a finding: untick the first present one, the triage reruns with that answer
    first_present = next(c for c in boxes if c.value)
    first_present.uncheck().run()
    assert_clean(at)
    assert "(your answer)" in texts(at)
    # answer a next question
    yes = [b for b in at.button if str(b.key or "").startswith("triage-q-yes-")]
    if yes:
        yes[0].click().run()
        assert_clean(at)
        assert texts(at).count("(your answer)") >= 2


def test_triage_with_nothing_recognised_says_so(hpo_context, app_for):
    at = app_for(hpo_context).run()
    at.switch_page("pages/triage.py").run()
    at.text_area(key="triage-text").input("I would like to book a table for two tonight.")
    [b for b in at.button if "Assess" in str(b.label)][0].click().run()
    assert_clean(at)
    assert any("No symptoms or signs were recognised" in i.value for i in at.info)


def test_about_lists_sources_with_licenses_versions_and_counts(hpo_context, app_for):
    at = app_for(hpo_context).run()
    at.switch_page("pages/about.py").run()
    assert_clean(at)
    stats = hpo_context.store.stats()
    shown = texts(at)
    for name, counts in stats.by_source.items():
        assert f"(`{name}`)" in shown
        if counts.get("license"):
            assert counts["license"] in shown
        assert f"{counts.get('facts', 0):,}" in shown
    assert any(m.value == f"{stats.facts:,}" for m in at.metric)
    assert "How to cite" in shown


@pytest.mark.slow
def test_on_the_full_graph_examples_answer_and_an_emergency_is_a_red_banner(full_context, app_for):
    at = app_for(full_context).run()
    assert_clean(at)
    examples = [str(b.label) for b in at.button if str(b.key or "").startswith("ask-example-")]
    assert len(examples) >= 3, examples
    for question in examples:
        assert full_context.answerer.ask(question, llm="none").citations, question
    text = "Crushing pain in my chest spreading to my left arm, and I am sweating a lot."
    at.switch_page("pages/triage.py").run()
    at.text_area(key="triage-text").input(text)
    [b for b in at.button if "Assess" in str(b.label)][0].click().run()
    assert_clean(at)
    result = full_context.triager.triage(text)
    assert result.urgency == "emergency"
    kind, banner = _banner(at)
    assert kind == "error" and banner.startswith("**Emergency**")
    yes = [b for b in at.button if str(b.key or "").startswith("triage-q-yes-")]
    assert yes, "next questions are offered as clickable answers"
    yes[0].click().run()
    assert_clean(at)
    assert "(your answer)" in texts(at)


def test_an_unreachable_llm_falls_back_to_extractive_with_a_warning(hpo_context, app_for):
    import socket

    from kgqa.context import KGContext
    with socket.socket() as s:           # a loopback port that refuses connections once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = hpo_context.settings.with_(llm="openai", llm_url=f"http://127.0.0.1:{port}/v1", llm_model="any",
                                          llm_timeout=3.0)
    ctx = KGContext(settings, store=hpo_context.store)
    ctx.__dict__["linker"] = hpo_context.linker   # the same graph: reuse the session's linker
    at = app_for(ctx).run()
    assert at.toggle(key="ask_use_llm").value is True
    _ask(at, "What are the symptoms of Marfan syndrome?")
    shown = texts(at)
    assert "Extractive answer" in shown and _citation_expanders(at)
    assert any("openai" in w.value and "extractive" in w.value for w in at.warning), [w.value for w in at.warning]
    # switched off in the sidebar, the next answer does not try the LLM at all
    at.toggle(key="ask_use_llm").set_value(False).run()
    _ask(at, "Which diseases cause a fast heartbeat?")
    assert len([w for w in at.warning if "openai" in w.value]) == 1
