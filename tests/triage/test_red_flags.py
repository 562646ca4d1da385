"""Red-flag rules on text (the hand-written table) and the urgency policy (pure logic, no graph)."""
from __future__ import annotations

import pytest

from qa.triage_urgency import LEVELS, RedFlagFileError, RedFlagRules, decide


def fired(rules, text, age=None, findings=()):
    present = rules.present_concepts(text, list(findings), lambda t: [t])
    return {f.rule: f.level for f in rules.fire(present, age)}


@pytest.mark.parametrize("text, rule", [
    ("I have crushing chest pain and I'm sweating a lot", "chest_pain_sweating"),
    ("pain in my chest and I can't catch my breath", "chest_pain_breathless"),
    ("my throat is swelling after a bee sting and I have hives", "anaphylaxis_throat"),
    ("her face is drooping on one side", "stroke_face"),
    ("his speech is slurred", "stroke_speech"),
    ("the worst headache of my life", "worst_headache"),
    ("I threw up blood this morning", "vomit_blood"),
    ("I want to kill myself", "suicidal"),
    ("he passed out and is unresponsive", "unconscious"),
    ("she had a seizure", "seizure"),
    ("the cut is bleeding heavily and won't stop", "severe_bleeding"),
    ("headache, fever and a stiff neck", "meningitis"),
])
def test_red_flag_rules_fire(rules, text, rule):
    got = fired(rules, text)
    assert got.get(rule) == "emergency", got


@pytest.mark.parametrize("text", [
    "no chest pain, just a cough",
    "I have a runny nose and sneezing",
    "I do not have any trouble breathing",
])
def test_negated_or_mild_text_raises_no_emergency(rules, text):
    assert "emergency" not in fired(rules, text).values()


def test_combination_beats_single_sign(rules):
    got = fired(rules, "chest pain and sweating")
    assert "chest_pain_sweating" in got and "chest_pain" not in got   # the stronger rule covers it


def test_age_rule(rules):
    assert fired(rules, "she has a fever", age=0.1).get("infant_fever") == "emergency"
    assert "infant_fever" not in fired(rules, "she has a fever", age=30)


def test_entity_findings_trigger_rules(rules):
    # a linked finding counts as much as the words (here through the HPO id of chest pain)
    got = fired(rules, "it hurts behind the breastbone and I am all clammy",
                findings=[("HP:0100749", "hurts behind the breastbone")])
    assert got.get("chest_pain_sweating") == "emergency"
    # ... when the words it came from are about the chest (a linker's "feel heavy" -> chest pain is not)
    assert "chest_pain_sweating" not in fired(rules, "my legs feel heavy and I am all clammy",
                                              findings=[("HP:0100749", "feel heavy")])


@pytest.mark.parametrize("content, message", [
    ('[concept.a]\npatterns = ["x"]\n[[rule]]\nid = "r1"\nall = ["b"]\nlevel = "emergency"\nreason = "x"\n',
     "r1.*unknown concept 'b'"),
    ('[concept.a]\npatterns = ["(x"]\n', "concept 'a' pattern 1"),
])
def test_malformed_table_names_the_rule(tmp_path, content, message):
    bad = tmp_path / "flags.toml"
    bad.write_text(content)
    with pytest.raises(RedFlagFileError, match=message):
        RedFlagRules.load(bad)


def test_emergency_is_never_lowered(rules):
    present = rules.present_concepts("crushing chest pain and sweating", [], lambda t: [t])
    flags = rules.fire(present, None)
    # even when every likely condition is a self-care one, the red flag keeps the emergency
    d = decide(flags, [("URTI", 0.9, "self-care")], [], None, None, has_findings=True)
    assert d.level == "emergency"


def test_condition_level_escalates():
    d = decide([], [("Pulmonary embolism", 0.3, "emergency"), ("URTI", 0.4, "self-care")], [], None, None, True)
    assert d.level == "emergency"                       # 43% of the top mass is an emergency condition
    d = decide([], [("URTI", 0.6, "self-care"), ("Allergic sinusitis", 0.3, "self-care")], [], None, None, True)
    assert d.level == "self-care"
    d = decide([], [("URTI", 0.6, "self-care")], ["severe"], None, None, True)
    assert d.level == "routine"                         # said to be severe: seen, not self-treated
    d = decide([], [("URTI", 0.6, "self-care")], ["worst"], None, None, True)
    assert d.level == "urgent"                          # the worst ever: today
    d = decide([], [("URTI", 0.6, "self-care")], [], 24 * 30, None, True)
    assert d.level == "routine"                         # a month of symptoms


def test_no_findings_defaults_to_routine():
    d = decide([], [], [], None, None, has_findings=False)
    assert d.level == "routine" and d.reasons
    assert LEVELS.index(d.level) > LEVELS.index("self-care")


def test_breathlessness_only_on_exertion_is_not_urgent_alone(rules):
    assert "breathless" not in fired(rules, "I get out of breath when I climb the stairs")
    assert fired(rules, "I get out of breath sitting in my chair").get("breathless") == "urgent"
    # chest pain with breathlessness only on exertion is the stable-angina picture: urgent, not an ambulance;
    # at rest it is an emergency
    got = fired(rules, "chest pain and short of breath when I walk")
    assert "chest_pain_breathless" not in got and got.get("exertional_chest_pain") == "urgent"
    assert fired(rules, "chest pain and short of breath").get("chest_pain_breathless") == "emergency"


