"""From a question to the graph facts that answer it, ranked, with paths between two linked entities.

    retriever = FactRetriever(store, linker)
    result = retriever.retrieve("what drugs treat type 2 diabetes?")   # RetrievalResult

Steps: parse the intent (predicates, answer types, anchor types), link mentions with the anchor types as
priors, take the facts of each anchor whose predicate matches and whose other end has an answer type
(falling back to the anchor's subclasses when the anchor itself has none: "diabetes" -> type 1 and
type 2 diabetes), rank them (predicate match, evidence strength, number of sources, link score), count
all candidates per predicate ("the graph lists 68 drugs"), and search paths between two anchors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from kg.model import Entity, Fact
from kg.store.base import GraphStore, Path
from retrieval.intent import parse_intent
from retrieval.types import Intent, Mention, RetrievalResult, ScoredFact

# How much a relation says, for ranking paths ("how is X related to Y"): hierarchy edges say least.
PREDICATE_INFORMATIVENESS = {
    "treats": 1.0, "palliates": 0.9, "associated_with": 0.8, "binds": 0.8, "has_phenotype": 0.75,
    "presents_symptom": 0.75, "causes": 0.8, "upregulates": 0.6, "downregulates": 0.6, "resembles": 0.6,
    "localizes_to": 0.5, "member_of_class": 0.5, "interacts_with": 0.5, "expresses": 0.3,
    "participates_in": 0.4, "subclass_of": 0.3,
}
SOURCE_PRIOR = {"curation": 0.15, "hetionet": 0.1, "hpo": 0.1, "disease_ontology": 0.05}
FETCH_PER_ANCHOR = 400      # facts read per anchor and predicate group before ranking
MAX_ANCHORS = 3
MAX_SUBCLASSES = 25
# Facts whose other end is an onset, inheritance, frequency or severity term rank below the findings
MODIFIER_DEMOTION = 0.5


@dataclass
class _Anchor:
    entity: Entity
    score: float


class FactRetriever:
    def __init__(self, store: GraphStore, linker):
        self.store = store
        self.linker = linker

    # ------------------------------------------------------------------------------------------------
    def retrieve(self, question: str, limit: int = 20) -> RetrievalResult:
        if not question or not question.strip():
            raise ValueError("the question is empty")
        intent = parse_intent(question)
        mentions = self.linker.link(question, types=intent.subject_types or None)
        anchors = _anchors(mentions)
        facts: list[ScoredFact] = []
        paths: list[Path] = []
        totals: dict[str, int] = {}
        if len(anchors) >= 2 and intent.kind in ("path", "yes_no", "unknown", "definition", "facts"):
            paths = self.paths_between(anchors[0].entity.id, anchors[1].entity.id)
        if intent.kind == "path" and paths:
            facts = self._facts_of_paths(paths, limit)
        else:
            facts, totals = self._facts(anchors, intent, limit)
            if paths and intent.kind in ("yes_no", "facts"):
                # facts that directly join two anchors answer "does X treat Y" best: put them first
                direct = {f.id for p in paths if len(p) == 1 for f in p.facts}
                joined = [sf for sf in facts if sf.fact.id in direct]
                missing = [f for p in paths if len(p) == 1 for f in p.facts if f.id not in {sf.fact.id for sf in joined}]
                extra = [ScoredFact(f, 1.0) for f in missing]
                facts = sorted(joined + extra, key=lambda s: -s.score) + [sf for sf in facts if sf.fact.id not in direct]
                facts = facts[:limit]
        self._fill_entities(facts)
        return RetrievalResult(question=question, mentions=mentions, intent=intent, facts=facts, paths=paths,
                               total_candidates=totals)

    def facts_for(self, entity_ids: Sequence[str], intent: Intent | None = None, limit: int = 20) -> list[ScoredFact]:
        """Ranked facts of given entities for an intent (no linking): the API and the app use it."""
        intent = intent or Intent("unknown")
        anchors = [_Anchor(e, 1.0) for e in (self.store.get_entity(i) for i in entity_ids) if e is not None]
        facts, _ = self._facts(anchors, intent, limit)
        self._fill_entities(facts)
        return facts

    def paths_between(self, source: str, target: str, max_hops: int = 3, limit: int = 10) -> list[Path]:
        """Shortest paths, most informative relations first."""
        try:
            paths = self.store.shortest_paths(source, target, max_hops=max_hops, limit=limit * 3)
        except Exception:  # a store without path search still answers facts
            return []
        return sorted(paths, key=_path_rank)[:limit]

    # ------------------------------------------------------------------------------------------------
    def _facts(self, anchors: list[_Anchor], intent: Intent, limit: int) -> tuple[list[ScoredFact], dict[str, int]]:
        scored: dict[str, ScoredFact] = {}
        totals: dict[str, int] = {}
        for anchor in anchors[:MAX_ANCHORS]:
            predicates, other_types = _orient(anchor.entity.type, intent)
            found = self._anchor_facts(anchor, predicates, other_types, intent, totals)
            if not found and predicates:
                # a general concept ("diabetes mellitus") often holds its facts on its subclasses
                for child in self._subclasses(anchor.entity.id):
                    found.extend(self._anchor_facts(_Anchor(child, anchor.score * 0.9), predicates, other_types,
                                                    intent, totals))
            for sf in found:
                cur = scored.get(sf.fact.id)
                if cur is None or sf.score > cur.score:
                    scored[sf.fact.id] = sf
        ranked = sorted(scored.values(), key=lambda s: (-s.score, s.fact.id))
        return ranked[:limit], totals

    def _anchor_facts(self, anchor: _Anchor, predicates, other_types, intent: Intent,
                      totals: dict[str, int]) -> list[ScoredFact]:
        eid = anchor.entity.id
        facts = self.store.facts(eid, predicates or None, "both", other_types or None, limit=FETCH_PER_ANCHOR)
        if predicates:
            for p in predicates:
                n = self.store.count_facts(eid, [p], "both", other_types or None)
                if n:
                    totals[p] = totals.get(p, 0) + n
        out = []
        for f in facts:
            score = _fact_score(f, anchor.score, intent)
            if self.linker.is_modifier(f.object if f.subject == eid else f.subject):
                # "Infantile onset", "Autosomal recessive inheritance": how a disease shows, not a sign of it
                score = round(score * MODIFIER_DEMOTION, 6)
            out.append(ScoredFact(f, score))
        return out

    def _subclasses(self, entity_id: str) -> list[Entity]:
        facts = self.store.facts(entity_id, ["subclass_of"], "in", None, limit=MAX_SUBCLASSES)
        ids = [f.subject for f in facts if f.object == entity_id]
        ents = self.store.get_entities(ids)
        return [ents[i] for i in ids if i in ents]

    def _facts_of_paths(self, paths: list[Path], limit: int) -> list[ScoredFact]:
        out: dict[str, ScoredFact] = {}
        for rank, p in enumerate(paths):
            for f in p.facts:
                s = _path_score(p) * (0.97 ** rank)
                if f.id not in out or out[f.id].score < s:
                    out[f.id] = ScoredFact(f, s)
        return sorted(out.values(), key=lambda s: -s.score)[:limit]

    def _fill_entities(self, facts: list[ScoredFact]) -> None:
        ids = {i for sf in facts for i in (sf.fact.subject, sf.fact.object)}
        ents = self.store.get_entities(sorted(ids)) if ids else {}
        for sf in facts:
            sf.subject = ents.get(sf.fact.subject)
            sf.object = ents.get(sf.fact.object)


def _anchors(mentions: list[Mention]) -> list[_Anchor]:
    seen, out = set(), []
    for m in sorted(mentions, key=lambda m: -m.score):
        if m.negated or m.entity.id in seen:
            continue
        seen.add(m.entity.id)
        out.append(_Anchor(m.entity, m.score))
    # keep question order among equally good anchors: the first mentioned is the subject
    order = {m.entity.id: m.start for m in mentions}
    return sorted(out, key=lambda a: order.get(a.entity.id, 0))


def _orient(anchor_type: str, intent: Intent) -> tuple[list[str], list[str]]:
    """Predicates and the types wanted at the other end, flipped when the anchor is of an answer type
    ("what drugs target EGFR": binds, anchor Gene -> the other end is a Compound)."""
    predicates = list(intent.predicates)
    other = list(intent.answer_types)
    if intent.subject_types and anchor_type not in intent.subject_types and anchor_type in intent.answer_types:
        other = list(intent.subject_types)
    if other and anchor_type in other and intent.subject_types and anchor_type not in intent.subject_types \
            and "resembles" not in predicates:
        other = [t for t in other if t != anchor_type] or other
    return predicates, other


def _fact_score(f: Fact, link_score: float, intent: Intent) -> float:
    """Relevance in [0, 1): predicate match, evidence strength, number of sources, the link's score."""
    s = 0.4 if (not intent.predicates or f.predicate in intent.predicates) else 0.1
    if intent.predicates and f.predicate == intent.predicates[0]:
        s += 0.1
    evidence = 0.0
    for p in f.provenance:
        ev = p.evidence or {}
        freq = ev.get("frequency_value")
        if isinstance(freq, (int, float)):
            evidence = max(evidence, 0.25 * float(freq))
        pmids = ev.get("pmids") or []
        if pmids:
            evidence = max(evidence, min(0.2, 0.05 * math.log2(1 + len(pmids))))
        n_res = ev.get("n_resources") or ev.get("n_curators")
        if isinstance(n_res, (int, float)):
            evidence = max(evidence, min(0.2, 0.07 * float(n_res)))
        if ev.get("pharmacotherapydb_category") == "DM":
            evidence = max(evidence, 0.2)
    s += evidence
    s += max(SOURCE_PRIOR.get(p.source, 0.0) for p in f.provenance) if f.provenance else 0.0
    s += 0.05 * min(3, len({p.source for p in f.provenance}))
    return round(s * (0.5 + 0.5 * link_score), 6)


def _path_score(p: Path) -> float:
    if not p.facts:
        return 0.0
    info = sum(PREDICATE_INFORMATIVENESS.get(f.predicate, 0.4) for f in p.facts) / len(p.facts)
    return info / len(p.facts)


def _path_rank(p: Path) -> tuple:
    return (len(p.facts), -_path_score(p), [f.id for f in p.facts])
