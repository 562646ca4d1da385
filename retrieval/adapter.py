"""A learned query-side adapter for dense linking: a 384x384 linear map applied to a query's embedding
before the name index is searched, so that lay wording lands nearer the concept it describes.

The packaged sentence model was never taught that "can't catch my breath" and "Dyspnea" mean the same
thing. The adapter is trained at index-build time (seconds, CPU) from pairs the graph and the project
already have: every synonym of a dense-linked concept, and every lay vocabulary phrase, paired with
the concept's preferred-name vector. It starts from the least-squares map (closed form, with a pull
towards the identity so that what the model already knew is kept) and is refined for two epochs with
an in-batch contrastive loss (the other concepts of a batch are the negatives).

Held-out data stays out: synonyms whose sorted key is a layperson synonym of split buckets 0 (the
hpo_lay evaluation fold) or 1 (the calibration fold, retrieval/calibrate.py) are never training pairs,
so `kgqa eval linking --sets hpo_lay` measures what the adapter learned on concepts' unseen synonyms.

At query time (retrieval/linker.py, `_dense_query`) the index is searched with the raw and with the
adapted query. Adapted cosines are on another scale than raw ones (a query lands nearer its concept and
farther from everything else), so the adapted candidates are ranked by their adapted cosine and the best
of them is scored with `blend`: half the adapted cosine shifted by `cos_offset`, half the raw one, on the
raw scale the score weights were set on (retrieval/scoring.py). An entity found both ways keeps the
better score. Used alone, the adapted ranking is much better on held-out HPO synonyms (acc@1 0.39 ->
0.56) but 1-3% worse on whole lay sentences, and scored by its cosine alone it linked non-medical
sentences; the union is what ships (figures in docs/linking.md).
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

ADAPTER_FILE = "adapter.npz"
VERSION = 2                   # part of the linker cache key: a change of training rebuilds the adapter
HELD_OUT_BUCKETS = (0, 1)     # evaluation and calibration folds of the layperson synonyms
EPOCHS = 2                    # after the closed-form start, two epochs get what eight from the identity did
RIDGE = 1.0                   # strength of the identity prior in the least-squares start
BATCH = 1024
LEARNING_RATE = 2e-3
TEMPERATURE = 0.05
IDENTITY_PULL = 1e-4          # weight of ||W - I||^2: more lets the map forget what the model knew
VOCABULARY_REPEATS = 5        # lay phrases are few (~3k) next to ~30k synonyms; they are the lay signal
MIN_PAIRS = 500               # below this (tiny test graphs) no adapter is trained
# Added to an adapted cosine before scoring. Measured on the tuning sets: positives' adapted top cosine
# sits ~0.2 under their raw one while non-medical spans' drops as much; see docs/linking.md.
COS_OFFSET = 0.22
ADAPTED_SHARE = 0.7
SEED = 0


@dataclass
class TrainingPairs:
    queries: np.ndarray       # (n, dim) float32, unit rows: synonym / lay phrase vectors
    targets: np.ndarray       # (n,) int: row of `target_vectors` each query should land on
    target_vectors: np.ndarray  # (m, dim) float32, unit rows: preferred-name vectors
    synonyms: int = 0
    vocabulary: int = 0


class QueryAdapter:
    """y = normalise(W x). `W` starts as the identity; `apply` maps a batch of unit query vectors."""

    def __init__(self, weight: np.ndarray, cos_offset: float = COS_OFFSET, info: dict | None = None,
                 adapted_share: float = ADAPTED_SHARE):
        if weight.ndim != 2 or weight.shape[0] != weight.shape[1]:
            raise ValueError(f"adapter weight must be square, got shape {weight.shape}")
        self.weight = np.ascontiguousarray(weight, dtype=np.float32)
        self.weight_t = np.ascontiguousarray(self.weight.T)
        self.cos_offset = float(cos_offset)
        self.adapted_share = float(adapted_share)
        self.info = dict(info or {})

    @property
    def dim(self) -> int:
        return int(self.weight.shape[0])

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        if vectors.shape[-1] != self.dim:
            raise ValueError(f"query vectors have dimension {vectors.shape[-1]}, the adapter {self.dim}")
        out = np.asarray(vectors, dtype=np.float32) @ self.weight_t
        norms = np.linalg.norm(out, axis=-1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def blend(self, adapted: float, raw: float) -> float:
        """The cosine a dense candidate is scored with, on the raw scale the score weights were set on:
        a mix of the adapted cosine (shifted by `cos_offset`) and the raw one, so that a link needs the
        model's own judgement as well as the adapter's."""
        mixed = self.adapted_share * (adapted + self.cos_offset) + (1.0 - self.adapted_share) * raw
        return min(mixed, 1.0)

    # ---- persistence ---------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{ADAPTER_FILE}.tmp.npz"
        np.savez(tmp, weight=self.weight, cos_offset=np.float32(self.cos_offset),
                 adapted_share=np.float32(self.adapted_share), info=np.array(json.dumps(self.info)))
        tmp.replace(folder / ADAPTER_FILE)

    @classmethod
    def load(cls, folder: Path) -> "QueryAdapter | None":
        path = Path(folder) / ADAPTER_FILE
        if not path.exists():
            return None
        with np.load(path) as data:
            info = json.loads(str(data["info"])) if "info" in data.files else {}
            share = float(data["adapted_share"]) if "adapted_share" in data.files else ADAPTED_SHARE
            return cls(data["weight"], float(data["cos_offset"]), info, adapted_share=share)


def training_pairs(row_vectors: np.ndarray, row_entities: Sequence[int], row_kinds: Sequence[str],
                   row_keys: Sequence[str], held_out_keys: set[str],
                   lay_vectors: np.ndarray | None = None, lay_entities: Sequence[int] = ()) -> TrainingPairs | None:
    """Pairs (synonym or lay phrase -> preferred name) from the dense index's rows.

    `row_*` describe the dense index (one row per name/synonym; kind "name" is the preferred name);
    rows whose key is in `held_out_keys` are left out, as are lay phrases of concepts without a name row."""
    name_row: dict[int, int] = {}
    for r, (ent, kind) in enumerate(zip(row_entities, row_kinds)):
        if kind == "name" and ent not in name_row:
            name_row[ent] = r
    if not name_row:
        return None
    concepts = sorted(name_row)
    column = {ent: c for c, ent in enumerate(concepts)}
    q_rows, targets = [], []
    for r, (ent, kind, key) in enumerate(zip(row_entities, row_kinds, row_keys)):
        if kind in ("name", "vocabulary") or key in held_out_keys or ent not in column:
            continue
        q_rows.append(r)
        targets.append(column[ent])
    queries = [row_vectors[q_rows]] if q_rows else []
    n_lay = 0
    if lay_vectors is not None and len(lay_entities):
        keep = [i for i, ent in enumerate(lay_entities) if ent in column]
        if keep:
            lay_q = lay_vectors[keep]
            lay_t = [column[lay_entities[i]] for i in keep]
            queries += [lay_q] * VOCABULARY_REPEATS
            targets += lay_t * VOCABULARY_REPEATS
            n_lay = len(keep)
    if not queries:
        return None
    return TrainingPairs(np.concatenate(queries).astype(np.float32), np.asarray(targets, dtype=np.int64),
                         np.ascontiguousarray(row_vectors[[name_row[e] for e in concepts]], dtype=np.float32),
                         synonyms=len(q_rows), vocabulary=n_lay)


def ridge_start(pairs: TrainingPairs, strength: float = RIDGE) -> np.ndarray:
    """The least-squares map from queries to their target names with a pull towards the identity,
    W = argmin ||Q W^T - T||^2 + strength ||W - I||^2 (closed form, milliseconds)."""
    q = pairs.queries.astype(np.float64)
    t = pairs.target_vectors[pairs.targets].astype(np.float64)
    eye = np.eye(q.shape[1])
    return np.linalg.solve(q.T @ q + strength * eye, q.T @ t + strength * eye).T.astype(np.float32)


def train(pairs: TrainingPairs, *, epochs: int = EPOCHS, seed: int = SEED,
          progress: bool = False) -> QueryAdapter | None:
    """Fit W: a closed-form least-squares start, then in-batch contrastive learning (InfoNCE over the
    batch's distinct target concepts), which ranks the right concept first rather than merely near."""
    if pairs is None or len(pairs.queries) < MIN_PAIRS:
        return None
    import torch
    started = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(min(threads, 2))
    try:
        gen = torch.Generator().manual_seed(seed)
        dim = pairs.queries.shape[1]
        eye = torch.eye(dim)
        weight = torch.nn.Parameter(torch.from_numpy(ridge_start(pairs)))
        opt = torch.optim.Adam([weight], lr=LEARNING_RATE)
        queries = torch.from_numpy(pairs.queries)
        targets = torch.from_numpy(pairs.targets)
        names = torch.from_numpy(pairs.target_vectors)
        loss_value = float("nan")
        steps = range(epochs)
        if progress:
            from tqdm import tqdm
            steps = tqdm(steps, desc="linker: query adapter", unit=" epoch")
        for _ in steps:
            order = torch.randperm(len(queries), generator=gen)
            total, batches = 0.0, 0
            for lo in range(0, len(order), BATCH):
                b = order[lo:lo + BATCH]
                q = torch.nn.functional.normalize(queries[b] @ weight.T, dim=1)
                concepts, column = torch.unique(targets[b], return_inverse=True)
                logits = q @ names[concepts].T / TEMPERATURE
                loss = torch.nn.functional.cross_entropy(logits, column) \
                    + IDENTITY_PULL * ((weight - eye) ** 2).sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
                batches += 1
            loss_value = total / max(1, batches)
    finally:
        torch.set_num_threads(threads)
    info = {"pairs": int(len(pairs.queries)), "synonym_pairs": pairs.synonyms, "vocabulary_pairs": pairs.vocabulary,
            "epochs": epochs, "final_loss": round(loss_value, 4),
            "seconds": round(time.perf_counter() - started, 1)}
    log.info("query adapter trained: %s", info)
    return QueryAdapter(weight.detach().numpy(), COS_OFFSET, info)
