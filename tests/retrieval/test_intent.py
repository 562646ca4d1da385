import pytest

from retrieval.intent import parse_intent


@pytest.mark.parametrize("q", [
    "what drugs treat diabetes?", "What can I take for sugar diabetes?", "medication for high blood pressure",
    "how do you treat a migraine", "Which medicines are used against asthma", "what helps with heartburn",
    "any cure for psoriasis?", "treatment options for gout",
])
def test_treatment_questions(q):
    i = parse_intent(q)
    assert i.kind == "facts" and "treats" in i.predicates and i.answer_types == ["Compound"]
    assert "Disease" in i.subject_types


@pytest.mark.parametrize("q", ["what is metformin used for", "what does aspirin treat?",
                               "what is ibuprofen prescribed for?", "indications of warfarin"])
def test_drug_use_questions_want_diseases(q):
    i = parse_intent(q)
    assert "treats" in i.predicates and i.subject_types == ["Compound"] and "Disease" in i.answer_types


@pytest.mark.parametrize("q", ["what are the symptoms of influenza", "signs of a heart attack",
                               "How do I know if I have diabetes", "what does measles look like",
                               "What phenotypes does Marfan syndrome have?",
                               "which signs does a patient with Turner syndrome show"])
def test_symptom_questions(q):
    i = parse_intent(q)
    assert set(i.predicates) == {"has_phenotype", "presents_symptom"} and "Disease" in i.subject_types
    assert "Disease" not in i.answer_types


@pytest.mark.parametrize("q", ["what diseases cause fever", "what could cause a headache",
                               "which conditions present with chest pain", "why do I have a rash"])
def test_cause_of_symptom_questions(q):
    i = parse_intent(q)
    assert "has_phenotype" in i.predicates and i.answer_types == ["Disease"]


@pytest.mark.parametrize("q", ["which genes are linked to asthma?", "genetic causes of breast cancer",
                               "is Crohn's disease hereditary", "what mutations cause cystic fibrosis"])
def test_gene_questions(q):
    assert parse_intent(q).predicates == ["associated_with"]


def test_binding_class_anatomy_and_similarity():
    assert parse_intent("What does imatinib bind?").predicates == ["binds"]
    assert parse_intent("what class of drug is ibuprofen").predicates == ["member_of_class"]
    assert parse_intent("where in the body does psoriasis occur").predicates == ["localizes_to"]
    assert parse_intent("what diseases are similar to asthma").predicates == ["resembles"]


@pytest.mark.parametrize("q", ["how is obesity related to type 2 diabetes?",
                               "what is the relationship between smoking and lung cancer",
                               "what links aspirin and asthma"])
def test_path_questions(q):
    assert parse_intent(q).kind == "path"


def test_yes_no_keeps_the_predicates():
    i = parse_intent("Does metformin treat diabetes?")
    assert i.kind == "yes_no" and "treats" in i.predicates


def test_definition_and_unknown():
    assert parse_intent("what is asthma?").kind == "definition"
    assert parse_intent("I have a fever and a cough").kind == "unknown"


def test_drugs_targeting_a_gene_want_compounds():
    i = parse_intent("what drugs target EGFR?")
    assert i.predicates == ["binds"] and i.answer_types == ["Compound"] and i.subject_types == ["Gene"]
