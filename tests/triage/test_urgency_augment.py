"""The restyled training copies keep what a text says and change only how it is written."""
import random
import re

from qa.triage_urgency_augment import CLOSERS, OPENERS, restyle, with_restyled_copies

TEXT = "My son has had a barking cough for two nights, no fever, and he is drinking fine. Should I worry?"


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in {"a", "an", "the"}]


def test_a_restyled_text_keeps_every_word_of_the_original_in_order():
    rng = random.Random(3)
    for _ in range(200):
        out = restyle(TEXT, rng)
        assert out != TEXT
        words, original = _words(out), _words(TEXT)
        # the original's words appear as one run (openers and closers only add around it)
        assert any(words[i:i + len(original)] == original for i in range(len(words) - len(original) + 1)), out


def test_copies_keep_their_levels_and_follow_the_seed():
    examples = [(TEXT, "self-care"), ("crushing chest pain and sweating", "emergency")]
    out = with_restyled_copies(examples, copies=2, seed=5)
    assert out[:2] == examples and len(out) == 6
    assert [lvl for _, lvl in out] == ["self-care", "emergency"] * 3
    assert out == with_restyled_copies(examples, copies=2, seed=5)
    assert out != with_restyled_copies(examples, copies=2, seed=6)
    assert with_restyled_copies(examples, copies=0) == examples


def test_openers_and_closers_carry_no_clinical_content():
    # a guard for whoever extends the pools: no ages, numbers or body words that could change a level
    clinical = re.compile(r"\d|\b(?:pain|aches?|fever|breath|blood|sick|hurts?|worse|scared|baby|child|old)\b", re.I)
    assert not [s for s in OPENERS + CLOSERS if clinical.search(s)]
