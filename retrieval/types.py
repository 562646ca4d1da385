"""Records exchanged between retrieval and the layers above it (qa, api, ui)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.model import Entity, Fact
from kg.store.base import Path


@dataclass
class Mention:
    start: int                 # character offsets into the original text
    end: int
    text: str
    score: float               # calibrated: roughly the probability that the link is right
    entity: Entity
    method: str = "dictionary"  # dictionary | fuzzy | dense
    negated: bool = False      # "no fever", "denies chest pain"
    uncertain: bool = False    # "maybe a rash", "possible pneumonia"
    candidates: list[tuple[Entity, float]] = field(default_factory=list)  # ranked alternatives (acc@5)

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "score": round(self.score, 4),
                "entity": self.entity.to_json(), "method": self.method,
                "negated": self.negated, "uncertain": self.uncertain}


def ranked_readings(mentions: list[Mention]) -> list[tuple[Entity, float]]:
    """The entities a text was linked to, best first, each once: the mentions by score, then their
    alternatives."""
    ordered = sorted(mentions, key=lambda m: -m.score)
    return each_entity_once([(m.entity, m.score) for m in ordered] + [c for m in ordered for c in m.candidates])


def each_entity_once(readings: list[tuple[Entity, float]]) -> list[tuple[Entity, float]]:
    """(entity, score) pairs in order, keeping an entity's first only."""
    out, seen = [], set()
    for e, score in readings:
        if e.id not in seen:
            seen.add(e.id)
            out.append((e, score))
    return out


@dataclass
class Intent:
    """What a question asks for."""
    kind: str                                  # facts | yes_no | path | definition | unknown
    predicates: list[str] = field(default_factory=list)
    answer_types: list[str] = field(default_factory=list)
    subject_types: list[str] = field(default_factory=list)  # types wanted for the linked (anchor) entity

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "predicates": self.predicates, "answer_types": self.answer_types,
                "subject_types": self.subject_types}


@dataclass
class ScoredFact:
    fact: Fact
    score: float
    subject: Entity | None = None
    object: Entity | None = None

    def to_json(self) -> dict[str, Any]:
        d = self.fact.to_json()
        d["score"] = round(self.score, 4)
        if self.subject is not None:
            d["subject_name"] = self.subject.name
        if self.object is not None:
            d["object_name"] = self.object.name
        return d


@dataclass
class RetrievalResult:
    question: str
    mentions: list[Mention]
    intent: Intent
    facts: list[ScoredFact]
    paths: list[Path] = field(default_factory=list)
    total_candidates: dict[str, int] = field(default_factory=dict)  # e.g. {"treats": 68}: for "the graph lists 68 ..."

    @property
    def entities(self) -> list[Entity]:
        seen, out = set(), []
        for m in self.mentions:
            if m.entity.id not in seen and not m.negated:
                seen.add(m.entity.id)
                out.append(m.entity)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "mentions": [m.to_json() for m in self.mentions],
                "intent": self.intent.to_json(), "facts": [f.to_json() for f in self.facts],
                "paths": [{"entities": p.entities, "facts": [f.id for f in p.facts]} for p in self.paths],
                "total_candidates": self.total_candidates}
