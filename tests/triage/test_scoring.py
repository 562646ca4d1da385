"""The naive-Bayes scorer on a small hand-made condition–finding table (pure logic, no store)."""
from __future__ import annotations

import pytest

from kg.model import Entity, Fact, Provenance
from qa.triage_knowledge import ConditionKnowledge
from qa.triage_scoring import ConditionScorer, Observation


def _facts():
    hp = lambda *a: Provenance("hpo", "t", "", dict(a))
    return [
        # hierarchy: sharp chest pain < chest pain < pain; cough; fever
        Fact("HP:SHARP", "subclass_of", "HP:CHEST", [hp()]),
        Fact("HP:CHEST", "subclass_of", "HP:PAIN", [hp()]),
        Fact("HP:THROAT", "subclass_of", "HP:PAIN", [hp()]),
        Fact("D:ANGINA", "has_phenotype", "HP:CHEST", [hp(("frequency_value", 0.9))]),
        Fact("D:ANGINA", "has_phenotype", "HP:SWEAT", [hp(("frequency_value", 0.5))]),
        Fact("D:COLD", "has_phenotype", "HP:COUGH", [hp(("frequency_value", 0.8))]),
        Fact("D:COLD", "has_phenotype", "HP:FEVER", [hp(("frequency_value", 0.4))]),
        Fact("D:COLD", "has_phenotype", "HP:THROAT", [hp(("frequency_value", 0.6))]),
        Fact("D:FLU", "has_phenotype", "HP:FEVER", [hp(("frequency_value", 0.9))]),
        Fact("D:FLU", "has_phenotype", "HP:COUGH", [hp(("frequency_value", 0.7))]),
        Fact("D:PAINFUL", "has_phenotype", "HP:PAIN", [hp(("frequency_value", 0.9))]),
    ] + [Fact(f"D:OTHER{i}", "has_phenotype", "HP:COUGH", [hp(("frequency_value", 0.5))]) for i in range(6)]


@pytest.fixture(scope="module")
def kb() -> ConditionKnowledge:
    ids = ["D:ANGINA", "D:COLD", "D:FLU", "D:PAINFUL"] + [f"D:OTHER{i}" for i in range(6)]
    diseases = [Entity(i, "Disease", i.split(":")[1].lower()) for i in ids]
    findings = [Entity(i, "Phenotype", i.split(":")[1].lower())
                for i in ("HP:SHARP", "HP:CHEST", "HP:PAIN", "HP:THROAT", "HP:SWEAT", "HP:COUGH", "HP:FEVER")]
    return ConditionKnowledge.from_records(diseases, findings, _facts(), priors_file=None)


def ranked(kb, obs):
    return ConditionScorer(kb, temperature=1.0).score([Observation(t, p) for t, p in obs])


def test_direct_evidence_ranks_first_with_its_fact(kb):
    cands = ranked(kb, [("HP:FEVER", True), ("HP:COUGH", True)])
    assert cands[0].id == "D:FLU"
    fact_ids = {f.id for f in _facts()}
    assert all(e.fact_id in fact_ids for e in cands[0].supporting)
    assert {e.finding for e in cands[0].supporting} == {"HP:FEVER", "HP:COUGH"}


def test_probabilities_are_calibrated(kb):
    cands = ranked(kb, [("HP:FEVER", True)])
    total = sum(c.probability for c in cands)
    assert 0 < total <= 1.0 + 1e-9
    assert cands == sorted(cands, key=lambda c: -c.probability)


def test_specific_finding_supports_condition_annotated_with_ancestor(kb):
    # "sharp chest pain" is a kind of chest pain: angina (annotated with chest pain) explains it
    cands = ranked(kb, [("HP:SHARP", True)])
    assert cands[0].id == "D:ANGINA"
    assert cands[0].supporting[0].annotated == "HP:CHEST"


def test_general_annotation_explains_specific_finding_less(kb):
    # chest pain: angina lists it; "painful" lists only its parent "pain", so explains it partly
    cands = {c.id: c for c in ranked(kb, [("HP:CHEST", True)])}
    assert "D:PAINFUL" in cands
    assert cands["D:ANGINA"].probability > cands["D:PAINFUL"].probability


def test_denied_expected_finding_counts_against(kb):
    with_fever = {c.id: c.probability for c in ranked(kb, [("HP:COUGH", True)])}
    no_fever = {c.id: c for c in ranked(kb, [("HP:COUGH", True), ("HP:FEVER", False)])}
    # flu expects fever in 90%: denying it moves flu below cold
    assert with_fever["D:FLU"] > 0 and no_fever["D:COLD"].probability > no_fever["D:FLU"].probability
    opposing = [e for e in no_fever["D:FLU"].opposing if not e.present]
    assert opposing and opposing[0].finding == "HP:FEVER" and opposing[0].fact_id


def test_unexplained_finding_is_listed_against(kb):
    cands = {c.id: c for c in ranked(kb, [("HP:FEVER", True), ("HP:SWEAT", True)])}
    assert any(e.finding == "HP:SWEAT" and e.fact_id is None for e in cands["D:FLU"].opposing)


def test_specific_finding_makes_its_ancestor_redundant(kb):
    scorer = ConditionScorer(kb)
    kept = scorer.prune([Observation("HP:SHARP", True), Observation("HP:CHEST", True), Observation("HP:FEVER", False)])
    assert {o.term for o in kept} == {"HP:SHARP", "HP:FEVER"}


def test_no_present_findings_no_candidates(kb):
    assert ranked(kb, [("HP:FEVER", False)]) == []
    assert ranked(kb, []) == []


def test_information_content(kb):
    # pain (in its own right and through chest/throat/sharp pain) is commoner than sweating
    assert kb.information_content("HP:SWEAT") > kb.information_content("HP:PAIN")


def test_equally_frequent_annotations_below_a_term_cite_the_same_fact_whatever_the_set_order():
    """closed() walks a frozenset of descendants: on a frequency tie the annotation kept (and the fact cited)
    must not depend on the set's hash order, which changes between processes."""
    hp = lambda *a: Provenance("hpo", "t", "", dict(a))
    children = [f"HP:K{i:02d}" for i in range(12)]
    facts = [Fact(c, "subclass_of", "HP:ROOT", [hp()]) for c in children]
    facts += [Fact("D:X", "has_phenotype", c, [hp(("frequency_value", 0.5))]) for c in reversed(children)]
    diseases = [Entity("D:X", "Disease", "x")]
    findings = [Entity(i, "Phenotype", i.lower()) for i in ["HP:ROOT", *children]]
    kb = ConditionKnowledge.from_records(diseases, findings, facts, priors_file=None)
    kb._desc["HP:ROOT"] = frozenset(reversed(["HP:ROOT", *children]))   # any iteration order
    assert kb.closed("HP:ROOT")["D:X"].term == "HP:K00"
