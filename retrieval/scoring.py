"""Calibrated link scores: a logistic model over a few features of a candidate link.

The weights live in retrieval/data/calibration.json, fitted by `python -m retrieval.calibrate` on
training data only (a training fold of HPO layperson synonyms held out of the dictionary while fitting,
project-written training phrases, and non-medical training sentences as negatives); without that file
hand-set defaults apply. The score reads as the probability that the link is right.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

CALIBRATION_FILE = Path(__file__).resolve().parent / "data" / "calibration.json"

FEATURES = [
    "bias", "m_exact", "m_unordered", "m_fuzzy", "m_dense", "m_acronym", "k_related", "k_lay",
    "single_word", "short_span", "log_ambiguity", "type_match", "type_mismatch", "fuzzy_edits",
    "dense_cos", "dense_margin", "n_words", "t_anatomy", "t_gene", "t_other", "coverage",
    "common_word", "common_nonclinical", "modifier", "m_rewrite", "rewrite_edits",
]

DEFAULT_WEIGHTS = {
    "bias": 0.0, "m_exact": 4.0, "m_unordered": 3.0, "m_fuzzy": 3.2, "m_dense": -12.0, "m_acronym": 3.0,
    "k_related": -1.5, "k_lay": 0.0, "single_word": -0.3, "short_span": -0.8, "log_ambiguity": -0.3,
    "type_match": 0.4, "type_mismatch": -1.2, "fuzzy_edits": -1.3, "dense_cos": 16.0, "dense_margin": 2.0,
    "n_words": 0.0, "t_anatomy": -1.6, "t_gene": -0.4, "t_other": -1.2, "coverage": 0.0,
    "common_word": -0.6, "common_nonclinical": -3.2, "modifier": -3.0,
    "m_rewrite": 3.2, "rewrite_edits": -0.5,
}
CLINICAL_TYPES = {"Disease", "Phenotype", "Symptom", "Finding"}

# Entity types whose bare mention usually is not what a lay question is about.
OTHER_TYPES = {"BiologicalProcess", "CellularComponent", "MolecularFunction", "Pathway", "SideEffect"}
# SideEffect entities (SIDER terms) repeat symptom names and carry no facts in this graph: weaker still.


@dataclass
class Calibration:
    weights: dict[str, float]
    threshold: float = 0.5          # default min_score: links below are dropped
    source: str = "defaults"

    def score(self, features: dict[str, float]) -> float:
        z = sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> "Calibration":
        if Path(path).exists():
            data = json.loads(Path(path).read_text())
            weights = dict(DEFAULT_WEIGHTS)
            weights.update(data.get("weights", {}))
            return cls(weights, float(data.get("threshold", 0.5)), str(data.get("source", path)))
        return cls(dict(DEFAULT_WEIGHTS))


def features_for(method: str, *, kind: str, n_words: int, span_chars: int, ambiguity: int,
                 entity_type: str, types, edits: int = 0, cos: float = 0.0, margin: float = 0.0,
                 coverage: float = 1.0, common_word: bool = False, modifier: bool = False) -> dict[str, float]:
    f = {"bias": 1.0}
    f["m_" + method] = 1.0
    if kind == "related":
        f["k_related"] = 1.0
    elif kind in ("layperson", "vocabulary"):
        f["k_lay"] = 1.0
    f["single_word"] = 1.0 if n_words <= 1 else 0.0
    f["short_span"] = 1.0 if span_chars <= 4 else 0.0
    f["log_ambiguity"] = math.log(max(1, ambiguity))
    if types:
        if entity_type in types:
            f["type_match"] = 1.0
        else:
            f["type_mismatch"] = 1.0
    if method == "fuzzy":
        f["fuzzy_edits"] = float(edits)
    if method == "rewrite":
        f["rewrite_edits"] = float(edits)
    if method == "dense":
        f["dense_cos"] = cos
        f["dense_margin"] = margin
    f["n_words"] = min(n_words, 5) / 5.0
    if not (types and entity_type in types):
        if entity_type == "Anatomy":
            f["t_anatomy"] = 1.0
        elif entity_type == "Gene":
            f["t_gene"] = 1.0
        elif entity_type in OTHER_TYPES:
            f["t_other"] = 1.0
    f["coverage"] = coverage
    if modifier:
        f["modifier"] = 1.0
    if common_word:
        # a bare everyday word ("rice", "battery", "learning") is rarely meant as a biomedical concept
        f["common_word"] = 1.0
        if entity_type not in CLINICAL_TYPES and not (types and entity_type in types):
            f["common_nonclinical"] = 1.0
    return f
