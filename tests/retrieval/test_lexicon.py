"""The English word list that keeps the linker from correcting or trusting ordinary words."""
from retrieval.lexicon import is_english_word, is_everyday_word


def test_frequent_words_are_everyday_and_rarer_drug_words_are_not():
    for word in ("water", "rice", "battery", "train"):
        assert is_english_word(word) and is_everyday_word(word), word
    for word in ("adrenaline", "heroin", "insulin"):
        assert is_english_word(word) and not is_everyday_word(word), word   # English, but not everyday
    assert not is_english_word("metfromin") and not is_everyday_word("metfromin")
