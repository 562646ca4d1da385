"""Typed records of the graph: entities, facts and their provenance.

Every layer above `kg` exchanges these dataclasses; stores persist them and importers produce them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, asdict
from typing import Any

# Entity types. Kept small on purpose: linking priors and the predicate rules below refer to them.
ENTITY_TYPES = (
    "Disease",            # DOID, MONDO, OMIM, ORPHA, DDXPlus conditions
    "Phenotype",          # HPO terms (signs, symptoms, abnormalities)
    "Symptom",            # MeSH symptoms (Hetionet) and DO SYMP terms not merged with HPO
    "Finding",            # DDXPlus evidences that map to no phenotype concept
    "Compound",           # drugs (DrugBank)
    "Gene",               # NCBI Gene
    "Anatomy",            # UBERON
    "PharmacologicClass",
    "SideEffect",
    "BiologicalProcess",
    "CellularComponent",
    "MolecularFunction",
    "Pathway",
)

# The controlled predicate vocabulary: predicate -> human wording used when facts are rendered as text.
PREDICATES: dict[str, str] = {
    "treats": "treats",
    "palliates": "palliates",
    "associated_with": "is associated with",
    "has_phenotype": "has phenotype",
    "presents_symptom": "presents the symptom",
    "binds": "binds",
    "localizes_to": "localizes to",
    "resembles": "resembles",
    "subclass_of": "is a kind of",
    "member_of_class": "is a member of the class",
    "upregulates": "upregulates",
    "downregulates": "downregulates",
    "expresses": "expresses",
    "interacts_with": "interacts with",
    "participates_in": "participates in",
    "causes": "causes",
}

SYNONYM_KINDS = ("exact", "related", "layperson", "brand")

_FINDINGS = ("Phenotype", "Symptom", "Finding")
# Which entity types each predicate may connect (subject types, object types). Curation validates
# proposals against it; importers write facts in these canonical directions.
PREDICATE_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "treats": (("Compound",), ("Disease",) + _FINDINGS),
    "palliates": (("Compound",), ("Disease",) + _FINDINGS),
    "associated_with": (("Disease",) + _FINDINGS, ("Gene",)),
    # a finding merged with a disease concept (e.g. HPO "Hypertension" into DOID:10763) is typed Disease
    "has_phenotype": (("Disease",), ("Disease",) + _FINDINGS),
    "presents_symptom": (("Disease",), ("Disease",) + _FINDINGS),
    "binds": (("Compound",), ("Gene",)),
    "localizes_to": (("Disease",), ("Anatomy",)),
    "resembles": (("Disease", "Compound"), ("Disease", "Compound")),
    "subclass_of": (ENTITY_TYPES, ENTITY_TYPES),
    "member_of_class": (("Compound",), ("PharmacologicClass",)),
    "upregulates": (("Disease", "Compound", "Anatomy"), ("Gene",)),
    "downregulates": (("Disease", "Compound", "Anatomy"), ("Gene",)),
    "expresses": (("Anatomy",), ("Gene",)),
    "interacts_with": (("Gene",), ("Gene",)),
    "participates_in": (("Gene",), ("BiologicalProcess", "CellularComponent", "MolecularFunction", "Pathway")),
    "causes": (("Compound",), ("SideEffect",) + _FINDINGS),
}


def predicate_allowed(subject_type: str, predicate: str, object_type: str) -> bool:
    """Whether `predicate` may connect entities of these types (same-type rule for subclass_of/resembles)."""
    rule = PREDICATE_RULES.get(predicate)
    if rule is None:
        return False
    if predicate in ("subclass_of", "resembles") and subject_type != object_type:
        # a phenotype may be a kind of another finding type; otherwise the types must agree
        return subject_type in _FINDINGS and object_type in _FINDINGS
    return subject_type in rule[0] and object_type in rule[1]


class ModelError(ValueError):
    """A record breaks the data model (unknown predicate, empty id, ...)."""


@dataclass(frozen=True)
class Synonym:
    text: str
    kind: str = "exact"          # one of SYNONYM_KINDS
    source: str = ""             # the source that contributed it

    def __post_init__(self) -> None:
        if self.kind not in SYNONYM_KINDS:
            raise ModelError(f"synonym kind {self.kind!r} is not one of {SYNONYM_KINDS}")


@dataclass
class Entity:
    id: str                      # preferred CURIE, e.g. "DOID:10763"
    type: str                    # one of ENTITY_TYPES
    name: str
    synonyms: list[Synonym] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)   # other CURIEs of the same concept
    description: str = ""
    sources: list[str] = field(default_factory=list)  # names of the sources that contributed it

    def __post_init__(self) -> None:
        if not self.id or ":" not in self.id:
            raise ModelError(f"entity id {self.id!r} is not a CURIE (PREFIX:local)")
        if self.type not in ENTITY_TYPES:
            raise ModelError(f"entity {self.id}: type {self.type!r} is not one of {ENTITY_TYPES}")

    def all_names(self) -> list[str]:
        return [self.name] + [s.text for s in self.synonyms]

    def to_json(self) -> dict[str, Any]:
        """The command-line contract's entity: {"id", "name", "type", "xrefs"}."""
        return {"id": self.id, "name": self.name, "type": self.type, "xrefs": list(self.xrefs)}

    def to_full_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Entity":
        return cls(id=d["id"], type=d["type"], name=d["name"],
                   synonyms=[Synonym(s["text"], s.get("kind", "exact"), s.get("source", "")) for s in d.get("synonyms", [])],
                   xrefs=list(d.get("xrefs", [])), description=d.get("description", ""),
                   sources=list(d.get("sources", [])))