def test_stridor_is_urgent_and_with_breathing_trouble_an_emergency(rules):
    assert fired(rules, "he makes a high-pitched noise when breathing in").get("stridor") == "urgent"
    assert fired(rules, "noisy breathing in and he is struggling to breathe").get("stridor_breathing") == "emergency"


def test_swollen_ankles_are_not_a_clot_but_one_swollen_calf_is(rules):
    assert "leg_swelling" not in fired(rules, "both my ankles are swollen in the evening")
    assert fired(rules, "my left calf is swollen and tender").get("leg_swelling") == "urgent"


def test_young_baby_not_feeding_is_an_emergency(rules):
    assert fired(rules, "she is not feeding and feels very hot", age=0.1).get("young_infant_unwell") == "emergency"
    assert "young_infant_unwell" not in fired(rules, "she is not eating much", age=30)


def test_fever_with_unusual_bruising_is_an_emergency(rules):
    assert fired(rules, "a high temperature and unexplained bruises on my legs").get("fever_bleeding") == "emergency"
    assert "fever_bleeding" not in fired(rules, "I bruised my knee playing football")


@pytest.mark.parametrize("text, rule, level", [
    ("pain in the lower right side of my belly", "right_lower_belly_pain", "urgent"),
    ("pain in my lower right abdomen and I keep vomiting", "appendicitis_signs", "emergency"),
    ("hives all over and I feel dizzy", "anaphylaxis_hives", "emergency"),
    ("I got hives after taking penicillin", "allergic_reaction_hives", "urgent"),
    # red flags for conditions outside the ranking
    ("I'm 20 weeks pregnant and bleeding with cramping belly pain", "pregnancy_bleeding_belly_pain", "emergency"),
    ("sudden pain and swelling in my left testicle", "testicular_pain", "emergency"),
    ("lower back pain and now numbness around my bottom", "cauda_equina", "emergency"),
    ("my blue inhaler is not helping at all", "severe_asthma", "emergency"),
    ("my son is floppy and very hard to wake", "unconscious", "emergency"),
    ("she slipped on the ice and can't put weight on her leg", "fall_cannot_stand", "urgent"),
    ("a fever and pain in my right side, it stings when I pee", "kidney_infection", "urgent"),
    ("crushing chest pain even when I'm resting", "chest_pain_at_rest", "emergency"),
])
def test_more_red_flags(rules, text, rule, level):
    assert fired(rules, text).get(rule) == level


def test_diffuse_ranking_alone_is_no_emergency():
    # the leading candidate explains little (a complaint outside the acute conditions): no emergency from it
    d = decide([], [("Anaphylaxis", 0.05, "emergency"), ("GERD", 0.03, "routine")], [], None, None, True)
    assert d.level != "emergency"
    d = decide([], [("Anaphylaxis", 0.5, "emergency"), ("GERD", 0.1, "routine")], [], None, None, True)
    assert d.level == "emergency"


def test_chest_pain_with_vomiting_or_severe_is_an_emergency_but_positional_pain_is_not_crescendo(rules):
    assert fired(rules, "I vomited and now there's pain in my chest").get("chest_pain_severe_or_sick") == "emergency"
    assert fired(rules, "terrible crushing pain in my chest").get("chest_pain_severe_or_sick") == "emergency"
    assert "chest_pain_at_rest" not in fired(rules, "chest pain that gets worse lying down")


def fired_for(rules, text, age=None, hours=None):
    present = rules.present_concepts(text, [], lambda t: [t])
    return {f.rule: f.level for f in rules.fire(present, age, hours)}


def test_young_child_with_a_long_fever_is_seen_today(rules):
    # a fever in a well child over 6 months is home care; five days or more of it needs a doctor today
    assert "young_child_fever" not in fired_for(rules, "she has a temperature", age=3, hours=48)
    assert fired_for(rules, "she has a temperature", age=3, hours=6 * 24).get("young_child_fever") == "urgent"
    assert "young_child_fever" not in fired_for(rules, "she has a temperature", age=30, hours=6 * 24)


@pytest.mark.parametrize("text, rule", [
    ("Dad collapsed and isn't breathing", "collapse"),
    ("I took 30 paracetamol tablets an hour ago", "overdose"),
    ("my toddler swallowed a button battery", "overdose"),
    ("I think I'm having a heart attack", "says_emergency"),
    ("he had a fit this morning", "seizure"),
    ("my calf hurts and now I'm short of breath", "calf_clot_breathless"),
    ("black tarry stools and I feel dizzy", "gut_bleeding_dizzy"),
])
def test_emergencies_said_in_few_words(rules, text, rule):
    assert fired(rules, text).get(rule) == "emergency"


def test_history_and_numbers_are_not_red_flags(rules):
    assert not fired(rules, "I had a heart attack 5 years ago and now have a cold")
    assert not fired(rules, "I am 38 years old with a cough")
    assert fired(rules, "my baby has a temp of 38.2", age=0.1).get("infant_fever") == "emergency"


def test_a_self_care_level_from_the_likely_conditions_says_why():
    d = decide([], [("URTI", 0.6, "self-care"), ("Allergic sinusitis", 0.3, "self-care")], [], None, None, True)
    assert d.level == "self-care"
    assert d.reasons and "URTI" in d.reasons[0] and "self-care" in d.reasons[0]
