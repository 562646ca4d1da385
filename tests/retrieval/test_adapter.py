"""The learned query adapter (retrieval/adapter.py): pairs, training, persistence, and its place in the
linker (held-out synonyms never train it)."""
from __future__ import annotations

import numpy as np
import pytest

from kg.model import Entity, Synonym
from retrieval import adapter as qa
from retrieval.evaluation import split_bucket
from kgqa.settings import SettingsError, load_settings
from retrieval.linker import Linker, held_out_keys
from retrieval.normalize import keys_of


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_training_pairs_leave_out_names_andheld_out_keys():
    vecs = _unit(np.random.default_rng(0).normal(size=(5, 8)))
    pairs = qa.training_pairs(vecs, row_entities=[0, 0, 0, 1, 1],
                              row_kinds=["name", "exact", "layperson", "name", "layperson"],
                              row_keys=["a", "b", "c", "d", "e"], held_out_keys={"c"},
                              lay_vectors=vecs[:1], lay_entities=[1])
    # rows 1 (exact of 0) and 4 (layperson of 1); row 2 is held out; the lay phrase is repeated
    assert pairs.synonyms == 2 and pairs.vocabulary == 1
    assert len(pairs.queries) == 2 + qa.VOCABULARY_REPEATS
    assert list(pairs.targets[:2]) == [0, 1]
    np.testing.assert_allclose(pairs.target_vectors, vecs[[0, 3]])


def test_training_pairs_without_names_give_nothing():
    vecs = _unit(np.ones((2, 4)))
    assert qa.training_pairs(vecs, [0, 1], ["exact", "exact"], ["a", "b"], set()) is None


def test_training_learns_a_systematic_shift_and_generalises():
    """Queries are their concept's vector pushed along one shared direction (the way lay wording differs
    from a clinical name); the adapter learns to undo it for concepts it never saw in training."""
    rng = np.random.default_rng(1)
    dim, concepts = 32, 400
    names = _unit(rng.normal(size=(concepts, dim)))
    drift = _unit(rng.normal(size=(1, dim)))[0]
    queries = _unit(names + 1.5 * drift + 0.05 * rng.normal(size=(concepts, dim)))
    train_ids, test_ids = np.arange(0, 300), np.arange(300, concepts)
    pairs = qa.TrainingPairs(queries[train_ids].repeat(3, axis=0), np.repeat(train_ids, 3), names,
                             synonyms=900)
    adapter = qa.train(pairs, epochs=30)
    assert adapter is not None and adapter.info["pairs"] == 900

    def acc(q):
        return float(np.mean(np.argmax(q @ names.T, axis=1) == test_ids))

    before, after = acc(queries[test_ids]), acc(adapter.apply(queries[test_ids]))
    assert after > before + 0.2, (before, after)


def test_too_few_pairs_train_nothing():
    vecs = _unit(np.ones((3, 4)))
    assert qa.train(qa.TrainingPairs(vecs, np.zeros(3, dtype=np.int64), vecs[:1])) is None


def test_save_and_load_round_trip(tmp_path):
    weight = np.eye(6, dtype=np.float32) + 0.1
    adapter = qa.QueryAdapter(weight, cos_offset=0.3, info={"pairs": 12})
    adapter.save(tmp_path)
    loaded = qa.QueryAdapter.load(tmp_path)
    np.testing.assert_allclose(loaded.weight, weight)
    assert loaded.cos_offset == pytest.approx(0.3) and loaded.info == {"pairs": 12}
    out = loaded.apply(_unit(np.ones((2, 6))))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    assert qa.QueryAdapter.load(tmp_path / "missing") is None


def test_a_wrong_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="square"):
        qa.QueryAdapter(np.ones((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="dimension"):
        qa.QueryAdapter(np.eye(4, dtype=np.float32)).apply(np.ones((1, 5), dtype=np.float32))


def test_blend_mixes_adapted_and_raw_and_caps_at_one():
    adapter = qa.QueryAdapter(np.eye(2, dtype=np.float32), cos_offset=0.2, adapted_share=0.5)
    assert adapter.blend(0.5, 0.7) == pytest.approx(0.7)
    assert adapter.blend(1.0, 1.0) == 1.0


def testheld_out_keys_are_the_evaluation_and_calibration_folds():
    texts = ["tummy ache", "racing heart", "dizzy spell", "pins and needles", "runny nose", "sore throat",
             "itchy skin", "pounding head", "short of breath", "upset stomach", "swollen ankles", "the runs"]
    entity = Entity(id="HP:1", type="Phenotype", name="Thing",
                    synonyms=[Synonym(t, "layperson", "hpo") for t in texts] + [Synonym("exact one", "exact", "hpo")])
    keys = held_out_keys([entity])
    expected = {keys_of(t)[1] for t in texts if split_bucket(t) in (0, 1)}
    assert keys == expected and expected          # some fall in the folds, exact synonyms never count
    assert keys_of("exact one")[1] not in keys


def test_the_adapter_is_off_by_default_and_a_setting_turns_it_on(full_context, monkeypatch):
    assert full_context.settings.query_adapter is False and full_context.linker.adapter is None
    monkeypatch.setenv("KGQA_QUERY_ADAPTER", "yes")
    assert load_settings(config_file="/nonexistent").query_adapter is True
    monkeypatch.setenv("KGQA_QUERY_ADAPTER", "maybe")
    with pytest.raises(SettingsError, match="KGQA_QUERY_ADAPTER"):
        load_settings(config_file="/nonexistent")


def test_the_graph_linker_has_an_adapter_trained_without_held_out_synonyms(full_context):
    linker = Linker.from_store(full_context.store, full_context.settings.with_(query_adapter=True), progress=False)
    assert linker.adapter is not None
    info = linker.adapter.info
    assert info.get("pairs", 0) >= qa.MIN_PAIRS or info == {}
    # the adapter only adds candidates: a clinical name still links to itself
    mentions = linker.link("I have asthma")
    assert [m.entity.id for m in mentions] == ["DOID:2841"]
