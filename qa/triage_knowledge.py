"""The condition–finding table triage reasons over, read once from the graph and kept in memory.

Every Disease entity with has_phenotype / presents_symptom facts to a Phenotype, Symptom or Finding
becomes a condition; each fact becomes an annotation (the fact id, its source, and how often the finding
occurs in the condition: `frequency_value` from the fact's evidence, or a default per source when the
source gives none). subclass_of facts between findings give the phenotype hierarchy, so that a
condition annotated with "retrosternal chest pain" also has "chest pain" (the true-path rule).

Conditions fall into three prior tiers for a pre-diagnosis setting (see docs/triage.md):
- acute: DDXPlus' 49 conditions, the common acute complaints a symptom checker exists for;
- common: diseases that Hetionet or the Disease Ontology's disease–symptom table describe (a few hundred
  common complex diseases);
- rare: every other condition (mostly the ~8,000 rare Mendelian diseases annotated by HPO from OMIM/Orphanet).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from tqdm import tqdm

from kg.model import Entity, Fact

FINDING_TYPES = ("Phenotype", "Symptom", "Finding")
CONDITION_PREDICATES = ("has_phenotype", "presents_symptom")

# Relative prior weight of ONE condition in each tier. Chosen for a person who describes acute complaints
# to a symptom checker: all 49 DDXPlus conditions together carry ~80% of the prior mass, the few hundred
# common diseases ~15%, and the thousands of rare diseases ~5% (each rare disease ~1/5000 of an acute one).
TIER_PRIOR = {"acute": 1.0, "common": 0.06, "rare": 0.0002}
# Probability that a condition shows a finding its profile does not list ("leak"): DDXPlus profiles are
# meant to be complete for the questions it asks; literature-derived profiles miss more.
TIER_LEAK = {"acute": 0.02, "common": 0.04, "rare": 0.04}
# Frequency assumed when a fact gives none, per source (HPO gives frequencies for about a third).
DEFAULT_FREQUENCY = {"ddxplus": 0.55, "hpo": 0.45, "hetionet": 0.35, "disease_ontology": 0.5}
FALLBACK_FREQUENCY = 0.4
# HPO subtrees that are not things a patient reports: inheritance, clinical course, modifiers, frequency.
NON_FINDING_ROOTS = ("HP:0000005", "HP:0031797", "HP:0012823", "HP:0040279", "HP:0032443")

_QUESTION_START = re.compile(r"^(do|does|did|have|has|are|is|were|was|can|could|in the|how)\b", re.I)


@dataclass(frozen=True)
class Annotation:
    """One condition–finding fact as triage sees it."""
    term: str            # the finding's entity id
    frequency: float     # P(finding | condition)
    fact_id: str
    source: str
    explicit: bool       # True when the source gave the frequency


@dataclass
class ConditionInfo:
    entity: Entity
    tier: str
    prior: float
    severity: int | None = None   # DDXPlus severity, 1 (most severe) .. 5
    leak: float = 0.04


@dataclass
class ConditionKnowledge:
    conditions: dict[str, ConditionInfo] = field(default_factory=dict)
    profiles: dict[str, dict[str, Annotation]] = field(default_factory=dict)   # condition -> term -> annotation
    by_term: dict[str, list[str]] = field(default_factory=dict)                # term -> conditions
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)
    findings: dict[str, Entity] = field(default_factory=dict)                  # finding entities in use
    questions: dict[str, str] = field(default_factory=dict)                    # term -> patient question
    version: str = ""

    def __post_init__(self) -> None:
        self._closed: dict[str, dict[str, Annotation]] = {}
        self._desc: dict[str, frozenset[str]] = {}
        self._anc: dict[str, dict[str, int]] = {}
        self._background: dict[str, float] = {}
        self._finalize()

    # ---- construction -----------------------------------------------------------------------------
    @classmethod
    def from_records(cls, diseases: Iterable[Entity], findings: Iterable[Entity], facts: Iterable[Fact],
                     severities: dict[str, int] | None = None, version: str = "") -> "ConditionKnowledge":
        """Build from entities and facts (the facts may include anything; the relevant ones are kept)."""
        disease_by_id = {e.id: e for e in diseases}
        finding_by_id = {e.id: e for e in findings}
        severities = dict(severities or {})
        profiles: dict[str, dict[str, Annotation]] = {}
        parents: dict[str, set[str]] = {}
        questions: dict[str, str] = {}
        do_symptom_diseases: set[str] = set()
        for fact in facts:
            if fact.predicate in CONDITION_PREDICATES and fact.subject in disease_by_id \
                    and fact.object in finding_by_id:
                ann = _annotation(fact)
                prof = profiles.setdefault(fact.subject, {})
                old = prof.get(ann.term)
                if old is None or (ann.explicit, ann.frequency) > (old.explicit, old.frequency):
                    prof[ann.term] = ann
                for p in fact.provenance:
                    ev = p.evidence or {}
                    q = ev.get("question") or ev.get("question_en")
                    if isinstance(q, str) and q.strip():
                        questions.setdefault(fact.object, q.strip())
                    sev = ev.get("severity")
                    if sev is not None and fact.subject not in severities:
                        try:
                            severities[fact.subject] = int(sev)
                        except (TypeError, ValueError):
                            pass
                    if p.source in ("disease_ontology", "doid", "do"):
                        do_symptom_diseases.add(fact.subject)
            elif fact.predicate == "subclass_of" and fact.subject in finding_by_id and fact.object in finding_by_id:
                parents.setdefault(fact.subject, set()).add(fact.object)
        kb = cls(version=version)
        for cid, prof in profiles.items():
            entity = disease_by_id[cid]
            tier = _tier(entity, cid in do_symptom_diseases)
            severity = severities.get(cid) or _severity_from_entity(entity)
            kb.conditions[cid] = ConditionInfo(entity, tier, TIER_PRIOR[tier], severity, TIER_LEAK[tier])
            kb.profiles[cid] = prof
        for term, ps in parents.items():
            kb.parents[term] = tuple(sorted(ps))
        used = set(kb.parents) | {p for ps in kb.parents.values() for p in ps}
        used |= {t for prof in kb.profiles.values() for t in prof}
        kb.findings = {t: finding_by_id[t] for t in used if t in finding_by_id}
        for term, entity in kb.findings.items():
            if term not in questions and entity.description and _looks_like_question(entity.description):
                questions[term] = entity.description.strip()
        kb.questions = questions
        kb._finalize()
        return kb

    @classmethod
    def from_store(cls, store, progress: bool = False) -> "ConditionKnowledge":
        """Read the table from a GraphStore: Disease and finding entities, then the relevant facts."""
        diseases = list(store.iter_entities(types=["Disease"]))
        findings = list(store.iter_entities(types=list(FINDING_TYPES)))
        facts = _relevant_facts(store, diseases, findings, progress)
        try:
            version = store.version()
        except Exception:  # a store without metadata still triages
            version = ""
        return cls.from_records(diseases, findings, facts, version=version)

    def _finalize(self) -> None:
        by_term: dict[str, list[str]] = {}
        for cid, prof in self.profiles.items():
            for term in prof:
                by_term.setdefault(term, []).append(cid)
        self.by_term = by_term
        children: dict[str, list[str]] = {}
        for term, ps in self.parents.items():
            for p in ps:
                children.setdefault(p, []).append(term)
        self.children = {k: tuple(v) for k, v in children.items()}
        self._closed, self._desc, self._anc, self._background = {}, {}, {}, {}
        self.total_prior = sum(c.prior for c in self.conditions.values()) or 1.0
        # the part of every finding's background probability that comes from leaks
        self._leak_mass = sum(c.prior * c.leak for c in self.conditions.values()) / self.total_prior
        self.tier_prior = {t: sum(c.prior for c in self.conditions.values() if c.tier == t) for t in TIER_PRIOR}
        self.tier_count = {t: sum(1 for c in self.conditions.values() if c.tier == t) for t in TIER_PRIOR}

    # ---- hierarchy --------------------------------------------------------------------------------
    def descendants(self, term: str) -> frozenset[str]:
        """The term and every term below it."""
        got = self._desc.get(term)
        if got is None:
            seen, stack = {term}, [term]
            while stack:
                for child in self.children.get(stack.pop(), ()):
                    if child not in seen:
                        seen.add(child)
                        stack.append(child)
            got = self._desc[term] = frozenset(seen)
        return got

    def ancestors(self, term: str) -> dict[str, int]:
        """Every term above `term` with its distance (the term itself at 0)."""
        got = self._anc.get(term)
        if got is None:
            got, frontier, depth = {term: 0}, [term], 0
            while frontier:
                depth += 1
                nxt = []
                for t in frontier:
                    for p in self.parents.get(t, ()):
                        if p not in got:
                            got[p] = depth
                            nxt.append(p)
                frontier = nxt
            self._anc[term] = got
        return got

    def is_reportable(self, term: str) -> bool:
        """Whether a patient could report this finding (not an inheritance mode, course or modifier)."""
        return not any(r in self.ancestors(term) for r in NON_FINDING_ROOTS)

    # ---- condition side ----------------------------------------------------------------------------
    def closed(self, term: str) -> dict[str, Annotation]:
        """Conditions that have `term` or a term below it, each with its most frequent such annotation."""
        got = self._closed.get(term)
        if got is None:
            got = {}
            for t in self.descendants(term):
                for cid in self.by_term.get(t, ()):
                    ann = self.profiles[cid][t]
                    old = got.get(cid)
                    if old is None or ann.frequency > old.frequency:
                        got[cid] = ann
            self._closed[term] = got
        return got

    def background(self, term: str) -> float:
        """P(finding) under the prior: sum over conditions of prior x P(finding | condition)."""
        got = self._background.get(term)
        if got is None:
            mass = sum(self.conditions[cid].prior * (ann.frequency - self.conditions[cid].leak)
                       for cid, ann in self.closed(term).items())
            got = min(0.95, max(1e-4, self._leak_mass + mass / self.total_prior))
            self._background[term] = got
        return got

    def information_content(self, term: str) -> float:
        """-log P(finding): rarer findings carry more information."""
        return -math.log(self.background(term))

    def name(self, term: str) -> str:
        e = self.findings.get(term)
        return e.name if e else term


def _annotation(fact: Fact) -> Annotation:
    best: tuple[bool, float, str] | None = None
    for p in fact.provenance:
        ev = p.evidence or {}
        value = ev.get("frequency_value")
        if isinstance(value, (int, float)) and 0 < value <= 1:
            cand = (True, float(value), p.source)
        else:
            cand = (False, DEFAULT_FREQUENCY.get(p.source, FALLBACK_FREQUENCY), p.source)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if best is None:
        best = (False, FALLBACK_FREQUENCY, "")
    # keep frequencies away from 0 and 1: a "100%" in a small case series is not a certainty
    freq = min(0.95, max(0.03, best[1]))
    return Annotation(fact.object, freq, fact.id, best[2], best[0])


def _tier(entity: Entity, in_do_symptom_table: bool) -> str:
    sources = {s.lower() for s in entity.sources}
    if any("ddx" in s for s in sources) or entity.id.upper().startswith("DDX"):
        return "acute"
    if "hetionet" in sources or in_do_symptom_table:
        return "common"
    return "rare"


_SEVERITY_RE = re.compile(r"\bseverity\D{0,5}([1-5])\b", re.I)


def _severity_from_entity(entity: Entity) -> int | None:
    m = _SEVERITY_RE.search(entity.description or "")
    return int(m.group(1)) if m else None


def _looks_like_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") and bool(_QUESTION_START.match(text)) and len(text) < 250


def _relevant_facts(store, diseases: list[Entity], findings: list[Entity], progress: bool) -> Iterator[Fact]:
    """The condition–finding and finding–finding facts, by entity (uses the store's indexes)."""
    finding_ids = {e.id for e in findings}
    bar = tqdm(total=len(diseases) + len(findings), desc="triage table", unit="entity",
               disable=not progress, file=None)
    for e in diseases:
        for f in store.facts(e.id, predicates=list(CONDITION_PREDICATES), direction="out", limit=None):
            yield f
        bar.update()
    for e in findings:
        for f in store.facts(e.id, predicates=["subclass_of"], direction="out", limit=None):
            if f.object in finding_ids:
                yield f
        bar.update()
    bar.close()
