"""DDXPlus (CC-BY 4.0): 49 acute conditions and the 223 evidences (questions) that describe patients.

Entities:
- each condition: `DDXPLUS:<slug>` Disease, named in English, ICD-10 codes as xrefs, and its severity in
  the description ("DDXPlus severity 2 of 5; 1 is the most severe").
- each evidence: `DDXPLUS:E_<n>` Finding; its English question is the description. Its short name and,
  where one exists, its HPO phenotype (an xref, so the clique step merges the finding into the HPO
  concept) come from the hand-written data dictionary `data/ddxplus_hpo_map.tsv` (one row per evidence,
  the reason for each mapping written next to it; 111 of 223 map to HPO). An evidence missing from the
  table is named by its question.
Facts: condition has_phenotype finding, evidence {"role": "symptom"} for its symptoms and
{"role": "antecedent"} for its antecedents (risk factors, history: filter on the role to tell them apart). The release gives no per-evidence probability, so none is recorded.

`load_conditions(path)` and `load_evidences(path)` give the raw records to the triage engine.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from kg.importers.base import Importer, ImportFormatError, Record, checked, require_files, read_tsv
from kg.model import Entity, Fact, Provenance, SourceInfo

NAME = "ddxplus"
LICENSE = "CC BY 4.0"
VERSION = "English release (figshare 20043374)"
ATTRIBUTION = ("DDXPlus — Fansi Tchango A et al., 'DDXPlus: A New Dataset For Automatic Medical Diagnosis', "
               "NeurIPS 2022 Datasets and Benchmarks; https://github.com/mila-iqia/ddxplus")
URL = "https://figshare.com/articles/dataset/DDXPlus_Dataset_English_/22687585"
MAP_FILE = Path(__file__).resolve().parents[2] / "data" / "ddxplus_hpo_map.tsv"


@dataclass
class DDXCondition:
    id: str                    # DDXPLUS:<slug>
    name: str
    icd10: str                 # as given, upper-cased ("J17, J18")
    severity: int              # 1 (most severe) .. 5
    symptoms: list[str] = field(default_factory=list)      # evidence codes
    antecedents: list[str] = field(default_factory=list)

    @property
    def icd10_codes(self) -> list[str]:
        return [c.strip() for c in self.icd10.split(",") if c.strip()]


@dataclass
class DDXEvidence:
    code: str                  # "E_91"
    question: str              # English question text
    is_antecedent: bool
    data_type: str             # B (yes/no), C (categorical), M (multiple choice)
    default_value: object = None
    values: dict[str, str] = field(default_factory=dict)   # value code -> English meaning
    label: str = ""            # short name from data/ddxplus_hpo_map.tsv, or the question
    hpo_id: str | None = None  # mapped phenotype, if any

    @property
    def id(self) -> str:
        return f"DDXPLUS:{self.code}"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


def _load_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(path, exc.lineno, f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ImportFormatError(path, 1, "expected a JSON object keyed by name")
    return data


def load_conditions(path: Path) -> list[DDXCondition]:
    out = []
    for key, c in _load_json(Path(path)).items():
        try:
            name = c.get("cond-name-eng") or c["condition_name"]
            severity = int(c["severity"])
            out.append(DDXCondition(f"DDXPLUS:{_slug(name)}", name, str(c.get("icd10-id", "")).upper(), severity,
                                    list(c.get("symptoms", {})), list(c.get("antecedents", {}))))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ImportFormatError(path, None, f"condition {key!r}: missing or bad field ({exc})") from None
    return out


def load_hpo_map(path: Path = MAP_FILE) -> dict[str, tuple[str, str | None]]:
    """evidence code -> (label, HPO id or None) from the data dictionary."""
    out: dict[str, tuple[str, str | None]] = {}
    for lineno, row in read_tsv(path, ["evidence", "label", "hpo_id"]):
        hpo = row["hpo_id"].strip() or None
        if hpo is not None and not re.fullmatch(r"HP:\d{7}", hpo):
            raise ImportFormatError(path, lineno, f"hpo_id {hpo!r} is not an HP term")
        out[row["evidence"].strip()] = (row["label"].strip(), hpo)
    return out


def load_evidences(path: Path, map_path: Path = MAP_FILE) -> list[DDXEvidence]:
    mapping = load_hpo_map(map_path)
    out = []
    for key, e in _load_json(Path(path)).items():
        try:
            question = e["question_en"].strip()
            values = {k: v.get("en", "") for k, v in (e.get("value_meaning") or {}).items()}
            label, hpo = mapping.get(key, (question.rstrip("?").strip(), None))
            out.append(DDXEvidence(key, question, bool(e.get("is_antecedent")), e.get("data_type", "B"),
                                   e.get("default_value"), values, label, hpo))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ImportFormatError(path, None, f"evidence {key!r}: missing or bad field ({exc})") from None
    return out


def locate(sources_dir: Path | None) -> dict[str, Path]:
    folder = sources_dir / "ddxplus" if sources_dir is not None else None
    files = require_files(folder, ["release_conditions.json", "release_evidences.json"], NAME)
    return {"conditions": files["release_conditions.json"], "evidences": files["release_evidences.json"],
            "map": MAP_FILE}


def info(files: dict[str, Path]) -> SourceInfo:
    return SourceInfo(NAME, "DDXPlus conditions and evidences", VERSION, LICENSE, URL, ATTRIBUTION)


def records(files: dict[str, Path]) -> Iterator[Record]:
    evidences = {e.code: e for e in load_evidences(files["evidences"], files.get("map", MAP_FILE))}
    conditions = load_conditions(files["conditions"])
    for e in evidences.values():
        yield checked(files["evidences"], None, lambda: Entity(e.id, "Finding", e.label, [], [e.hpo_id] if e.hpo_id else [],
                                                               e.question, [NAME]))
    for c in conditions:
        desc = f"DDXPlus severity {c.severity} of 5 (1 is the most severe); ICD-10 {c.icd10}"
        xrefs = [f"ICD10CM:{code}" for code in c.icd10_codes]
        yield Entity(c.id, "Disease", c.name, [], xrefs, desc, [NAME])
        for role, codes in (("symptom", c.symptoms), ("antecedent", c.antecedents)):
            for code in codes:
                if code not in evidences:
                    raise ImportFormatError(files["conditions"], None,
                                            f"condition {c.name!r} names unknown evidence {code!r}")
                yield Fact(c.id, "has_phenotype", evidences[code].id,
                           [Provenance(NAME, VERSION, LICENSE, {"role": role})])


IMPORTER = Importer(name=NAME, title="DDXPlus", locate=locate, info=info, records=records)
