"""Well-formedness of the project's lay vocabulary (data/lay_vocabulary.tsv) and word-level lay rewrites
(retrieval/data/lay_words.tsv): targets exist in the full graph, no duplicate phrases, no tuning phrase
copied, and no entry whose normalised key collapses onto an everyday word."""
from __future__ import annotations

import re

import pytest

from kg.store import open_store
from retrieval.dictionary import read_lay_vocabulary
from retrieval.evaluation import EVAL_DIR, read_phrase_set
from retrieval.lexicon import english_words, is_english_word
from retrieval.linker import LAY_WORDS, read_lay_words
from retrieval.normalize import keys_of

CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*:[A-Za-z0-9_.\-]+$")
# Particles are stop words, so "passed out" is keyed as "passed" and would link "I passed the exam".
PARTICLES = {"up", "out", "off", "over"}


@pytest.fixture(scope="module")
def items():
    return read_lay_vocabulary()


def test_every_line_has_a_phrase_curies_and_a_reason(items):
    assert len(items) > 1500
    for it in items:
        assert keys_of(it.phrase)[1], f"line {it.line}: {it.phrase!r} has no content words"
        assert it.targets and all(CURIE.match(t) for t in it.targets), f"line {it.line}: bad targets {it.targets}"
        assert len(it.why) >= 5, f"line {it.line}: {it.phrase!r} needs a reason"


def test_no_two_entries_share_a_normalised_phrase(items):
    first: dict[str, int] = {}
    for it in items:
        key = keys_of(it.phrase)[1]
        assert key not in first, f"line {it.line}: {it.phrase!r} repeats line {first[key]} (same normalised key)"
        first[key] = it.line


def test_no_tuning_phrase_is_copied(items):
    """Only the tuning sets (dev, seen) are compared here; the held-out test set is not opened."""
    vocab = {keys_of(it.phrase)[1]: it for it in items}
    tuning = sorted(EVAL_DIR.glob("*_dev.tsv")) + sorted(EVAL_DIR.glob("*_seen.tsv"))
    assert len(tuning) >= 2
    for path in tuning:
        for phrase, *_ in read_phrase_set(path):
            hit = vocab.get(keys_of(phrase)[1])
            assert hit is None, f"{path.name}: {phrase!r} is vocabulary line {hit.line}"


@pytest.mark.skipif(not english_words(), reason="no English word list (embedding model package missing)")
def test_no_phrase_collapses_onto_an_everyday_word(items):
    for it in items:
        words = re.findall(r"[a-z]+", it.phrase.lower())
        key = keys_of(it.phrase)[1]
        if len(key.split()) == 1 and PARTICLES & set(words):
            assert not is_english_word(key), f"line {it.line}: {it.phrase!r} is keyed as the everyday word {key!r}"
    assert not is_english_word("") and is_english_word("ball")   # the check itself can fail


def test_every_target_exists_in_the_full_graph(items, full_graph):
    store = open_store(full_graph)
    try:
        missing = [(it.line, t) for it in items for t in it.targets if store.resolve(t) is None]
    finally:
        store.close()
    assert not missing, f"targets not in the full graph (line, id): {missing[:20]}"


def test_lay_words_file_is_well_formed():
    lines = [l for l in LAY_WORDS.read_text(encoding="utf-8").split("\n") if l.strip() and not l.startswith("#")]
    assert len(lines) > 150
    for n, line in enumerate(lines, 1):
        cols = line.split("\t")
        assert len(cols) == 3 and all(c.strip() for c in cols), f"lay_words entry {n}: {line!r}"
    rewrites = read_lay_words()
    assert ["abdominal"] in rewrites["tummy"] and ["pain"] in rewrites["killing"]
