"""Findings from hand-written lay patterns (data/triage_finding_patterns.toml): loading, negation, and how a
hit replaces the linker's readings of the same words (pure logic, no graph)."""
from __future__ import annotations

import pytest

from kg.model import Entity
from qa.triage_findings import (ExtractedFindings, FindingPatterns, FindingPatternsFileError, TriageFinding,
                                add_pattern_findings)


@pytest.fixture(scope="module")
def patterns() -> FindingPatterns:
    return FindingPatterns.load()


def names(patterns, text):
    return {h.name for h in patterns.find(text)}


@pytest.mark.parametrize("text, name", [
    ("it catches when I take a deep breath", "pleuritic_chest_pain"),
    ("there is a soft bulge in the groin", "inguinal_bulge"),
    ("my heart keeps fluttering", "palpitations"),
    ("both feet swell up by night", "ankle_swelling"),
    ("he keeps tugging at his ear", "ear_pain"),
    ("a heavy weight on my chest", "chest_pressure"),
    ("I feel like I'm going to pass out", "presyncope"),
    ("my mum has emphysema", "copd"),
    ("he's bringing up thick yellow stuff", "productive_cough"),
])
def test_everyday_descriptions_are_found(patterns, text, name):
    assert name in names(patterns, text)


def test_negated_description_is_not_a_finding(patterns):
    assert "pleuritic_chest_pain" not in names(patterns, "no pain when I breathe in")
    assert "palpitations" not in names(patterns, "no pounding heart, just tired")


@pytest.mark.parametrize("content, message", [
    ('[finding.x]\nentity = "HP:1"\npatterns = ["(oops"]\n', "finding 'x' pattern 1"),
    ('[finding.y]\npatterns = ["a"]\n', "finding 'y' needs an entity"),
])
def test_malformed_file_names_the_entry(tmp_path, content, message):
    bad = tmp_path / "p.toml"
    bad.write_text(content)
    with pytest.raises(FindingPatternsFileError, match=message):
        FindingPatterns.load(bad)


def _finding(eid, name, text, start):
    return TriageFinding(Entity(eid, "Phenotype", name), True, text, start, start + len(text), score=0.6)


def test_hit_replaces_a_mislink_inside_its_words_and_keeps_the_rest():
    text = "a lump in my groin and a cough"
    entities = {"HP:HERNIA": Entity("HP:HERNIA", "Phenotype", "inguinal hernia"),
                "HP:COUGH": Entity("HP:COUGH", "Phenotype", "cough")}
    ex = ExtractedFindings([_finding("HP:BREAST", "breast mass", "lump in my groin", 2),
                            _finding("HP:COUGH", "cough", "cough", 25)])
    pats = FindingPatterns.load()
    hits = [h for h in pats.find(text) if h.name == "inguinal_bulge"]
    for h in hits:
        h.entities = ["HP:HERNIA"]
    add_pattern_findings(ex, hits, entities, lambda t: {t: 0}, core_terms={"HP:COUGH"})
    assert [f.entity.id for f in ex.findings] == ["HP:HERNIA", "HP:COUGH"]
    assert ex.findings[0].present and ex.findings[0].text == "lump in my groin"


def test_hit_is_skipped_when_the_finding_or_a_more_specific_one_is_there():
    entities = {"HP:CHEST": Entity("HP:CHEST", "Phenotype", "chest pain")}
    specific = _finding("HP:SHARP_CHEST", "sharp chest pain", "sharp chest pain", 0)
    ex = ExtractedFindings([specific])
    pats = FindingPatterns.load()
    hits = [h for h in pats.find("sharp chest pain, my chest hurts") if h.name == "chest_pain"]
    assert hits
    for h in hits:
        h.entities = ["HP:CHEST"]
    ancestors = {"HP:SHARP_CHEST": {"HP:SHARP_CHEST": 0, "HP:CHEST": 1}, "HP:CHEST": {"HP:CHEST": 0}}
    add_pattern_findings(ex, hits, entities, lambda t: ancestors.get(t, {t: 0}), core_terms=set())
    assert [f.entity.id for f in ex.findings] == ["HP:SHARP_CHEST"]


def test_a_hits_duration_is_its_own_clauses_and_not_one_said_of_another_finding():
    from qa.triage_findings import parse_patient
    text = "a cough for 10 days. my heart keeps fluttering"
    entities = {"HP:PALP": Entity("HP:PALP", "Phenotype", "palpitations")}
    cough = _finding("HP:COUGH", "cough", "cough", 2)
    cough.duration, cough.duration_hours = "for 10 days", 240.0
    ex = ExtractedFindings([cough], patient=parse_patient(text))
    hits = [h for h in FindingPatterns.load().find(text) if h.name == "palpitations"]
    for h in hits:
        h.entities = ["HP:PALP"]
    add_pattern_findings(ex, hits, entities, lambda t: {t: 0}, core_terms=set(), text=text)
    palpitations = next(f for f in ex.findings if f.entity.id == "HP:PALP")
    assert palpitations.duration_hours is None          # the 10 days were said of the cough
    text = "my heart keeps fluttering for 3 days"
    ex = ExtractedFindings([], patient=parse_patient(text))
    hits = [h for h in FindingPatterns.load().find(text) if h.name == "palpitations"]
    for h in hits:
        h.entities = ["HP:PALP"]
    add_pattern_findings(ex, hits, entities, lambda t: {t: 0}, core_terms=set(), text=text)
    assert ex.findings[0].duration_hours == 72
