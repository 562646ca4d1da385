import pytest

from retrieval.negation import assertion


def _a(text, mention):
    s = text.index(mention)
    return assertion(text, s, s + len(mention))


@pytest.mark.parametrize("text,mention", [
    ("I have no fever", "fever"),
    ("Patient denies chest pain", "chest pain"),
    ("no fever, cough or chills", "chills"),
    ("I never had asthma", "asthma"),
    ("negative for influenza", "influenza"),
    ("I do not have a headache", "headache"),
    ("I don't have any cough", "cough"),
    ("I have a fever but no cough", "cough"),
    ("the rash is absent", "rash"),
    ("without nausea", "nausea"),
    ("the itch has gone now", "itch"),
    ("the temperature's gone and she's eating again", "temperature"),
    # a state denied inside the mention itself
    ("her eyelids and cheeks aren't swollen at all", "eyelids and cheeks aren't swollen"),
    ("the skin is not red", "skin is not red"),
])
def test_negated(text, mention):
    assert _a(text, mention).negated


@pytest.mark.parametrize("text,mention", [
    ("I have no fever, I have a cough", "cough"),
    ("I have a fever but no cough", "fever"),
    ("my heart is racing", "heart is racing"),
    ("the pain is no longer there", "pain"),
    ("No. I have a headache", "headache"),
    ("what drugs treat diabetes?", "diabetes"),
    # "without trying" negates the trying, not what comes after it
    ("I dropped two dress sizes without trying and then spotted blood when I cough", "blood when I cough"),
    # "gone" with a state is a change, not an absence
    ("the lump popped out this morning, gone hard and tender", "lump popped out"),
    ("his fingers have gone white", "fingers"),
    # a problem said with a negative verb is still a problem
    ("the graze isn't healing", "graze isn't healing"),
    ("I could not breathe", "could not breathe"),
])
def test_not_negated(text, mention):
    assert not _a(text, mention).negated


@pytest.mark.parametrize("text,mention", [
    ("maybe a rash", "rash"),
    ("possible pneumonia", "pneumonia"),
    ("I'm not sure if I have a fever", "fever"),
    ("I think I might have the flu", "flu"),
])
def test_uncertain_not_negated(text, mention):
    a = _a(text, mention)
    assert a.uncertain and not a.negated


def test_a_plain_question_is_not_uncertain():
    assert not _a("do I have diabetes?", "diabetes").uncertain


def test_an_uncertainty_trigger_ends_a_negation_scope():
    text = "my tummy hurts and I have no fever, maybe the flu"
    assert _a(text, "fever").negated and not _a(text, "fever").uncertain
    flu = _a(text, "flu")
    assert flu.uncertain and not flu.negated


@pytest.mark.parametrize("text,mention,negated", [
    ("I haven't been vomiting", "vomiting", True),
    ("a stuffy nose that never clears, post nasal drip", "post nasal drip", False),
    ("my inhaler isn't helping much, I'm short of breath", "short of breath", False),
    ("I never had chest pain, fever", "fever", True),          # "never had" takes a list
    ("denies chest pain, shortness of breath", "shortness of breath", True),
])
def test_verb_negators_stop_at_a_comma_and_list_triggers_do_not(text, mention, negated):
    i = text.index(mention)
    assert assertion(text, i, i + len(mention)).negated is negated


@pytest.mark.parametrize("text,mention,negated", [
    ("I can swallow and breathe ok", "swallow", True),           # said to be normal a few words later
    ("my breathing is fine", "breathing", True),
    ("I feel ok in myself", "feel ok", True),                     # the normal word inside the mention
    ("I don't feel ok", "feel ok", False),                        # "not ok" is not normal
    ("I can't breathe properly, it's not ok", "breathe", False),
    ("a headache, fine otherwise", "headache", False),            # a comma ends the reach
    ("a lump that normally goes back in", "lump", False),         # "normally" is not a normal state
    ("I can still swallow drinks and eat toast", "swallow drinks", True),   # the ability said is the denial
    ("she is able to breathe through it", "breathe", True),
    ("I can barely swallow", "swallow", False),
    ("she is feeding well", "feeding", True),                     # "well" is a normal state
    ("a headache and a cough as well", "cough", False),           # "as well" is not                   # "barely" keeps the trouble
    ("I can feel my heart thumping", "feel my heart thumping", False),   # "feel" is not an ability verb here
])
def test_a_mention_said_to_be_normal_is_denied(text, mention, negated):
    i = text.index(mention)
    assert assertion(text, i, i + len(mention), normal_denies=True).negated is negated


def test_normal_state_is_only_read_for_linked_mentions():
    # red-flag patterns such as "drinking fine" describe a normal state themselves
    text = "I'm drinking fine"
    i = text.index("drinking fine")
    assert not assertion(text, i, len(text)).negated


def test_a_side_effect_asked_about_is_not_reported():
    assert _a("what can I take that won't make me drowsy?", "drowsy").negated
    assert not _a("these tablets make me drowsy", "drowsy").negated
