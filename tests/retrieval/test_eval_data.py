"""Integrity of the project's dictionary and evaluation files."""
import re
from pathlib import Path

import pytest

from retrieval.dictionary import VocabularyError, read_lay_vocabulary
from retrieval.evaluation import EVAL_DIR, PHRASE_SETS, read_phrase_set, read_sentences, split_bucket
from retrieval.normalize import fold, keys_of, singular, sorted_key

TRAIN_NEGATIVES = Path(__file__).resolve().parents[2] / "retrieval" / "data" / "non_medical_train.txt"


def test_vocabulary_parses_and_every_line_says_why():
    items = read_lay_vocabulary()
    assert len(items) > 100
    assert all(i.why and i.targets and all(":" in t for t in i.targets) for i in items)


def test_no_tuning_phrase_is_in_the_vocabulary():
    vocab = {keys_of(i.phrase)[1] for i in read_lay_vocabulary()}
    for name in ("lay_phrases_dev.tsv", "lay_phrases_seen.tsv"):
        for phrase, *_ in read_phrase_set(EVAL_DIR / name):
            assert keys_of(phrase)[1] not in vocab, f"{name}: {phrase!r} is a vocabulary entry"


@pytest.mark.parametrize("phrases, before_file", [("lay_phrases_seen2.tsv", "vocabulary_keys_before_seen2.txt"),
                                                   ("lay_phrases_seen3.tsv", "vocabulary_phrases_before_seen3.txt"),
                                                   ("lay_phrases_seen4.tsv", "vocabulary_phrases_before_seen4.txt"),
                                                   ("lay_phrases_seen5.tsv", "vocabulary_phrases_before_seen5.txt"),
                                                   ("lay_phrases_seen6.tsv", "vocabulary_phrases_before_seen6.txt"),
                                                   ("lay_phrases_seen7.tsv", "vocabulary_phrases_before_seen7.txt"),
                                                   ("lay_phrases_seen8.tsv", "vocabulary_phrases_before_seen8.txt"),
                                                   ("lay_phrases_seen9.tsv", "vocabulary_phrases_before_seen9.txt"),
                                                   ("lay_phrases_seen10.tsv", "vocabulary_phrases_before_seen10.txt"),
                                                   ("lay_phrases_seen11.tsv", "vocabulary_phrases_before_seen11.txt"),
                                                   ("lay_phrases_test.tsv", "vocabulary_phrases_before_test.txt")])
def test_no_vocabulary_entry_added_after_a_test_set_equals_its_phrases(phrases, before_file):
    """Each held-out set was written after some version of the vocabulary; common lay terms ("pink eye")
    coincide with entries of that version, written independently. Entries added since must not. (seen2 to seen11
    were sessions 2 to 11's test sets: tuning data now, but their phrases still never become vocabulary entries.)
    The files since session 3 list the earlier phrases themselves, so they stay right when normalisation changes."""
    lines = [line.strip() for line in (EVAL_DIR / before_file).read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    # the seen2 file lists keys as session 2 normalised them; compare in that normalisation
    key_of = (lambda x: keys_of(x)[1]) if "phrases" in before_file else _session2_key
    before = {key_of(x) for x in lines} if "phrases" in before_file else set(lines)
    vocab = {key_of(i.phrase) for i in read_lay_vocabulary()}
    assert len(before) > 100
    for phrase, *_ in read_phrase_set(EVAL_DIR / phrases):
        key = key_of(phrase)
        assert key not in vocab or key in before, f"{phrase!r} was added to the vocabulary after {phrases}"


def _session2_key(text: str) -> str:
    """The sorted key as session 2 computed it (before "can't" became "cant" and "vitamin D" kept its D)."""
    words = [singular(w) for w in re.findall(r"[a-z0-9]+", fold(text))]
    return sorted_key(words)


def test_session2_keys_are_reproduced():
    assert _session2_key("I can't stop throwing up") == "stop throwing"
    assert _session2_key("low vitamin D") == keys_of("low vitamin")[1]


def test_test_and_dev_sets_are_disjoint_and_large_enough():
    test = {keys_of(p)[1] for p, *_ in read_phrase_set(EVAL_DIR / "lay_phrases_test.tsv")}
    dev = {keys_of(p)[1] for p, *_ in read_phrase_set(EVAL_DIR / "lay_phrases_dev.tsv")}
    seen_files = [name for set_name, name in PHRASE_SETS.items() if set_name.startswith("lay_seen")]
    assert len(seen_files) >= 11
    seen = {keys_of(p)[1] for name in seen_files for p, *_ in read_phrase_set(EVAL_DIR / name)}
    assert len(test) >= 150 and not (test & dev) and not (test & seen), sorted(test & (dev | seen))
    eval_neg = {s.lower() for s in read_sentences(EVAL_DIR / "non_medical.txt")}
    train_neg = {s.lower() for s in read_sentences(TRAIN_NEGATIVES)}
    assert len(eval_neg) >= 30 and not (eval_neg & train_neg)


def test_split_is_deterministic_and_about_a_fifth():
    words = [f"symptom phrase {i}" for i in range(2000)]
    buckets = [split_bucket(w) for w in words]
    assert buckets == [split_bucket(w) for w in words]
    assert 0.17 < buckets.count(0) / len(buckets) < 0.23
    assert split_bucket("Racing heart") == split_bucket("heart, racing")   # by normalised key


def test_malformed_vocabulary_names_the_line(tmp_path):
    bad = tmp_path / "v.tsv"
    bad.write_text("phrase\ttargets\twhy\nsugar diabetes\tDOID:9351\tok\nbroken line without tabs\n")
    with pytest.raises(VocabularyError, match=r"v.tsv:3"):
        read_lay_vocabulary(bad)
