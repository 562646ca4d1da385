"""The offline default answer: sentences composed from ranked facts, each carrying the ids of the facts
that say it. Nothing is stated that no fact states; absence is reported as absence ("The graph holds no
fact that ...")."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from kg.model import PREDICATES, Entity, Fact
from kg.store.base import GraphStore, Path
from qa.citations import Citer
from retrieval.types import RetrievalResult, ScoredFact

# Plural nouns for the entities a list names.
NOUNS = {
    "Disease": "diseases", "Phenotype": "phenotypes", "Symptom": "symptoms", "Finding": "findings",
    "Compound": "drugs", "Gene": "genes", "Anatomy": "anatomical sites", "PharmacologicClass": "drug classes",
    "SideEffect": "side effects", "BiologicalProcess": "biological processes",
    "CellularComponent": "cellular components", "MolecularFunction": "molecular functions",
    "Pathway": "pathways",
}

# How a list is introduced: (predicate, direction) -> phrase; direction "out" when the anchor (the entity
# the question is about) is the facts' subject, "in" when it is their object.
LIST_PHRASES = {
    ("treats", "in"): "{noun} that treat {anchor}",
    ("treats", "out"): "{noun} that {anchor} treats",
    ("palliates", "in"): "{noun} that palliate {anchor}",
    ("palliates", "out"): "{noun} that {anchor} palliates",
    ("associated_with", "out"): "{noun} associated with {anchor}",
    ("associated_with", "in"): "{noun} associated with {anchor}",
    ("has_phenotype", "out"): "phenotypes of {anchor}",
    ("has_phenotype", "in"): "{noun} with the phenotype {anchor}",
    ("presents_symptom", "out"): "symptoms of {anchor}",
    ("presents_symptom", "in"): "{noun} that present {anchor}",
    ("binds", "out"): "{noun} that {anchor} binds (its targets)",
    ("binds", "in"): "{noun} that bind {anchor}",
    ("localizes_to", "out"): "{noun} where {anchor} localizes",
    ("localizes_to", "in"): "{noun} that localize to {anchor}",
    ("resembles", "out"): "{noun} that resemble {anchor}",
    ("resembles", "in"): "{noun} that resemble {anchor}",
    ("subclass_of", "out"): "broader classes that {anchor} is a kind of",
    ("subclass_of", "in"): "kinds of {anchor}",
    ("member_of_class", "out"): "{noun} that {anchor} belongs to",
    ("member_of_class", "in"): "{noun} in the class {anchor}",
}

# The usual (subject type, object type) of a predicate: orders the two entities of a yes/no question.
SIGNATURES = {
    "treats": ("Compound", "Disease"), "palliates": ("Compound", "Disease"),
    "associated_with": ("Disease", "Gene"), "has_phenotype": ("Disease", "Phenotype"),
    "presents_symptom": ("Disease", "Symptom"), "binds": ("Compound", "Gene"),
    "localizes_to": ("Disease", "Anatomy"), "member_of_class": ("Compound", "PharmacologicClass"),
}


YES_NO_START = re.compile(r"^\s*(?:is|are|does|do|can|could|was|were|has|have|will|should)\b", re.I)


@dataclass
class Sentence:
    text: str                       # with its [n] markers
    citations: list[str] = field(default_factory=list)  # fact ids, in marker order
    supported: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations), "supported": self.supported}


@dataclass
class Composition:
    sentences: list[Sentence]
    verdict: str | None = None      # "yes" | "no" for yes/no questions, else None

    @property
    def cited(self) -> list[str]:
        return list(dict.fromkeys(f for s in self.sentences for f in s.citations))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def join_items(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _strength(sf: ScoredFact) -> tuple:
    """Strongest evidence first: retrieval score, then how many sources and papers back the fact."""
    pmids = sum(len(p.evidence.get("pmids", []) or []) for p in sf.fact.provenance)
    return (-sf.score, -len(sf.fact.provenance), -pmids, sf.fact.id)


class EntityNames:
    """Entities by id, from the retrieval result first and the store for the rest."""

    def __init__(self, result: RetrievalResult, store: GraphStore | None):
        self.store = store
        self.by_id: dict[str, Entity] = {}
        for m in result.mentions:
            self.by_id.setdefault(m.entity.id, m.entity)
        for sf in result.facts:
            for e in (sf.subject, sf.object):
                if e is not None:
                    self.by_id.setdefault(e.id, e)

    def get(self, entity_id: str) -> Entity | None:
        if entity_id not in self.by_id and self.store is not None:
            e = self.store.get_entity(entity_id)
            if e is not None:
                self.by_id[entity_id] = e
        return self.by_id.get(entity_id)

    def name(self, entity_id: str) -> str:
        e = self.get(entity_id)
        return e.name if e is not None else entity_id

    def type(self, entity_id: str) -> str | None:
        e = self.get(entity_id)
        return e.type if e is not None else None


def render_fact(fact: Fact, names: EntityNames) -> str:
    """A fact in words: "metformin treats type 2 diabetes mellitus"."""
    return f"{names.name(fact.subject)} {PREDICATES.get(fact.predicate, fact.predicate)} {names.name(fact.object)}"


class ExtractiveComposer:
    def __init__(self, store: GraphStore | None = None, max_items: int = 10, max_groups: int = 3):
        self.store = store
        self.max_items = max_items
        self.max_groups = max_groups

    # ---- entry point ----------------------------------------------------------------------------
    def compose(self, result: RetrievalResult, citer: Citer, names: EntityNames | None = None) -> Composition:
        names = names or EntityNames(result, self.store)
        anchors = [e.id for e in result.entities]
        kind = result.intent.kind
        if kind in ("facts", "unknown", "definition") and YES_NO_START.match(result.question):
            kind = "yes_no"   # "is X a Y?", "does X treat Y?" even when intent parsing said otherwise
        if kind == "yes_no" and len(anchors) >= 2:
            return self._yes_no(result, anchors, citer, names)
        if kind == "path" and len(anchors) >= 2:
            comp = self._paths(result, anchors[0], anchors[1], citer, names)
            if comp.sentences:
                return comp
        return Composition(self._groups(result.facts, anchors, result, citer, names))

    # ---- lists ----------------------------------------------------------------------------------
    def _groups(self, facts: Sequence[ScoredFact], anchors: list[str], result: RetrievalResult,
                citer: Citer, names: EntityNames, skip: set[str] | None = None) -> list[Sentence]:
        groups: dict[tuple[str, str, str], list[ScoredFact]] = {}
        seen_other: dict[tuple[str, str, str], set[str]] = {}
        for sf in sorted(facts, key=_strength):
            f = sf.fact
            if skip and f.id in skip:
                continue
            anchor = next((a for a in anchors if a in (f.subject, f.object)), None)
            if anchor is None:
                # a fact of a narrower concept (retrieval falls back to subclasses: "diabetes" -> type 2
                # diabetes): the anchor is the end that is not what the question asks for
                answer_types = set(result.intent.answer_types)
                anchor = f.object if names.type(f.subject) in answer_types else f.subject
            direction = "out" if f.subject == anchor else "in"
            other = f.object if direction == "out" else f.subject
            key = (anchor, f.predicate, direction)
            others = seen_other.setdefault(key, set())
            other_name = names.name(other).lower()
            if other in others or other_name in others:   # the same entity twice: keep the stronger fact
                continue
            others.update((other, other_name))
            groups.setdefault(key, []).append(sf)
        ordered = sorted(groups.items(), key=lambda kv: _strength(kv[1][0]))
        return [self._group_sentence(key, members, result, citer, names)
                for key, members in ordered[: self.max_groups]]

    def _total(self, anchor: str, predicate: str, direction: str, members: list[ScoredFact],
               result: RetrievalResult, names: EntityNames) -> int:
        shown = len(members)
        total = 0
        if self.store is not None:
            types = sorted({t for sf in members
                            if (t := names.type(sf.fact.object if direction == "out" else sf.fact.subject))})
            try:
                total = self.store.count_facts(anchor, [predicate], direction, types or None)
            except Exception:  # counting is a nicety; the answer does not depend on it
                total = 0
        elif len(result.entities) == 1:
            total = result.total_candidates.get(predicate, 0)
        return max(total, shown)

    def _group_sentence(self, key: tuple[str, str, str], members: list[ScoredFact], result: RetrievalResult,
                        citer: Citer, names: EntityNames) -> Sentence:
        anchor, predicate, direction = key
        if len(members) == 1 and self._total(anchor, predicate, direction, members, result, names) == 1:
            f = members[0].fact
            return Sentence(f"{_cap(render_fact(f, names))} {citer.mark(f.id)}.", [f.id])
        shown = members[: self.max_items]
        total = self._total(anchor, predicate, direction, members, result, names)
        other_types = Counter(names.type(sf.fact.object if direction == "out" else sf.fact.subject)
                              for sf in shown)
        top_type = other_types.most_common(1)[0][0]
        noun = NOUNS.get(top_type or "", "entries") if len(other_types) == 1 else "entries"
        wording = PREDICATES.get(predicate, predicate)
        phrase = LIST_PHRASES.get((predicate, direction),
                                  "{noun} linked to {anchor} (" + wording + ")")
        phrase = phrase.format(noun=noun, anchor=names.name(anchor))
        items = []
        for sf in shown:
            other = sf.fact.object if direction == "out" else sf.fact.subject
            items.append(f"{names.name(other)} {citer.mark(sf.fact.id)}")
        ids = [sf.fact.id for sf in shown]
        if total > len(shown):
            text = f"The graph lists {total} {phrase}; the best supported are {join_items(items)}."
        else:
            text = f"The graph lists {total} {phrase}: {join_items(items)}."
        return Sentence(text, ids)

    # ---- yes / no -------------------------------------------------------------------------------
    def _connecting(self, a: str, b: str, predicates: Sequence[str], result: RetrievalResult) -> list[Fact]:
        found = [sf.fact for sf in sorted(result.facts, key=_strength)
                 if {sf.fact.subject, sf.fact.object} == {a, b}]
        if not found and self.store is not None:
            # the retriever ranks facts around each entity; the direct fact may sit below its limit
            found = [f for f in self.store.facts(a, None, "both", limit=None) if b in (f.subject, f.object)]
        if not found and self.store is not None and "subclass_of" in predicates:
            found = self._subclass_chain(a, b) or self._subclass_chain(b, a)
        if predicates:
            found.sort(key=lambda f: f.predicate not in predicates)
        return found

    def _subclass_chain(self, child: str, ancestor: str, max_depth: int = 10) -> list[Fact]:
        """The is-a chain from `child` up to `ancestor` ("is cystic fibrosis a respiratory system disease?"):
        a breadth-first walk up subclass_of facts (ontologies have few parents per term)."""
        via: dict[str, Fact | None] = {child: None}
        frontier = [child]
        for _ in range(max_depth):
            nxt = []
            for node in frontier:
                for f in self.store.facts(node, ["subclass_of"], "out", limit=50):
                    if f.object in via:
                        continue
                    via[f.object] = f
                    if f.object == ancestor:
                        chain, cur = [], ancestor
                        while via[cur] is not None:
                            chain.append(via[cur])
                            cur = via[cur].subject
                        return chain[::-1]
                    nxt.append(f.object)
            if not nxt or len(via) > 5000:
                break
            frontier = nxt
        return []

    def _yes_no(self, result: RetrievalResult, anchors: list[str], citer: Citer,
                names: EntityNames) -> Composition:
        predicates = list(result.intent.predicates)
        # the question's two entities: the first pair joined by a fact, else the first two linked
        pairs = [(anchors[i], anchors[j]) for i in range(len(anchors)) for j in range(i + 1, len(anchors))]
        a, b = anchors[0], anchors[1]
        facts: list[Fact] = []
        for x, y in pairs[:6]:
            facts = self._connecting(x, y, predicates, result)
            if facts:
                a, b = x, y
                break
        # the question's own relation (the first the intent lists): "does X treat Y" is not answered yes by
        # "X palliates Y"; that fact is reported as what the graph does record
        matching = [f for f in facts if not predicates or f.predicate == predicates[0]]
        sentences: list[Sentence] = []
        if len(matching) > 1 and all(f.predicate == "subclass_of" for f in matching) and \
                matching[0].object == matching[1].subject:   # an is-a chain
            steps = [f"{render_fact(f, names)} {citer.mark(f.id)}" for f in matching]
            return Composition([Sentence("Yes: " + "; ".join(steps) + ".", [f.id for f in matching])], "yes")
        if matching:
            f = matching[0]
            extra = matching[1:3]
            text = f"Yes: {render_fact(f, names)} {citer.mark(f.id)}"
            for g in extra:
                text += f"; {render_fact(g, names)} {citer.mark(g.id)}"
            sentences.append(Sentence(text + ".", [f.id] + [g.id for g in extra]))
            return Composition(sentences, verdict="yes")
        pred = predicates[0] if predicates else None
        subj, obj = self._order(a, b, pred, names)
        relation = PREDICATES.get(pred, pred) if pred else "is directly related to"
        sentences.append(Sentence(
            f"The graph holds no fact that {names.name(subj)} {relation} {names.name(obj)}.", []))
        if facts:  # linked, but by another relation
            others = [f for f in facts if f not in matching][:3]
            listed = join_items([f"{render_fact(f, names)} {citer.mark(f.id)}" for f in others])
            sentences.append(Sentence(f"It does record that {listed}.", [f.id for f in others]))
        elif pred:
            # what the graph does hold for the subject with this relation, as context
            context = [sf for sf in result.facts if sf.fact.predicate == pred and subj in (sf.fact.subject, sf.fact.object)]
            if not context and self.store is not None:
                context = [ScoredFact(f, 0.0) for f in self.store.facts(subj, [pred], "out", limit=self.max_items)]
            sentences.extend(self._groups(context, [subj], result, citer, names)[:1])
        return Composition(sentences, verdict="no")

    @staticmethod
    def _order(a: str, b: str, predicate: str | None, names: EntityNames) -> tuple[str, str]:
        sig = SIGNATURES.get(predicate or "")
        if sig and names.type(a) == sig[1] and names.type(b) == sig[0]:
            return b, a
        return a, b

    # ---- paths ----------------------------------------------------------------------------------
    def _paths(self, result: RetrievalResult, a: str, b: str, citer: Citer, names: EntityNames) -> Composition:
        direct = [sf.fact for sf in sorted(result.facts, key=_strength) if {sf.fact.subject, sf.fact.object} == {a, b}]
        sentences: list[Sentence] = []
        for f in direct[:3]:
            sentences.append(Sentence(f"{_cap(render_fact(f, names))} {citer.mark(f.id)}.", [f.id]))
        paths: list[Path] = [p for p in result.paths if p.facts and {p.entities[0], p.entities[-1]} == {a, b}]
        if not paths and self.store is not None:
            paths = [p for p in self.store.shortest_paths(a, b, max_hops=3, limit=5) if p.facts]
        shown = 0
        for p in sorted(paths, key=len):
            if len(p.facts) == 1 and p.facts[0].id in {f.id for f in direct}:
                continue
            if shown >= 3:
                break
            via = [names.name(e) for e in p.entities[1:-1]]
            steps = join_items([f"{render_fact(f, names)} {citer.mark(f.id)}" for f in p.facts])
            lead = (f"{_cap(names.name(p.entities[0]))} and {names.name(p.entities[-1])} are connected"
                    + (f" through {join_items(via)}" if via else ""))
            sentences.append(Sentence(f"{lead}: {steps}.", [f.id for f in p.facts]))
            shown += 1
        return Composition(sentences)
