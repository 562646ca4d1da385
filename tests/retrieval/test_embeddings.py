"""The embedding backends: ONNX Runtime gives the same vectors as PyTorch with the real packaged model."""
from __future__ import annotations

import numpy as np
import pytest

from retrieval.embeddings import EmbeddingError, Embedder

pytestmark = pytest.mark.slow

TEXTS = ["my heart is racing", "blood in my pee", "can't catch my breath", "metformin", "tummy ache",
         "a much longer sentence about a pain in the lower right side of the belly that started yesterday"]


@pytest.fixture(scope="module")
def onnx_embedder(tmp_path_factory):
    return Embedder(device="cpu", cache_dir=tmp_path_factory.mktemp("emb"), backend="onnx")


def test_onnx_backend_is_chosen_on_cpu_and_matches_pytorch(onnx_embedder):
    torch_embedder = Embedder(device="cpu", backend="torch")
    assert onnx_embedder.backend == "onnx"
    assert torch_embedder.backend == "torch"
    a = onnx_embedder.encode(TEXTS)
    b = torch_embedder.encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert np.abs(a - b).max() < 1e-4
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_onnx_file_is_exported_once_and_reused(onnx_embedder):
    onnx_embedder.encode(["fever"])
    files = list((onnx_embedder.cache_dir / "onnx").glob("*.onnx"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    again = Embedder(device="cpu", cache_dir=onnx_embedder.cache_dir)
    assert again.backend == "onnx"
    assert files[0].stat().st_mtime_ns == stamp


def test_concurrent_encodes_give_the_same_vectors(onnx_embedder):
    from concurrent.futures import ThreadPoolExecutor
    expected = onnx_embedder._encode_model(TEXTS, False)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: onnx_embedder._encode_model(TEXTS, False), range(12)))
    for r in results:
        assert np.abs(r - expected).max() < 1e-5


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="embedding backend"):
        Embedder(backend="tensorflow")


def test_onnx_without_a_cache_folder_is_refused_when_forced():
    with pytest.raises(EmbeddingError, match="ONNX"):
        _ = Embedder(device="cpu", cache_dir=None, backend="onnx").backend
