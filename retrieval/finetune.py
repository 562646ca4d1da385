"""Fine-tune the sentence model on the graph's own pairs, so dense linking reads everyday wording better.

The packaged MiniLM was trained on general web text: it puts "can't catch my breath" near other sentences
about breath, not necessarily next to "Dyspnea". This module teaches it the graph's vocabulary with a
contrastive objective: each pair is (a synonym or a project lay-vocabulary phrase, the concept's preferred
name), and the other preferred names of a batch are the negatives. No batch holds two pairs of one concept,
so a concept is never its own negative.

Held out, as for the query adapter (retrieval/adapter.py): layperson synonyms whose sorted key falls in the
hpo_lay evaluation fold or the calibration fold are never training pairs; evaluation phrase sets are never
read. The result is a sentence-transformers folder that `KGQA_EMBEDDING_MODEL` (or settings.embedding_model)
points at; the linker then builds its dense index with it (its cache is keyed by the model).

On the project machine (2 CPU cores) one epoch over the full graph's ~47,000 pairs takes about 15 minutes.
Measured effect and its limits (it helps whole lay phrases, but the triage rules were tuned on the packaged
model's spans): docs/linking.md, "Fine-tuned embeddings".
"""
from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from retrieval.normalize import keys_of

INFO_FILE = "kgqa_finetune.json"
BATCH_SIZE = 64
LEARNING_RATE = 3e-5
EPOCHS = 1
SCALE = 20.0              # cosine -> logit (temperature 0.05), as usual for in-batch contrastive training
VOCABULARY_REPEATS = 2    # lay phrases (~8k) are few next to ~30k synonyms, and they are the lay signal
WARMUP_SHARE = 0.1
SEED = 0


class FineTuneError(RuntimeError):
    """The fine-tune cannot run (no pairs, an unwritable folder)."""


@dataclass(frozen=True)
class TrainingPair:
    query: str        # a synonym or lay phrase, lower-cased as the dense index stores it
    name: str         # the concept's preferred name, as the index stores it
    concept: int      # the concept's index in the linker's name table
    kind: str         # "synonym" | "vocabulary"


def training_pairs(linker, entities: Iterable) -> list[TrainingPair]:
    """(synonym or lay phrase, preferred name) for every concept in the linker's dense index, leaving out the
    held-out layperson synonyms (and lay phrases equal to one)."""
    from retrieval.linker import _dense_texts, held_out_keys
    dense = set(linker._row_entity)
    entities = [e for e in entities if linker.table.index_of.get(e.id) in dense]
    held_out = held_out_keys(entities)
    texts, concepts, keys, kinds = _dense_texts(linker.table, entities)
    name_of: dict[int, str] = {}
    for text, concept, kind in zip(texts, concepts, kinds):
        if kind == "name":
            name_of.setdefault(concept, text)
    pairs = [TrainingPair(text, name_of[concept], concept, "synonym")
             for text, concept, key, kind in zip(texts, concepts, keys, kinds)
             if kind != "name" and key not in held_out and concept in name_of and text != name_of[concept]]
    for entry in linker.table.entries:
        if entry.kind != "vocabulary" or entry.entity not in name_of:
            continue
        if keys_of(entry.text)[1] in held_out or entry.text.lower().strip() == name_of[entry.entity]:
            continue
        pairs.append(TrainingPair(entry.text.lower().strip(), name_of[entry.entity], entry.entity, "vocabulary"))
    return pairs


def batches_without_repeats(pairs: Sequence[TrainingPair], batch_size: int, seed: int = SEED
                            ) -> list[list[TrainingPair]]:
    """Shuffled full batches in which no concept occurs twice; pairs that cannot be placed are dropped."""
    if batch_size < 2:
        raise ValueError("batch_size must be at least 2 (the other pairs of a batch are the negatives)")
    order = list(pairs)
    random.Random(seed).shuffle(order)
    batches: list[list[TrainingPair]] = []
    current: list[TrainingPair] = []
    in_batch: set[int] = set()
    while order:
        postponed = []
        for pair in order:
            if pair.concept in in_batch:
                postponed.append(pair)
                continue
            current.append(pair)
            in_batch.add(pair.concept)
            if len(current) == batch_size:
                batches.append(current)
                current, in_batch = [], set()
        if len(postponed) == len(order):
            break   # only repeats of the open batch's concepts are left
        order = postponed
    return batches


def fine_tune(pairs: Sequence[TrainingPair], out_dir: str | Path, base_model: str | None = None,
              epochs: int = EPOCHS, batch_size: int = BATCH_SIZE, learning_rate: float = LEARNING_RATE,
              max_steps: int | None = None, seed: int = SEED, progress: bool = True) -> dict:
    """Train and save the model to `out_dir` (written to a temporary folder first, so an interrupted run
    leaves no half-written model behind). Returns what was done (also saved as kgqa_finetune.json)."""
    import torch
    from retrieval.embeddings import DEFAULT_MODEL, _load

    if not pairs:
        raise FineTuneError("no training pairs: the graph has no synonyms or lay phrases for dense linking")
    out_dir = Path(out_dir)
    tmp_dir = out_dir.with_name(f".{out_dir.name}.partial")
    base_model = base_model or DEFAULT_MODEL
    torch.manual_seed(seed)
    data = [p for p in pairs if p.kind != "vocabulary"] + [p for p in pairs if p.kind == "vocabulary"] * VOCABULARY_REPEATS
    plan = [b for epoch in range(epochs) for b in batches_without_repeats(data, batch_size, seed + epoch)]
    if max_steps is not None:
        plan = plan[:max_steps]
    if not plan:
        raise FineTuneError(f"{len(pairs)} pairs make no full batch of {batch_size}")
    model = _load(base_model, "cpu" if not torch.cuda.is_available() else "cuda")
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    warmup = max(1, int(len(plan) * WARMUP_SHARE))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (len(plan) - step) / len(plan)))

    def embed(texts: list[str]):
        features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
        features = {k: (v.to(model.device) if hasattr(v, "to") else v) for k, v in features.items()}
        return model(features)["sentence_embedding"]

    started = time.perf_counter()
    steps = plan
    if progress:
        from tqdm import tqdm
        steps = tqdm(plan, desc="fine-tuning embeddings", unit="batch")
    losses = []
    for batch in steps:
        queries = embed([p.query for p in batch])
        names = embed([p.name for p in batch])
        logits = queries @ names.T * SCALE
        labels = torch.arange(len(batch), device=logits.device)
        loss = (torch.nn.functional.cross_entropy(logits, labels)
                + torch.nn.functional.cross_entropy(logits.T, labels)) / 2
        loss.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        losses.append(float(loss.item()))
    model.eval()
    info = {"base_model": base_model, "pairs": len(pairs),
            "vocabulary_pairs": sum(p.kind == "vocabulary" for p in pairs), "steps": len(plan),
            "batch_size": batch_size, "epochs": epochs, "learning_rate": learning_rate, "seed": seed,
            "first_loss": round(losses[0], 4), "last_loss": round(sum(losses[-20:]) / len(losses[-20:]), 4),
            "seconds": round(time.perf_counter() - started, 1)}
    try:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir)
        model.save(str(tmp_dir))
        (tmp_dir / INFO_FILE).write_text(json.dumps(info, indent=1))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp_dir.replace(out_dir)
    except OSError as exc:
        raise FineTuneError(f"cannot write the model to {out_dir}: {exc}") from exc
    return info
