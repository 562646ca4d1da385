"""Fine-tuning the sentence model: batching logic, the pairs (held-out synonyms left out), and a real few-step
fine-tune of the packaged model that the linker's Embedder then loads."""
from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval.finetune import (INFO_FILE, FineTuneError, TrainingPair, batches_without_repeats, fine_tune,
                                training_pairs)


def _pair(concept: int, n: int = 0) -> TrainingPair:
    return TrainingPair(f"lay words {concept} {n}", f"name {concept}", concept, "synonym")


def test_no_batch_holds_one_concept_twice():
    pairs = [_pair(c, n) for c in range(20) for n in range(c % 4 + 1)]
    batches = batches_without_repeats(pairs, 8, seed=3)
    assert batches and all(len(b) == 8 for b in batches)
    assert all(len({p.concept for p in b}) == len(b) for b in batches)
    # every pair is used at most once, and most are used
    used = [p for b in batches for p in b]
    assert len(used) == len(set(used)) and len(used) >= len(pairs) - 8


def test_batches_need_two_concepts():
    with pytest.raises(ValueError):
        batches_without_repeats([_pair(1)], 1)
    # one concept only: no batch can be formed
    assert batches_without_repeats([_pair(1, n) for n in range(10)], 4) == []


def test_no_pairs_is_a_clear_error(tmp_path):
    with pytest.raises(FineTuneError, match="no training pairs"):
        fine_tune([], tmp_path / "model", progress=False)


def test_pairs_leave_out_the_held_out_layperson_synonyms(hpo_context):
    from retrieval.evaluation import hpo_lay_items
    from retrieval.normalize import keys_of
    pairs = training_pairs(hpo_context.linker, hpo_context.store.iter_entities())
    assert len(pairs) > 1000
    held_out = {keys_of(text)[1] for text, _ in hpo_lay_items(hpo_context.store, bucket=0)}
    assert held_out and not any(keys_of(p.query)[1] in held_out for p in pairs)
    assert all(p.query != p.name for p in pairs)


@pytest.mark.slow
def test_a_short_fine_tune_moves_a_trained_phrase_towards_its_name(tmp_path):
    from retrieval.embeddings import Embedder
    pairs = [TrainingPair("cannot catch my breath", "dyspnea", 1, "synonym"),
             TrainingPair("tummy ache", "abdominal pain", 2, "synonym"),
             TrainingPair("the runs", "diarrhea", 3, "synonym"),
             TrainingPair("water tablets", "diuretic", 4, "synonym")]
    before = Embedder(cache_dir=tmp_path / "cache0").encode(["the runs", "diarrhea"])
    out = tmp_path / "tuned"
    info = fine_tune(pairs * 3, out, batch_size=4, epochs=3, learning_rate=1e-4, progress=False)
    assert info["steps"] >= 3 and json.loads((out / INFO_FILE).read_text())["pairs"] == 12
    after = Embedder(str(out), cache_dir=tmp_path / "cache1").encode(["the runs", "diarrhea"])
    assert float(np.dot(after[0], after[1])) > float(np.dot(before[0], before[1])) + 0.02
    assert not (tmp_path / ".tuned.partial").exists()


def test_the_command_writes_a_model_folder_and_rejects_bad_options(hpo_context, hpo_graph, tmp_path, monkeypatch):
    from kgqa.cli import main
    from tests.conftest import TEST_HOME
    monkeypatch.setenv("KGQA_HOME", str(TEST_HOME))   # the linker cache hpo_context built
    assert main(["tune-embeddings", "--epochs", "0"]) == 2
    out = tmp_path / "tuned"
    assert main(["--store", hpo_graph, "tune-embeddings", "--max-steps", "1", "--batch-size", "4",
                 "--out", str(out)]) == 0
    info = json.loads((out / INFO_FILE).read_text())
    assert info["steps"] == 1 and info["pairs"] > 1000 and (out / "modules.json").exists()
