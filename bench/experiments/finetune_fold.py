"""Experiment (issue 3, session 13): does fine-tuning the whole encoder on lay pairs help a lay set it never saw?

    KGQA_HOME=<full-graph home> KGQA_SOURCES_DIR=../shared/data .venv/bin/python bench/experiments/finetune_fold.py \
        lay_seen11 /tmp/ft_noseen11 1
    KGQA_EMBEDDING_MODEL=/tmp/ft_noseen11 kgqa eval linking --sets lay_seen11,non_medical,hpo_lay,kg_rag

Trains `retrieval/finetune.py`'s model (1 epoch by default) on the graph's pairs (`kgqa tune-embeddings`) plus every
tuning lay phrase set except HELD (and never lay_test), each phrase paired with its concept's name. The model is then
the linker's model for everything (names and queries). Session 13 scored held-out lay_test once with the model
trained without lay_seen11 (`KGQA_EMBEDDING_MODEL=... kgqa eval linking --sets lay_test`, summary only).
Results and what they mean: docs/linking.md, session 13.
"""
import sys, json
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
held = sys.argv[1]; out = Path(sys.argv[2]); epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
assert held != "lay_test"
from kgqa.context import KGContext
from kgqa.settings import load_settings
from retrieval.evaluation import PHRASE_SETS, EVAL_DIR, read_phrase_set
from retrieval.finetune import TrainingPair, fine_tune, training_pairs
ctx = KGContext(load_settings(urgency_model="off"))
store, linker = ctx.store, ctx.linker
pairs = training_pairs(linker, store.iter_entities())
name_of = {p.concept: p.name for p in pairs}
n0 = len(pairs)
for s in PHRASE_SETS:
    if s in ("lay_test", held) or not s.startswith("lay_") or s == "lay_test": continue
    for phrase, acc, *_ in read_phrase_set(EVAL_DIR / PHRASE_SETS[s]):
        eid = store.resolve(acc[0])
        c = linker.table.index_of.get(eid) if eid else None
        if c in name_of:
            pairs.append(TrainingPair(phrase.lower().strip(), name_of[c], c, "vocabulary"))
print("pairs", n0, "->", len(pairs), file=sys.stderr)
print(json.dumps(fine_tune(pairs, out, epochs=epochs, progress=True)), file=sys.stderr)
