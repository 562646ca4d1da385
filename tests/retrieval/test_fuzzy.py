"""Spelling correction (retrieval/fuzzy.py), sound-alike spellings included."""
from retrieval.fuzzy import SOUND_EDITS, TokenCorrector, sound_key


def test_sound_key_merges_spellings_that_sound_alike():
    assert sound_key("headake") == sound_key("headache")
    assert sound_key("diarea") == sound_key("diarrhoea") == sound_key("diarrhea")
    assert sound_key("fotophobia") == sound_key("photophobia")
    assert sound_key("numonia") == sound_key("pneumonia")
    assert sound_key("fever") != sound_key("liver")
    assert sound_key("crone") == sound_key("crohn")          # silent h after a vowel, silent final e
    assert sound_key("tinitis") == sound_key("tinnitus")


def test_a_sound_alike_is_taken_only_when_nothing_is_within_the_edit_budget():
    corrector = TokenCorrector({"headache": 40, "heartache": 1, "metformin": 3})
    fixed = corrector.correct("headake")
    assert [c.word for c in fixed] == ["headache"] and fixed[0].edits == SOUND_EDITS
    # one ordinary edit away: the ordinary correction, not a sound-alike
    assert [(c.word, c.edits) for c in corrector.correct("metfomin")] == [("metformin", 1)]
    assert corrector.correct("sandwich") == []


def test_words_added_later_are_found_by_sound():
    corrector = TokenCorrector({"metformin": 4})
    assert corrector.correct("headake") == []          # builds the sound index without "headache"
    corrector._memo.clear()
    corrector.add("headache")
    assert [c.word for c in corrector.correct("headake")] == ["headache"]


def test_a_changed_first_letter_ranks_behind_a_sound_alike():
    corrector = TokenCorrector({"linitis": 5, "tinnitus": 2, "hopping": 9, "whooping": 3})
    # "linitis" is one edit away but changes the first letter; "tinnitus" sounds the same
    assert [c.word for c in corrector.correct("tinitis")][0] == "tinnitus"
    # a dropped silent first letter is not a changed one: "whooping" stays a candidate beside "hopping"
    assert "whooping" in [c.word for c in corrector.correct("hooping")]
