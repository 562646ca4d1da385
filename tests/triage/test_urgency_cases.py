"""Urgency end to end on the full graph (real linker, real ranking): risk groups, duration, recurring
episodes, minor complaints and the condition vote's limits. Sentences written for these tests only."""
from __future__ import annotations

import pytest

from qa.triage_urgency import LEVELS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("text, level", [
    # a minor complaint is not raised by a diffuse ranking over serious conditions
    ("I rolled my ankle at football, it's a bit swollen but I can walk on it", "self-care"),
    ("I've had diarrhoea twice since last night, I'm drinking fine and there's no blood", "self-care"),
    # risk groups raise the level
    ("I'm 24 weeks pregnant and I've had a temperature of 38.6 since this morning", "urgent"),
    ("I'm on chemotherapy and this evening I have a fever and the shivers", "emergency"),
    # heart attack signs without the words "chest pain"
    ("my dad suddenly went grey and clammy and says his jaw aches", "emergency"),
    # recurring episodes that settle: a doctor, not an ambulance
    ("from time to time my heart pounds for a minute then settles, I'm fine in between", "routine"),
    # session 4 protocol rules: each sign in other words than the tuning vignettes'
    ("my hernia popped out this afternoon and won't go back in, and I keep throwing up", "emergency"),
    ("my grandad is coughing up pink frothy stuff and can't lie flat", "emergency"),
    ("my wife's speech went all muddled over lunch and she seems confused", "emergency"),
    ("my asthma is bad, the puffer isn't doing anything and I can only say a couple of words at a time", "emergency"),
    ("the baby's lips look dusky round the mouth and he's breathing oddly", "emergency"),
    ("temperature of 39, aching in my side under the ribs and it burns when I pee", "urgent"),
    ("I caught my shin on a sharp edge and the cut is gaping, you can see fat", "urgent"),
    ("since this morning I suddenly can't hear anything out of my right ear", "urgent"),
])
def test_urgency_end_to_end(triager, text, level):
    r = triager.triage(text)
    assert r.urgency == level, (r.urgency, r.urgency_reasons, [f["rule"] for f in r.red_flags])
    assert r.urgency_reasons


def test_one_nonspecific_finding_is_not_sent_to_hospital(triager):
    # "itching" alone fits anaphylaxis as well as hay fever: the ranking alone does not make it urgent
    r = triager.triage("my arms have been itchy today")
    assert LEVELS.index(r.urgency) <= LEVELS.index("routine"), r.urgency_reasons


def test_exertional_chest_tightness_new_is_urgent_stable_routine_and_at_rest_an_emergency(triager):
    # unchanged for months: a chest pain clinic appointment (session 7; it was "today" before)
    r = triager.triage("for three months my chest gets tight when I walk briskly and eases when I stop")
    assert r.urgency == "routine", r.urgency_reasons
    r = triager.triage("since Monday my chest gets tight when I walk briskly and eases when I stop")
    assert r.urgency == "urgent", r.urgency_reasons
    r = triager.triage("for three months my chest got tight on walking, now it comes on even when I'm sitting still")
    assert r.urgency == "emergency", r.urgency_reasons


def test_normal_function_said_is_not_a_finding(triager):
    # "I can swallow and breathe fine" once linked as trouble swallowing, and epiglottitis led the vote
    r = triager.triage("lost my voice with a cold, throat a bit scratchy, but I can swallow and breathe fine")
    assert r.urgency == "self-care", r.urgency_reasons
    assert not any(f.present and "swallow" in (f.text or "") for f in r.findings)
