"""Answers on the full graph: real store, real linker and retriever (full_context), extractive path."""
from __future__ import annotations

import re

import pytest

from qa.abstain import DISCLAIMER, NO_DOSING

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def answerer(full_context):
    return full_context.answerer


@pytest.fixture(scope="module")
def store(full_context):
    return full_context.store


def _linked(store, name: str, type_: str):
    hits = [e for e in store.search(name, limit=10, types=[type_]) if e.name.lower() == name.lower()]
    assert hits, f"{name} ({type_}) is not in the graph"
    return hits[0]


def _markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def test_list_answer_cites_real_facts_about_the_question_entity(answerer, store):
    a = answerer.ask("what drugs treat hypertension?")
    htn = _linked(store, "hypertension", "Disease")
    assert not a.abstained and a.mode == "extractive"
    assert htn.id in {e.id for e in a.entities}
    assert a.citations, a.answer
    # [n] in the text is citations[n-1] is facts[n-1]
    assert sorted(set(_markers(a.answer))) == list(range(1, len(a.citations) + 1))
    assert [sf.fact.id for sf in a.facts[: len(a.citations)]] == a.citations
    for fid in a.citations:
        fact = store.get_fact(fid)
        assert fact is not None and htn.id in (fact.subject, fact.object)
    treats = [sf for sf in a.facts[: len(a.citations)] if sf.fact.predicate == "treats"]
    assert treats, "no treats fact cited for a 'what drugs treat' question"
    total = store.count_facts(htn.id, ["treats"], "in")
    m = re.search(r"The graph lists (\d+) drugs that treat hypertension", a.answer)
    assert m and int(m.group(1)) == total
    if total > 10:
        assert "the best supported are" in a.answer
    # strongest evidence first within the list
    scores = [sf.score for sf in treats]
    assert scores == sorted(scores, reverse=True)
    # every named drug appears once
    names = [store.get_entity(sf.fact.subject).name for sf in treats]
    assert len(names) == len(set(names))


def test_yes_when_the_graph_holds_the_fact(answerer, store):
    metformin = _linked(store, "metformin", "Compound")
    t2d = _linked(store, "type 2 diabetes mellitus", "Disease")
    assert any(f.object == t2d.id for f in store.facts(metformin.id, ["treats"], "out", limit=None))
    a = answerer.ask("Does metformin treat type 2 diabetes mellitus?")
    assert a.verdict == "yes" and a.answer.startswith("Yes:")
    fact = store.get_fact(a.citations[0])
    assert {fact.subject, fact.object} == {metformin.id, t2d.id} and fact.predicate == "treats"


def test_no_when_the_graph_holds_no_such_fact(answerer, store):
    metformin = _linked(store, "metformin", "Compound")
    htn = _linked(store, "hypertension", "Disease")
    between = [f for f in store.facts(metformin.id, None, "both", limit=None) if htn.id in (f.subject, f.object)]
    assert not between   # precondition from the sources: Hetionet has no metformin-hypertension edge
    a = answerer.ask("Does metformin treat hypertension?")
    assert a.verdict == "no" and not a.abstained
    assert a.answer.lower().startswith("the graph holds no fact that metformin treats hypertension")
    for fid in a.citations:   # any context it cites is about metformin, never a metformin-hypertension fact
        fact = store.get_fact(fid)
        assert metformin.id in (fact.subject, fact.object) and htn.id not in (fact.subject, fact.object)


def test_every_extractive_sentence_is_made_of_its_cited_facts(answerer, store):
    a = answerer.ask("which genes are associated with asthma?")
    assert not a.abstained and a.citations
    names = {sf.fact.id: sf for sf in a.facts}
    for s in a.sentences:
        for fid in s.citations:
            sf = names[fid]
            other = sf.object if sf.fact.subject in {e.id for e in a.entities} else sf.subject
            assert other is not None and other.name in s.text
    assert a.disclaimer is None   # a research question: no clinical disclaimer


@pytest.mark.parametrize("question,reason", [("write me a poem about asthma", "task"),
                                             ("what's the stock price of Pfizer?", "off_topic"),
                                             ("what is the half-life of ibuprofen?", "not_recorded")])
def test_out_of_domain_requests_are_declined(answerer, question, reason):
    a = answerer.ask(question)
    assert a.abstained and a.abstain_reason == reason and not a.citations and not a.facts


def test_question_naming_nothing_in_the_graph_abstains(answerer):
    a = answerer.ask("what drugs treat florbinexia?")
    assert a.abstained and a.abstain_reason in ("no_entity", "no_facts") and not a.citations


@pytest.mark.parametrize("question", ["Does metformin treat zorblax disease?",
                                      "Is aspirin used for blorpitis?"])
def test_yes_no_question_with_one_side_unknown_is_declined(answerer, question):
    a = answerer.ask(question)
    assert a.abstained and a.abstain_reason == "partial_entity" and not a.citations
    assert len(a.entities) == 1 and a.entities[0].name in a.answer


def test_yes_no_question_with_both_sides_known_is_answered(answerer):
    a = answerer.ask("Does metformin treat type 2 diabetes?")
    assert not a.abstained and a.verdict == "yes" and a.citations


def test_clinical_question_carries_the_disclaimer_and_no_dosing(answerer):
    a = answerer.ask("what dose of metformin should I take for type 2 diabetes?")
    assert a.disclaimer == DISCLAIMER
    assert NO_DOSING in a.answer
    assert not re.search(r"\d+\s*(mg|milligram)", a.answer, re.I)


def test_json_contract(answerer):
    d = answerer.ask("what are the symptoms of measles?").to_json()
    assert {"question", "answer", "abstained", "entities", "facts", "citations"} <= set(d)
    assert all({"id", "name", "type", "xrefs"} <= set(e) for e in d["entities"])
    assert all({"id", "subject", "predicate", "object", "sources"} <= set(f) for f in d["facts"])
    assert set(d["citations"]) <= {f["id"] for f in d["facts"]}


def test_onset_and_inheritance_terms_do_not_lead_a_phenotype_list(answerer, full_context):
    table = full_context.linker.table
    a = answerer.ask("What phenotypes does cystic fibrosis have?")
    assert not a.abstained and a.sentences
    first = a.sentences[0]
    by_id = {sf.fact.id: sf for sf in a.facts}
    others = []
    for fid in first.citations:
        f = by_id[fid].fact
        others.append(f.object if f.subject in {e.id for e in a.entities} else f.subject)
    assert len(others) >= 5
    assert not [o for o in others if table.index_of.get(o) in table.modifiers]
