"""The evaluation sets: BiomixQA statement parsing, and the held-out question files being exactly what the
code derives from the public source files (so nobody hand-edited a gold fact)."""
from __future__ import annotations

import json

import pytest

from kgqa.commands.answers import (QUESTIONS_FILE, generate_questions, parse_statement, read_questions,
                                   read_unanswerable)


@pytest.mark.parametrize("text,kind,pred,neg,a,b", [
    ("Juvenile polyposis syndrome associates Gene SMAD4", "assoc", "associated_with", False,
     "Juvenile polyposis syndrome", "SMAD4"),
    ("Tangier Disease is not associated with Gene ABCA1", "assoc", "associated_with", True, "Tangier Disease", "ABCA1"),
    ("metronidazole treats crohn's disease", "treats", "treats", False, "metronidazole", "crohn's disease"),
    ("Tay-Sachs disease is not a eye degenerative disorder", "isa", "subclass_of", True, "Tay-Sachs disease",
     "eye degenerative disorder"),
    ("Disease ontology identifier for Marfan syndrome is DOID:0060055", "doid", None, False, "Marfan syndrome",
     "DOID:0060055"),
])
def test_statements_parse(text, kind, pred, neg, a, b):
    item = parse_statement(text, True)
    assert (item.kind, item.predicate, item.negated, item.a, item.b) == (kind, pred, neg, a, b)
    assert item.question().endswith("?")


def test_unparseable_statement_is_kept_as_unparsed():
    item = parse_statement("Variant rs2476601 associates Rheumatoid Arthritis", True)
    assert item.kind is None and item.question() is None


def test_question_files_are_derived_from_the_sources(sources_dir):
    dev, test = generate_questions(sources_dir)
    assert read_questions(QUESTIONS_FILE["dev"]) == json.loads(json.dumps(dev))
    assert read_questions(QUESTIONS_FILE["test"]) == json.loads(json.dumps(test))
    # held out by anchor: no concept is asked about in both splits
    assert not {q["anchor"] for q in dev} & {q["anchor"] for q in test}
    categories = {q["category"] for q in test}
    assert categories == {"drugs_for_condition", "genes_of_disease", "symptoms", "drug_targets", "drug_classes",
                          "rare_disease_phenotypes", "yes_no"}
    yes_no = [q for q in test if q["category"] == "yes_no"]
    assert {q["expected"] for q in yes_no} == {"yes", "no"}
    assert all(q["gold"] for q in test if q["category"] != "yes_no")


def test_unanswerable_file_reads_without_comments():
    rows = read_unanswerable()
    assert len(rows) >= 20 and not any(r.startswith("#") for r in rows)
