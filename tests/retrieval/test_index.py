import numpy as np
import pytest

from retrieval.index import VectorIndex, gpu_available, recall_at_k


def _data(n=5000, d=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[:100] + 0.05 * rng.standard_normal((100, d)).astype(np.float32)
    return x, q


def test_flat_search_equals_brute_force():
    x, q = _data()
    ids = np.arange(len(x)) * 7 + 3
    idx = VectorIndex(x.shape[1], kind="flat", device="cpu").build(x, ids)
    scores, got = idx.search(q, 5)
    brute = np.argsort(-(q @ x.T), axis=1)[:, :5]
    assert np.array_equal(got, ids[brute])
    assert np.allclose(scores[:, 0], np.max(q @ x.T, axis=1), atol=1e-5)


def test_hnsw_recall_against_exact_is_high():
    x, q = _data(8000, 48)
    ids = np.arange(len(x))
    flat = VectorIndex(48, kind="flat", device="cpu").build(x, ids)
    hnsw = VectorIndex(48, kind="hnsw", device="cpu").build(x, ids)
    assert hnsw.structure == "hnsw" and flat.structure == "flat"
    assert recall_at_k(hnsw, flat, q, 10) >= 0.95


def test_auto_switches_to_hnsw_above_threshold():
    x, _ = _data(3000)
    assert VectorIndex(32, hnsw_threshold=1000, device="cpu").build(x, np.arange(3000)).structure == "hnsw"
    assert VectorIndex(32, hnsw_threshold=10000, device="cpu").build(x, np.arange(3000)).structure == "flat"


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_incremental_add_and_remove(kind):
    x, _ = _data(2000)
    idx = VectorIndex(32, kind=kind, device="cpu").build(x[:1500], np.arange(1500))
    idx.add(x[1500:], np.arange(1500, 2000))
    assert len(idx) == 2000
    _, got = idx.search(x[1700:1701], 1)
    assert got[0, 0] == 1700
    idx.remove([1700])
    _, got = idx.search(x[1700:1701], 3)
    assert 1700 not in got[0] and len(idx) == 1999
    idx.compact()
    _, got = idx.search(x[1700:1701], 3)
    assert 1700 not in got[0] and len(idx) == 1999


def test_save_and_load_round_trip(tmp_path):
    x, q = _data(1000)
    idx = VectorIndex(32, kind="hnsw", device="cpu").build(x, np.arange(1000))
    idx.remove([5])
    idx.save(tmp_path / "ix")
    back = VectorIndex.load(tmp_path / "ix", device="cpu")
    assert len(back) == 999
    assert np.array_equal(back.search(q, 5)[1], idx.search(q, 5)[1])


def test_bad_shapes_are_clear_errors():
    idx = VectorIndex(8, device="cpu")
    with pytest.raises(ValueError, match="expected"):
        idx.build(np.zeros((3, 4), np.float32), np.arange(3))
    with pytest.raises(ValueError, match="ids"):
        idx.build(np.zeros((3, 8), np.float32), np.arange(2))


def test_empty_index_searches_return_nothing():
    _, got = VectorIndex(8, device="cpu").search(np.zeros((2, 8), np.float32), 3)
    assert (got == -1).all()


@pytest.mark.skipif(not gpu_available(), reason="faiss has no GPU support here (faiss-cpu) or no GPU is visible")
def test_gpu_and_cpu_give_the_same_results():
    x, q = _data(20000, 64)
    ids = np.arange(len(x))
    cpu = VectorIndex(64, kind="flat", device="cpu").build(x, ids)
    gpu = VectorIndex(64, kind="flat", device="cuda").build(x, ids)
    assert gpu.structure.endswith("+gpu")
    s1, i1 = cpu.search(q, 10)
    s2, i2 = gpu.search(q, 10)
    assert np.array_equal(i1, i2) and np.allclose(s1, s2, atol=1e-4)
