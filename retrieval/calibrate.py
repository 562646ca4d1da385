"""Fit the link-score calibration (retrieval/data/calibration.json) on training data only.

    python -m retrieval.calibrate --store sqlite:///var/kg.sqlite

Training examples are candidate links produced by the linker itself, each labelled right or wrong:
- HPO layperson synonyms of split bucket 1 (see retrieval/evaluation.py; bucket 0 is the held-out test
  fold and is never touched here), linked with their own bucket-1 synonyms removed from the dictionary
  and dense index, so the fit sees the fuzzy and dense evidence a new phrase gets;
- the project's dev lay phrases (data/eval/lay_phrases_dev.tsv; the test file is held out);
- non-medical training sentences (retrieval/data/non_medical_train.txt): every candidate there is wrong.
A logistic regression over the features of retrieval/scoring.py gives the weights; the threshold is the
lowest score that keeps the training negatives' false links under 2% while keeping recall.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

from retrieval.evaluation import EVAL_DIR, hpo_lay_items, read_phrase_set, read_sentences
from retrieval.scoring import CALIBRATION_FILE, FEATURES

TRAIN_NEGATIVES = Path(__file__).resolve().parent / "data" / "non_medical_train.txt"


def collect(linker, store, max_hpo: int = 600, seed: int = 0):
    X, y, groups = [], [], []
    hpo = hpo_lay_items(store, bucket=1)
    random.Random(seed).shuffle(hpo)
    hpo = hpo[:max_hpo]
    view = linker.excluding([t for t, _ in hpo])
    if linker.embedder is not None:
        linker.embedder.encode([t.lower() for t, _ in hpo])
    for text, eid in hpo:
        # a synonym is a whole phrase: only candidates for the whole of it are examples
        for feats, cand_id, whole in view.training_candidates(text):
            if whole:
                X.append(feats); y.append(int(cand_id == eid)); groups.append("hpo")
    for phrase, accepted, _, _ in read_phrase_set(EVAL_DIR / "lay_phrases_dev.tsv"):
        gold = {store.resolve(c) for c in accepted} - {None}
        for feats, cand_id, whole in linker.training_candidates(phrase):
            X.append(feats); y.append(int(cand_id in gold)); groups.append("dev")
    for sentence in read_sentences(TRAIN_NEGATIVES):
        for feats, cand_id, whole in linker.training_candidates(sentence):
            X.append(feats); y.append(0); groups.append("negative")
    return X, y, groups


def fit(X, y, groups) -> dict:
    from sklearn.linear_model import LogisticRegression
    mat = np.array([[f.get(k, 0.0) for k in FEATURES] for f in X], dtype=np.float64)
    target = np.array(y)
    model = LogisticRegression(C=1.0, max_iter=2000, fit_intercept=False)
    model.fit(mat, target)
    weights = {k: round(float(w), 4) for k, w in zip(FEATURES, model.coef_[0])}
    probs = model.predict_proba(mat)[:, 1]
    neg = np.array([g == "negative" for g in groups])
    # threshold: smallest value where at most 2% of negative sentences' candidates pass
    threshold = 0.5
    for t in np.arange(0.3, 0.95, 0.01):
        if (probs[neg] >= t).mean() <= 0.02 if neg.any() else True:
            threshold = float(t)
            break
    pos = target == 1
    return {"weights": weights, "threshold": round(max(threshold, 0.5), 2),
            "training": {"candidates": int(len(target)), "positives": int(pos.sum()),
                         "recall_at_threshold": round(float((probs[pos] >= threshold).mean()), 4),
                         "negatives_passing": round(float((probs[neg] >= threshold).mean()), 4) if neg.any() else None,
                         "by_group": {g: int(sum(1 for x in groups if x == g)) for g in sorted(set(groups))}}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", help="store URL (default from settings)")
    parser.add_argument("--out", default=str(CALIBRATION_FILE))
    parser.add_argument("--max-hpo", type=int, default=600)
    args = parser.parse_args(argv)
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    ctx = KGContext(load_settings(store=args.store))
    X, y, groups = collect(ctx.linker, ctx.store, args.max_hpo)
    result = fit(X, y, groups)
    result["source"] = "fitted by retrieval/calibrate.py on training data (HPO lay bucket 1, dev phrases, negatives)"
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["training"], indent=1), file=sys.stderr)
    print(json.dumps(result["weights"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
