"""The extractive composer on hand-built retrieval results (pure logic: records in, sentences out)."""
from __future__ import annotations

import re

from kg.model import Entity, Fact, Provenance
from qa.citations import Citer
from qa.extractive import ExtractiveComposer
from retrieval.types import Intent, Mention, RetrievalResult, ScoredFact

HTN = Entity("DOID:10763", "Disease", "hypertension")
T2D = Entity("DOID:9352", "Disease", "type 2 diabetes mellitus")
MET = Entity("DRUGBANK:DB00331", "Compound", "Metformin")
DRUGS = [Entity(f"DRUGBANK:DB9{i:04d}", "Compound", f"Drug{i}") for i in range(14)]


def sf(s: Entity, p: str, o: Entity, score: float, sources: int = 1) -> ScoredFact:
    return ScoredFact(Fact(s.id, p, o.id, [Provenance(f"src{k}") for k in range(sources)]), score, s, o)


def result(question: str, kind: str, mentions: list[Entity], facts: list[ScoredFact], totals=None):
    return RetrievalResult(question, [Mention(0, 1, e.name, 0.9, e) for e in mentions], Intent(kind, ["treats"]),
                           facts, total_candidates=totals or {})


def compose(r: RetrievalResult):
    citer = Citer()
    return ExtractiveComposer(None).compose(r, citer), citer


def test_long_list_is_counted_ranked_and_cut_at_ten():
    facts = [sf(d, "treats", HTN, 1 - i / 100) for i, d in enumerate(DRUGS)]
    comp, citer = compose(result("what drugs treat hypertension?", "facts", [HTN], facts[::-1], {"treats": 68}))
    (s,) = comp.sentences
    assert s.text.startswith("The graph lists 68 drugs that treat hypertension; the best supported are Drug0 [1]")
    assert s.text.endswith("and Drug9 [10].")
    assert s.citations == [f.fact.id for f in facts[:10]] == citer.order


def test_short_list_lists_everything_and_duplicates_collapse():
    twin = Entity("DRUGBANK:DB99999", "Compound", "drug1")   # same name as Drug1, another id
    facts = [sf(DRUGS[0], "treats", HTN, .9), sf(DRUGS[1], "treats", HTN, .8), sf(twin, "treats", HTN, .7)]
    comp, _ = compose(result("what drugs treat hypertension?", "facts", [HTN], facts))
    assert comp.sentences[0].text == "The graph lists 2 drugs that treat hypertension: Drug0 [1] and Drug1 [2]."


def test_stronger_evidence_wins_ties_on_score():
    facts = [sf(DRUGS[0], "treats", HTN, .5, sources=1), sf(DRUGS[1], "treats", HTN, .5, sources=3)]
    comp, _ = compose(result("what drugs treat hypertension?", "facts", [HTN], facts))
    assert comp.sentences[0].text.index("Drug1") < comp.sentences[0].text.index("Drug0")


def test_yes_no_both_ways():
    yes, _ = compose(result("does metformin treat type 2 diabetes mellitus?", "yes_no", [MET, T2D],
                            [sf(MET, "treats", T2D, .9)]))
    assert yes.verdict == "yes" and yes.sentences[0].text == "Yes: Metformin treats type 2 diabetes mellitus [1]."
    no, _ = compose(result("does metformin treat hypertension?", "yes_no", [MET, HTN],
                           [sf(MET, "treats", T2D, .9)]))
    assert no.verdict == "no"
    assert no.sentences[0].text == "The graph holds no fact that Metformin treats hypertension."
    assert no.sentences[0].citations == []
    # the context sentence cites only what the graph does hold
    assert all(c == sf(MET, "treats", T2D, 0).fact.id for s in no.sentences[1:] for c in s.citations)


def test_question_word_order_does_not_flip_the_relation():
    no, _ = compose(result("is hypertension treated by metformin?", "yes_no", [HTN, MET], []))
    assert no.sentences[0].text == "The graph holds no fact that Metformin treats hypertension."


def test_markers_are_numbered_in_order_of_first_use():
    facts = [sf(d, "treats", HTN, 1 - i / 10) for i, d in enumerate(DRUGS[:3])]
    comp, citer = compose(result("what drugs treat hypertension?", "facts", [HTN], facts))
    assert [int(n) for n in re.findall(r"\[(\d+)\]", comp.sentences[0].text)] == [1, 2, 3]
