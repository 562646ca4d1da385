"""Screening of questions before retrieval: declines, clinical framing, dosing and advice notes."""
from __future__ import annotations

import pytest

from qa.abstain import NO_ADVICE, NO_DOSING, EmptyQuestionError, is_clinical, screen_question


@pytest.mark.parametrize("text", ["write me a poem about spring", "Tell me a joke", "compose a song for my mom",
                                  "write some code to sort a list", "translate hello into French"])
def test_requests_that_are_not_questions_are_declined(text):
    s = screen_question(text)
    assert s.decline and s.reason == "task"


@pytest.mark.parametrize("text,topic", [("what's the stock price of Pfizer?", "finance"),
                                        ("what will the weather be tomorrow", "weather"),
                                        ("how much does metformin cost", "prices"),
                                        ("who won the world cup", "sports")])
def test_off_topic_questions_are_declined_naming_the_topic(text, topic):
    s = screen_question(text)
    assert s.reason == "off_topic" and topic in s.decline


def test_properties_the_graph_never_records_are_declined():
    s = screen_question("what is the half-life of metformin?")
    assert s.reason == "not_recorded" and "pharmacokinetics" in s.decline


@pytest.mark.parametrize("text", ["what drugs treat hypertension?", "which genes are associated with asthma",
                                  "what are the symptoms of measles", "is risk factor research investigational?"])
def test_domain_questions_pass(text):
    assert screen_question(text).decline is None


def test_dosing_question_gets_the_no_dosing_note_and_is_clinical():
    s = screen_question("what dose of metformin should I take for diabetes?")
    assert s.decline is None and s.dosing and s.clinical
    assert NO_DOSING in s.notes and NO_ADVICE in s.notes


def test_research_question_is_not_clinical_unless_its_relation_is():
    s = screen_question("which genes are associated with asthma?")
    assert not s.clinical
    assert not is_clinical(s, ["associated_with"])
    assert is_clinical(s, ["treats"])


def test_empty_question_is_a_clear_error():
    with pytest.raises(EmptyQuestionError, match="empty"):
        screen_question("   ?! ")
