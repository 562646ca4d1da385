"""Findings: duration, severity, age/sex and how mentions become findings (pure logic, no graph)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kg.model import Entity
from qa.triage_findings import findings_from_mentions, parse_duration, parse_patient, parse_severity


@pytest.mark.parametrize("text, hours", [
    ("i have had a cough for 3 days", 72),
    ("sore throat for two weeks", 336),
    ("it started 2 hours ago", 2),
    ("since yesterday", 24),
    ("for the past few days", 72),
    ("since this morning", 12),
])
def test_duration(text, hours):
    said, h = parse_duration(text)
    assert h == pytest.approx(hours)
    assert said in text


def test_no_duration():
    assert parse_duration("my head hurts") is None


@pytest.mark.parametrize("text, level", [
    ("the worst headache of my life", "worst"),
    ("a severe pain in my belly", "severe"),
    ("a mild cough", "mild"),
    ("it is really bad", "severe"),
    ("a cough", None),
])
def test_severity(text, level):
    assert parse_severity(text) == level


def test_age_and_sex():
    p = parse_patient("I'm a 45 year old man with chest pain")
    assert (p.age, p.sex) == (45, "male")
    p = parse_patient("My 3-month-old daughter has a fever")
    assert p.age == pytest.approx(0.25) and p.sex == "female" and p.about_other == "daughter"
    p = parse_patient("I am 30 and pregnant, I'm a woman")
    assert p.age == 30 and p.sex == "female"
    assert parse_patient("my head hurts").age is None


@dataclass
class FakeMention:
    start: int
    end: int
    text: str
    score: float
    entity: Entity
    negated: bool = False
    uncertain: bool = False
    candidates: list = field(default_factory=list)


def _mention(text: str, phrase: str, entity: Entity, **kw) -> FakeMention:
    i = text.index(phrase)
    return FakeMention(i, i + len(phrase), phrase, kw.pop("score", 0.9), entity, **kw)


def test_mentions_to_findings_severity_goes_to_nearest():
    chest = Entity("HP:0100749", "Phenotype", "Chest pain")
    sweat = Entity("HP:0000975", "Phenotype", "Hyperhidrosis")
    fever = Entity("HP:0001945", "Phenotype", "Fever")
    drug = Entity("DRUGBANK:DB00945", "Compound", "Aspirin")
    text = "I have crushing chest pain and I'm sweating, no fever. I took aspirin. It started 2 hours ago."
    ms = [_mention(text, "chest pain", chest), _mention(text, "sweating", sweat),
          _mention(text, "fever", fever, negated=True), _mention(text, "aspirin", drug)]
    out = findings_from_mentions(text, ms)
    by = {f.entity.id: f for f in out.findings}
    assert set(by) == {"HP:0100749", "HP:0000975", "HP:0001945"}   # the drug is not a finding
    assert by["HP:0100749"].severity == "severe" and by["HP:0000975"].severity is None
    assert by["HP:0001945"].present is False
    assert by["HP:0100749"].duration_hours == pytest.approx(2)     # said in its own sentence


def test_low_score_mentions_are_dropped():
    fever = Entity("HP:0001945", "Phenotype", "Fever")
    text = "fever"
    assert findings_from_mentions(text, [_mention(text, "fever", fever, score=0.1)]).findings == []


def test_alternative_link_preferred_when_conditions_use_it():
    mesh = Entity("MESH:D006356", "Symptom", "Heartburn")
    gerd = Entity("DOID:8534", "Disease", "gastroesophageal reflux disease")
    text = "I have heartburn"
    m = _mention(text, "heartburn", mesh, candidates=[(mesh, 0.9), (gerd, 0.88)])
    out = findings_from_mentions(text, [m], finding_ids={"MESH:D006356", "DOID:8534"}, preferred_ids={"DOID:8534"})
    assert [f.entity.id for f in out.findings] == ["DOID:8534"]


def test_negation_inside_the_mention_words_denies_the_finding():
    from qa.triage_findings import _starts_negated
    assert _starts_negated("not breathless") and _starts_negated("no fever")
    assert not _starts_negated("nosebleed") and not _starts_negated("breathless")


@pytest.mark.parametrize("clause, normal", [
    ("temp was 37.8 yesterday", True), ("temp 99.5f", True), ("temperature 38.2", False),
    ("temp 37.8 then 38.5 tonight", False), ("a temperature for 3 days", False),
])
def test_a_temperature_reading_below_38_is_normal(clause, normal):
    from qa.triage_findings import normal_temperature
    assert normal_temperature(clause) is normal


def test_a_new_mother_writing_about_herself_is_not_a_baby():
    from qa.triage_findings import parse_patient
    assert parse_patient("panicky spells since my baby was born").age is None
    assert parse_patient("my baby has a cough").age == 0.5


@pytest.mark.parametrize("clause, hours", [
    ("i had a heart attack 5 years ago and now i have chest pain", None),   # when a past event happened
    ("we moved here 15 years ago", None),
    ("she gets cluster headaches, diagnosed a few years ago", None),        # "ago" after the matched words
    ("my ear has been itchy since about march", 730),                       # "since <month>": at least a month
    ("it started 3 days ago", 72),
    ("had a cold about 10 days ago and now my cheeks ache", 240),           # a cold is the complaint's start
])
def test_ago_after_a_past_event_is_not_a_duration(clause, hours):
    got = parse_duration(clause)
    assert (got[1] if got else None) == hours


@pytest.mark.parametrize("text, other", [
    ("like my nan says, honey and lemon for a cough", None),          # a relative quoted for advice
    ("my grandfather was treated for TB before I came here", None),   # a relative's history
    ("my nan has had a cough for a week", "nan"),
    ("my dad said he has chest pain", "dad"),
])
def test_a_relative_is_the_patient_only_when_the_text_is_about_them(text, other):
    from qa.triage_findings import parse_patient
    assert parse_patient(text).about_other == other
