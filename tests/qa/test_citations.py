"""Units of citation parsing and checking (pure logic: hand-made entities and facts, no graph)."""
from __future__ import annotations

from kg.model import Entity, Fact, Synonym
from qa.citations import Citer, check_sentence, parse_cited_text

METFORMIN = Entity("DRUGBANK:DB00331", "Compound", "Metformin", [Synonym("Glucophage", "brand")])
T2D = Entity("DOID:9352", "Disease", "type 2 diabetes mellitus", [Synonym("type II diabetes", "exact")])
HTN = Entity("DOID:10763", "Disease", "hypertension", [Synonym("high blood pressure", "layperson")])
KCNJ11 = Entity("NCBIGene:3767", "Gene", "KCNJ11")
ENTS = {e.id: e for e in (METFORMIN, T2D, HTN, KCNJ11)}
TREATS = Fact(METFORMIN.id, "treats", T2D.id)
ASSOC = Fact(T2D.id, "associated_with", KCNJ11.id)


def dictionary_linker(text: str) -> list[Entity]:
    low = text.lower()
    return [e for e in ENTS.values() if any(n.lower() in low for n in e.all_names())]


def test_citer_numbers_in_first_use_order():
    c = Citer()
    assert c.mark("Fb") == "[1]"
    assert c.mark("Fa", "Fb") == "[2][1]"
    assert c.order == ["Fb", "Fa"]


def test_parse_markers_in_all_common_shapes():
    text = ("Metformin treats type 2 diabetes mellitus [1][3]. KCNJ11 is associated with it [2, 4].\n"
            "- Hypertension is common [5]\nIt has no citation. [6]")
    parsed = parse_cited_text(text)
    assert [p.numbers for p in parsed] == [[1, 3], [2, 4], [5], [6]]
    assert parsed[0].text == "Metformin treats type 2 diabetes mellitus."
    assert parsed[2].text == "Hypertension is common"


def test_parse_sentence_without_markers_has_no_numbers():
    parsed = parse_cited_text("Metformin treats diabetes. Another sentence [2].")
    assert parsed[0].numbers == [] and parsed[1].numbers == [2]


def test_supported_sentence_passes():
    check = check_sentence("Metformin treats type 2 diabetes mellitus.", [TREATS], ENTS, dictionary_linker)
    assert check.supported, check.reason


def test_synonym_counts_as_the_entity():
    check = check_sentence("Glucophage is used to treat type II diabetes.", [TREATS], ENTS, dictionary_linker)
    assert check.supported, check.reason


def test_no_citation_is_unsupported():
    assert not check_sentence("Metformin treats type 2 diabetes mellitus.", [], ENTS).supported


def test_entity_outside_cited_facts_is_unsupported():
    check = check_sentence("Metformin treats hypertension and type 2 diabetes mellitus.", [TREATS], ENTS,
                           dictionary_linker)
    assert not check.supported and "hypertension" in check.reason


def test_wrong_relation_is_unsupported():
    check = check_sentence("Metformin binds type 2 diabetes mellitus.", [TREATS], ENTS, dictionary_linker)
    assert not check.supported and "relation" in check.reason


def test_negation_of_a_cited_fact_is_unsupported():
    check = check_sentence("Metformin does not treat type 2 diabetes mellitus.", [TREATS], ENTS,
                           dictionary_linker)
    assert not check.supported


def test_contraindication_is_unsupported():
    check = check_sentence("Metformin is contraindicated in type 2 diabetes mellitus.", [TREATS], ENTS)
    assert not check.supported


def test_sentence_naming_no_cited_entity_is_unsupported():
    check = check_sentence("It is a common treatment.", [TREATS], ENTS, dictionary_linker)
    assert not check.supported


def test_gene_association_sentence():
    check = check_sentence("KCNJ11 is a gene linked to type 2 diabetes mellitus.", [ASSOC], ENTS,
                           dictionary_linker)
    assert check.supported, check.reason
