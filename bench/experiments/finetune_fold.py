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
import json
import sys
from pathlib import Path

from common import HELD_OUT, tuning_phrase_pairs
from kgqa.context import KGContext
from kgqa.settings import load_settings
from retrieval.finetune import TrainingPair, fine_tune, training_pairs

held, out = sys.argv[1], Path(sys.argv[2])
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
assert held != HELD_OUT, "the held-out set is never a fold"
ctx = KGContext(load_settings(urgency_model="off"))
pairs = training_pairs(ctx.linker, ctx.store.iter_entities())
name_of = {p.concept: p.name for p in pairs}
graph_pairs = len(pairs)
# the phrases count as lay vocabulary, which fine_tune shows twice per epoch
pairs += [TrainingPair(phrase, name_of[concept], concept, "vocabulary")
          for phrase, concept in tuning_phrase_pairs(ctx.linker, ctx.store, held) if concept in name_of]
print("pairs", graph_pairs, "->", len(pairs), file=sys.stderr)
print(json.dumps(fine_tune(pairs, out, epochs=epochs, progress=True)), file=sys.stderr)
