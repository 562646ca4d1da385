"""The curated condition findings (data/triage_condition_findings.tsv) and how they join the profiles
(pure logic on a small hand-made table, plus the shipped file's format)."""
from __future__ import annotations

import pytest

from kg.model import Entity, Fact, Provenance
from qa.triage_knowledge import (CURATED_FILE, CURATED_SOURCE, ConditionKnowledge, PriorsFileError,
                                 load_curated_findings)
from qa.triage_scoring import ConditionScorer, Observation


def _kb(tmp_path, rows: str) -> ConditionKnowledge:
    ddx = lambda role: Provenance("ddxplus", "t", "", {"role": role})
    diseases = [Entity("DDXPLUS:mi", "Disease", "heart attack"), Entity("DDXPLUS:cold", "Disease", "cold")]
    findings = [Entity("HP:PAIN", "Phenotype", "pain"), Entity("DDXPLUS:E_55", "Finding", "Pain location"),
                Entity("HP:CHEST", "Phenotype", "chest pain", xrefs=["UMLS:C1"]),
                Entity("HP:SWEAT", "Phenotype", "sweating"), Entity("HP:COUGH", "Phenotype", "cough")]
    facts = [Fact("DDXPLUS:mi", "has_phenotype", "HP:PAIN", [ddx("symptom")]),
             Fact("DDXPLUS:mi", "has_phenotype", "DDXPLUS:E_55", [ddx("symptom")]),
             Fact("DDXPLUS:mi", "has_phenotype", "HP:SWEAT", [ddx("symptom")]),
             Fact("DDXPLUS:cold", "has_phenotype", "HP:COUGH", [ddx("symptom")]),
             Fact("DDXPLUS:cold", "has_phenotype", "HP:PAIN", [ddx("symptom")]),
             Fact("HP:CHEST", "subclass_of", "HP:PAIN", [])]
    path = tmp_path / "curated.tsv"
    path.write_text("# test\ncondition\tfinding\tfrequency\trefines\tnote\n" + rows)
    return ConditionKnowledge.from_records(diseases, findings, facts, priors_file=None, curated_file=path)


def test_row_refining_an_evidence_cites_its_fact(tmp_path):
    kb = _kb(tmp_path, "DDXPLUS:mi\tUMLS:C1\t0.85\tE_55\tchest pain\n")   # the finding named by an xref
    ann = kb.profiles["DDXPLUS:mi"]["HP:CHEST"]
    location = kb.profiles["DDXPLUS:mi"]["DDXPLUS:E_55"]
    assert ann.frequency == 0.85 and ann.source == CURATED_SOURCE
    assert ann.fact_id == location.fact_id and ann.cited == "DDXPLUS:E_55"
    # chest pain now separates the heart attack from the cold, which lists only "pain"
    cands = ConditionScorer(kb, temperature=1.0).score([Observation("HP:CHEST", True)])
    assert cands[0].id == "DDXPLUS:mi"
    ev = cands[0].supporting[0]
    assert ev.fact_id == location.fact_id and ev.annotated == "DDXPLUS:E_55" and ev.detail == "HP:CHEST"


def test_row_for_a_listed_finding_raises_its_frequency_and_keeps_the_fact(tmp_path):
    before = _kb(tmp_path, "").profiles["DDXPLUS:mi"]["HP:SWEAT"]
    kb = _kb(tmp_path, "DDXPLUS:mi\tHP:SWEAT\t0.9\t-\tsweating\n")
    ann = kb.profiles["DDXPLUS:mi"]["HP:SWEAT"]
    assert ann.frequency == 0.9 and ann.fact_id == before.fact_id and ann.source == "ddxplus"


def test_row_without_a_refined_evidence_has_no_fact_and_unknown_ids_are_skipped(tmp_path):
    kb = _kb(tmp_path, "DDXPLUS:cold\tHP:CHEST\t0.2\t-\tx\nDDXPLUS:nope\tHP:CHEST\t0.5\t-\tx\n"
                       "DDXPLUS:cold\tHP:UNKNOWN\t0.5\t-\tx\n")
    ann = kb.profiles["DDXPLUS:cold"]["HP:CHEST"]
    assert ann.fact_id == "" and ann.source == CURATED_SOURCE
    assert "DDXPLUS:nope" not in kb.profiles and "HP:UNKNOWN" not in kb.profiles["DDXPLUS:cold"]


@pytest.mark.parametrize("line, message", [
    ("DDXPLUS:mi\tHP:X\tlots\t-\n", "frequency 'lots'"),
    ("DDXPLUS:mi\tHP:X\t1.5\t-\n", "between 0 and 1"),
    ("DDXPLUS:mi\tHP:X\t0.5\tpain\n", "refines 'pain'"),
    ("DDXPLUS:mi\tnot-a-curie\t0.5\t-\n", "finding CURIE"),
])
def test_malformed_rows_name_the_line(tmp_path, line, message):
    path = tmp_path / "c.tsv"
    path.write_text("condition\tfinding\tfrequency\trefines\tnote\n" + line)
    with pytest.raises(PriorsFileError, match=rf"c.tsv:2: .*{message}"):
        load_curated_findings(path)


def test_shipped_table_is_well_formed():
    rows = load_curated_findings(CURATED_FILE)
    assert len(rows) > 150
    assert all(r.condition.startswith("DDXPLUS:") for r in rows)
    assert len({(r.condition, r.finding) for r in rows}) == len(rows)     # no duplicate row