@dataclass
class Provenance:
    source: str                  # source name as in the data manifest ("hpo", "hetionet", "curation", ...)
    version: str = ""
    license: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    # evidence keys in use: "pmids" (list[str]), "frequency" (str as given), "frequency_value" (float 0..1),
    # "pvalue", "score", "affinity_nM", "onset", "evidence_code", "sources" (upstream databases), "note"
    curator: str | None = None   # curated facts only
    created_at: str | None = None  # ISO-8601, curated facts only
    change_id: str | None = None   # curated facts only: the curation change that added it

    def to_json(self) -> dict[str, Any]:
        d = {"source": self.source, "version": self.version, "license": self.license, "evidence": self.evidence}
        if self.curator:
            d.update(curator=self.curator, created_at=self.created_at, change_id=self.change_id)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Provenance":
        return cls(source=d["source"], version=d.get("version", ""), license=d.get("license", ""),
                   evidence=dict(d.get("evidence") or {}), curator=d.get("curator"),
                   created_at=d.get("created_at"), change_id=d.get("change_id"))


def fact_id(subject: str, predicate: str, obj: str) -> str:
    """Stable id of a triple: the same triple from two sources is one fact with two provenance records."""
    digest = hashlib.sha1(f"{subject}|{predicate}|{obj}".encode()).hexdigest()[:16]
    return f"F{digest}"


@dataclass
class Fact:
    subject: str
    predicate: str
    object: str
    provenance: list[Provenance] = field(default_factory=list)
    id: str = ""

    def __post_init__(self) -> None:
        if self.predicate not in PREDICATES:
            raise ModelError(f"predicate {self.predicate!r} is not in the controlled vocabulary")
        if not self.id:
            self.id = fact_id(self.subject, self.predicate, self.object)

    @property
    def sources(self) -> list[str]:
        return sorted({p.source for p in self.provenance})

    def to_json(self) -> dict[str, Any]:
        """The command-line contract's fact: {"id", "subject", "predicate", "object", "sources"}."""
        return {
            "id": self.id,
            "subject": self.subject,
            "predicate": self.predicate,
            "object": self.object,
            "sources": [p.to_json() for p in self.provenance],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Fact":
        return cls(subject=d["subject"], predicate=d["predicate"], object=d["object"],
                   provenance=[Provenance.from_dict(p) for p in d.get("sources", d.get("provenance", []))],
                   id=d.get("id", ""))


@dataclass
class SourceInfo:
    """One source as recorded in a built graph (and in the data manifest)."""
    name: str
    title: str = ""
    version: str = ""
    license: str = ""
    url: str = ""
    attribution: str = ""


# one encoder for every call: the bulk load encodes one evidence dict per provenance record
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def dumps(obj: Any) -> str:
    return _ENCODER.encode(obj)
