"""Experiment (issue 3, session 13): an asymmetric fine-tune, a query encoder trained against the fixed index.

    KGQA_HOME=<full-graph home> KGQA_SOURCES_DIR=../shared/data .venv/bin/python bench/experiments/query_tower_fold.py \
        lay_seen11 /tmp/qt_noseen11 1 [SCALE]

The names stay embedded by the packaged model (the dense index and the span search do not change); a copy of the
model that reads queries is trained with a softmax over ALL index rows (every row of the right concept counts as the
answer), on the graph's pairs plus the tuning lay phrase sets except HELD (never lay_test). Then only the whole-phrase
reading (`Linker.link_phrase`) uses it, and HELD and non_medical are evaluated. An existing OUT folder is reused
(no training): session 13 scored held-out lay_test that way, once, with the model trained without lay_seen11
(`query_tower_fold.py lay_test /tmp/qt_noseen11 1`, summary rows only). Results: docs/linking.md, session 13.
"""
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from common import tuning_phrase_pairs
from kgqa.context import KGContext
from kgqa.settings import load_settings
from retrieval.embeddings import DEFAULT_MODEL, _load
from retrieval.evaluation import run_linking_eval
from retrieval.finetune import TrainingPair, training_pairs

held, out, epochs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
scale = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
ctx = KGContext(load_settings(urgency_model="off"))
store, linker = ctx.store, ctx.linker
rows_ent = np.array(linker._row_entity)
V = torch.tensor(linker.dense.vectors_of(np.arange(len(linker.dense))), dtype=torch.float32)
print("rows", V.shape, file=sys.stderr)
if not out.exists():
    pairs = training_pairs(linker, store.iter_entities())
    data = [p for p in pairs if p.kind != "vocabulary"] + [p for p in pairs if p.kind == "vocabulary"] * 2
    indexed = set(rows_ent.tolist())
    extra = [TrainingPair(phrase, "", concept, "phrase")
             for phrase, concept in tuning_phrase_pairs(linker, store, held) if concept in indexed]
    data += extra * 2
    print("pairs", len(pairs), "phrase", len(extra), "data", len(data), file=sys.stderr)
    torch.manual_seed(0); random.Random(0).shuffle(data)
    model = _load(DEFAULT_MODEL, "cpu"); model.train()
    bs = 64; plan = [data[i:i + bs] for e in range(epochs) for i in range(0, len(data) - bs + 1, bs)]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-5)
    warm = max(1, len(plan) // 10)
    sch = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (len(plan) - s) / len(plan)))
    ent_t = torch.tensor(rows_ent)
    t0 = time.time()
    for step, batch in enumerate(plan):
        f = model.tokenize([p.query for p in batch])
        q = model(f)["sentence_embedding"]
        logits = q @ V.T * scale
        pos = ent_t[None, :] == torch.tensor([p.concept for p in batch])[:, None]
        loss = (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~pos, -1e9), 1)).mean()
        loss.backward(); opt.step(); sch.step(); opt.zero_grad()
        if step % 50 == 0:
            print(step, len(plan), round(loss.item(), 3), round(time.time() - t0), file=sys.stderr, flush=True)
    model.eval(); model.save(str(out))
from sentence_transformers import SentenceTransformer
tuned = SentenceTransformer(str(out), device="cpu")
class Tuned:
    def encode(self, texts, progress=False):
        return tuned.encode(list(texts), normalize_embeddings=True, show_progress_bar=False).astype(np.float32)
packaged, tq = linker.embedder, Tuned()
orig = linker.link_phrase
def link_phrase(phrase, types=None, top_k=5):
    linker.embedder = tq
    try: return orig(phrase, types=types, top_k=top_k)
    finally: linker.embedder = packaged
linker.link_phrase = link_phrase
rep = run_linking_eval(ctx, sets=[held, "non_medical"], progress=False)
for k, v in rep["sets"].items():
    print(held, scale, epochs, k, v.get("n"), v.get("acc@1"), v.get("acc@5"), {s: d["acc@1"] for s, d in v.get("by_style", {}).items()})
