"""A FAISS vector index: exact inner product for small sets, HNSW above a size threshold, on the GPU
when faiss was built with CUDA and a GPU is visible, on the CPU otherwise, behind one interface.

Ids are caller-chosen int64 values (rows of a name table). Adding is incremental; removing marks ids
as deleted (HNSW graphs cannot drop nodes) and searches skip them; `compact()` rebuilds without them.
On the GPU, search is exact brute force (`GpuIndexFlatIP`): on a GPU it is fast enough for millions of
vectors and gives the same results as the CPU's exact index.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import faiss
import numpy as np

HNSW_THRESHOLD = 200_000   # vectors; below it exact search is fast enough on two cores
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
# Below this many queries a search runs on the calling thread alone: OpenMP's worker threads cost more than
# they save for a question's few n-grams, and on a busy 2-core machine their spin-waits made a 24-query HNSW
# search take 25-30 ms instead of 1-2 ms (measured). The setting is per calling thread in OpenMP.
SINGLE_THREAD_QUERIES = 64


class IndexError_(RuntimeError):
    """The index file is missing, torn or was built for another dimension."""


def gpu_available() -> bool:
    return hasattr(faiss, "StandardGpuResources") and getattr(faiss, "get_num_gpus", lambda: 0)() > 0


class VectorIndex:
    def __init__(self, dim: int, *, kind: str = "auto", hnsw_threshold: int = HNSW_THRESHOLD,
                 device: str = "auto", ef_search: int = HNSW_EF_SEARCH):
        if kind not in ("auto", "flat", "hnsw"):
            raise ValueError(f"index kind {kind!r} is not one of auto, flat, hnsw")
        self.dim = dim
        self.kind = kind
        self.hnsw_threshold = hnsw_threshold
        self.ef_search = ef_search
        self.use_gpu = (device in ("auto", "cuda")) and gpu_available()
        if device == "cuda" and not gpu_available():
            raise ValueError("device 'cuda' asked for, but faiss has no GPU support here (install faiss-gpu)")
        self._cpu: faiss.Index | None = None
        self._gpu = None
        self._res = None
        self.deleted: set[int] = set()

    # ---- building ------------------------------------------------------------------------------
    def _new_cpu_index(self, n: int) -> faiss.Index:
        chosen = self.kind if self.kind != "auto" else ("hnsw" if n >= self.hnsw_threshold else "flat")
        if chosen == "hnsw":
            inner = faiss.IndexHNSWFlat(self.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = self.ef_search
            return faiss.IndexIDMap2(inner)
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    @property
    def structure(self) -> str:
        """'flat' or 'hnsw' (the CPU structure), with '+gpu' when searches run on the GPU."""
        if self._cpu is None:
            return "empty"
        inner = faiss.downcast_index(self._cpu.index)
        name = "hnsw" if isinstance(inner, faiss.IndexHNSWFlat) else "flat"
        return name + ("+gpu" if self.use_gpu else "")

    def build(self, vectors: np.ndarray, ids: np.ndarray) -> "VectorIndex":
        vectors, ids = self._check(vectors, ids)
        self._cpu = self._new_cpu_index(len(vectors))
        self._cpu.add_with_ids(vectors, ids)
        self.deleted.clear()
        self._sync_gpu()
        return self

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vectors, ids = self._check(vectors, ids)
        if self._cpu is None:
            self.build(vectors, ids)
            return
        self._cpu.add_with_ids(vectors, ids)
        self.deleted.difference_update(int(i) for i in ids)
        if self._gpu is not None:
            self._gpu.add_with_ids(vectors, ids)

    def remove(self, ids) -> None:
        """Remove ids: flat indexes drop them, HNSW marks them deleted (skipped by searches)."""
        ids = np.asarray(list(ids), dtype=np.int64)
        if self._cpu is None or not len(ids):
            return
        if self.structure.startswith("flat"):
            self._cpu.remove_ids(ids)
            self._sync_gpu()
        else:
            self.deleted.update(int(i) for i in ids)
            self._sync_gpu()

    def compact(self) -> None:
        """Rebuild without deleted ids (HNSW)."""
        if not self.deleted or self._cpu is None:
            return
        vecs, ids = self.vectors()
        keep = ~np.isin(ids, np.fromiter(self.deleted, dtype=np.int64))
        self.build(vecs[keep], ids[keep])

    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """All stored vectors and their ids (deleted ones included)."""
        ids = faiss.vector_to_array(self._cpu.id_map).astype(np.int64)
        inner = faiss.downcast_index(self._cpu.index)
        vecs = inner.reconstruct_n(0, inner.ntotal) if inner.ntotal else np.zeros((0, self.dim), np.float32)
        return np.asarray(vecs, dtype=np.float32), ids

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of the given ids (rows in the order of `ids`)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self._cpu is None or not len(ids):
            return np.zeros((len(ids), self.dim), np.float32)
        return np.asarray(self._cpu.reconstruct_batch(ids), dtype=np.float32)

    def __len__(self) -> int:
        return 0 if self._cpu is None else int(self._cpu.ntotal) - len(self.deleted)

    def _check(self, vectors, ids) -> tuple[np.ndarray, np.ndarray]:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"vectors have shape {vectors.shape}, expected (n, {self.dim})")
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        return vectors, ids

    def _sync_gpu(self) -> None:
        if not self.use_gpu or self._cpu is None:
            self._gpu = None
            return
        if self._res is None:
            self._res = faiss.StandardGpuResources()
        # exact search on the GPU, whatever the CPU structure
        vecs, ids = self.vectors()
        if self.deleted:
            keep = ~np.isin(ids, np.fromiter(self.deleted, dtype=np.int64))
            vecs, ids = vecs[keep], ids[keep]
        self._gpu_inner = faiss.index_cpu_to_gpu(self._res, 0, faiss.IndexFlatIP(self.dim))
        self._gpu = faiss.IndexIDMap(self._gpu_inner)
        if len(ids):
            self._gpu.add_with_ids(vecs, ids)

    # ---- searching -----------------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); missing results are id -1 with score -inf."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        n = len(queries)
        if self._cpu is None or len(self) == 0 or k <= 0:
            return np.full((n, max(k, 0)), -np.inf, np.float32), np.full((n, max(k, 0)), -1, np.int64)
        extra = min(len(self.deleted), 4 * k) if self.deleted else 0
        kk = min(k + extra, int(self._cpu.ntotal))
        index = self._gpu if self._gpu is not None else self._cpu
        if index is self._cpu:
            faiss.omp_set_num_threads(1 if n < SINGLE_THREAD_QUERIES else (os.cpu_count() or 1))
        scores, ids = index.search(queries, kk)
        if self.deleted:
            scores, ids = self._drop_deleted(scores, ids, k)
        if kk < k:
            pad = k - kk
            scores = np.hstack([scores, np.full((n, pad), -np.inf, np.float32)])
            ids = np.hstack([ids, np.full((n, pad), -1, np.int64)])
        scores = np.where(ids < 0, -np.inf, scores)
        return scores[:, :k], ids[:, :k]

    def _drop_deleted(self, scores, ids, k):
        out_s = np.full((len(ids), k), -np.inf, np.float32)
        out_i = np.full((len(ids), k), -1, np.int64)
        for r in range(len(ids)):
            keep = [j for j in range(ids.shape[1]) if ids[r, j] >= 0 and int(ids[r, j]) not in self.deleted][:k]
            out_s[r, :len(keep)] = scores[r, keep]
            out_i[r, :len(keep)] = ids[r, keep]
        return out_s, out_i

    # ---- persistence ---------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".index.{os.getpid()}.faiss"
        faiss.write_index(self._cpu, str(tmp))
        os.replace(tmp, folder / "index.faiss")
        (folder / "index.json").write_text(json.dumps({"dim": self.dim, "deleted": sorted(self.deleted)}))

    @classmethod
    def load(cls, folder: Path, device: str = "auto", ef_search: int = HNSW_EF_SEARCH) -> "VectorIndex":
        folder = Path(folder)
        try:
            meta = json.loads((folder / "index.json").read_text())
            cpu = faiss.read_index(str(folder / "index.faiss"))
        except (OSError, ValueError, RuntimeError) as exc:
            raise IndexError_(f"cannot read the vector index in {folder}: {exc}") from exc
        self = cls(int(meta["dim"]), device=device, ef_search=ef_search)
        self._cpu = cpu
        inner = faiss.downcast_index(cpu.index)
        if isinstance(inner, faiss.IndexHNSWFlat):
            inner.hnsw.efSearch = ef_search
        self.deleted = set(meta.get("deleted", []))
        self._sync_gpu()
        return self


def recall_at_k(approx: VectorIndex, exact: VectorIndex, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact top-k ids that the approximate index also returns."""
    _, a = approx.search(queries, k)
    _, e = exact.search(queries, k)
    hits = sum(len(set(a[r]) & set(e[r]) - {-1}) for r in range(len(queries)))
    total = sum(len(set(e[r]) - {-1}) for r in range(len(queries)))
    return hits / total if total else 1.0
