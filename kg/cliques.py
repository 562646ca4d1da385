"""Equivalence cliques: sources name one concept with different identifiers; merge them into one entity.

Rules (docs/graph.md explains them with examples):

1. Records with the same id (Hetionet's DOID:5844 and DO's DOID:5844) are one entity from the start.
2. Two entities are linked through a shared *key*: an entity's own id, or one of its xrefs, in a
   namespace specific enough to name one concept (UMLS, OMIM, ORPHA, DECIPHER, DOID, HP, MONDO, MESH,
   SYMP, DRUGBANK, NCBIGene, DDXPLUS). ICD-10/ICD-9, SNOMED, NCIT, EFO, CAS, UNII, InChIKey and the like
   never link: they group many concepts under one code or were too noisy in these sources.
   Symptom lists without xrefs (Hetionet's MeSH symptoms, DO's SYMP terms) and HPO phenotypes also claim
   NAME keys: their name and exact and layperson synonyms, normalised (case, punctuation, word order,
   a plural "s"). Rule 3 makes a name shared by two HP terms link nothing.
3. A key claimed by two entities of the same namespace (two DOID terms both listing MESH:D006973) is
   ambiguous for that namespace and is ignored for those claims (the key's own entity always keeps it).
4. For OMIM, ORPHA, MESH and DECIPHER the claiming entity must list exactly one xref of that namespace:
   a DO term listing five OMIM entries is a grouping, not a synonym of any one of them.
5. Never merge two entities of the same namespace (two DOID terms, two HP terms): a union that would put
   two ids of one namespace in a clique is refused (first come, first served, in a fixed order).
6. Types: same type always; Phenotype, Symptom and Finding with each other; a Disease with a
   Phenotype/Symptom/Finding only through a UMLS, HP, DOID or NAME key (an explicit cross-ontology
   mapping, or a symptom named exactly like a phenotype); a SideEffect (SIDER/UMLS) with those clinical
   types only through its own UMLS id; every other type only with its own type (Compound with Compound,
   Gene with Gene ...). Cross-type merges (Disease with a finding type, SideEffect with anything) also
   need a name or exact/layperson synonym on each side sharing at least 60% of their words (Jaccard):
   HPO's "Osteolytic defects of the phalanges of the hand" lists Hajdu-Cheney syndrome's UMLS CUI, but
   the feature is not the syndrome.
7. The merged entity's type: Disease if any member is a Disease (DO's and HPO's "hypertension" become
   one Disease carrying both sets of facts), else the first of Phenotype, Symptom, Finding, SideEffect.
8. Preferred id by a fixed namespace priority for that type (PREFERRED_PREFIXES); the other ids become
   xrefs. Name, description from the preferred member (description falls back to the next member);
   other members' names become exact synonyms; synonyms, xrefs and sources are unioned.
9. Facts get their endpoints rewritten to preferred ids; the same triple from several records becomes one
   fact whose provenance has one record per source (evidence merged: lists unioned, first scalar kept).
   Self-loops created by merging (X subclass_of X) and facts whose endpoint is no entity are dropped
   and counted.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from kg.model import Entity, Fact, Provenance, Synonym, dumps, predicate_allowed

LINK_NAMESPACES = {"UMLS", "OMIM", "ORPHA", "DECIPHER", "DOID", "HP", "MONDO", "MESH", "SYMP", "DRUGBANK",
                   "NCBIGene", "DDXPLUS"}
ONE_TO_ONE_NAMESPACES = {"OMIM", "ORPHA", "MESH", "DECIPHER"}
CROSS_TYPE_NAMESPACES = {"UMLS", "HP", "DOID", "NAME"}
FINDING_TYPES = {"Phenotype", "Symptom", "Finding"}
CLINICAL_TYPES = FINDING_TYPES | {"Disease", "SideEffect"}

PREFERRED_PREFIXES: dict[str, list[str]] = {
    "Disease": ["DOID", "MONDO", "OMIM", "ORPHA", "DECIPHER", "MESH", "DDXPLUS", "HP", "UMLS"],
    "Phenotype": ["HP", "SYMP", "MESH", "DDXPLUS", "UMLS"],
    "Symptom": ["HP", "SYMP", "MESH", "DDXPLUS", "UMLS"],
    "Finding": ["HP", "SYMP", "MESH", "DDXPLUS", "UMLS"],
    "SideEffect": ["UMLS"],
    "Compound": ["DRUGBANK", "CHEBI", "MESH"],
    "Gene": ["NCBIGene", "HGNC", "ENSEMBL"],
}
# Order in which keys are used to link (more trustworthy first; within a namespace, sorted).
KEY_ORDER = ["DOID", "HP", "UMLS", "OMIM", "ORPHA", "DECIPHER", "MONDO", "DRUGBANK", "NCBIGene", "MESH",
             "SYMP", "DDXPLUS", "NAME"]


@dataclass
class MergeReport:
    entities_in: int = 0
    entities_out: int = 0
    cliques_merged: int = 0          # cliques with more than one member id
    facts_in: int = 0
    facts_out: int = 0
    self_loops_dropped: int = 0
    dangling_dropped: dict[str, int] = field(default_factory=dict)   # source -> facts with a missing endpoint
    refused_same_namespace: int = 0
    refused_type: int = 0
    # facts whose endpoint types break kg.model.PREDICATE_RULES after merging, e.g. "Disease has_phenotype
    # Disease" when an HPO phenotype merged into a DO disease (rule 7); kept, and counted here
    rule_exceptions: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _ns(curie: str) -> str:
    return curie.split(":", 1)[0]


def combine_same_id(a: Entity, b: Entity) -> Entity:
    """Two records of one id (from two sources): a's name and type win; the rest is unioned."""
    if b.name and b.name != a.name and b.name.lower() not in {s.text.lower() for s in a.synonyms}:
        a.synonyms.append(Synonym(b.name, "exact", b.sources[0] if b.sources else ""))
    _add_synonyms(a, b.synonyms)
    a.xrefs = sorted(set(a.xrefs) | set(b.xrefs))
    if not a.description:
        a.description = b.description
    a.sources = sorted(set(a.sources) | set(b.sources))
    return a


def _add_synonyms(target: Entity, synonyms: Iterable[Synonym]) -> None:
    """Add synonyms not already there (same text and kind); a plain copy of the name is not kept."""
    seen = {(s.text.lower(), s.kind) for s in target.synonyms}
    name = target.name.lower()
    for s in synonyms:
        key = (s.text.lower(), s.kind)
        if key in seen or (key[0] == name and s.kind != "layperson"):
            continue
        seen.add(key)
        target.synonyms.append(s)


class _UnionFind:
    def __init__(self, ids: Iterable[str]):
        self.parent = {i: i for i in ids}
        self.namespaces = {i: {_ns(i)} for i in self.parent}

    def find(self, x: str) -> str:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.namespaces[ra] & self.namespaces[rb]:
            return False
        self.parent[rb] = ra
        self.namespaces[ra] |= self.namespaces.pop(rb)
        return True


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[^a-z0-9]+", text.lower()) if w)


def _name_words(e: Entity) -> list[frozenset[str]]:
    return [_words(e.name)] + [_words(s.text) for s in e.synonyms if s.kind in ("exact", "layperson")]


def names_agree(a: Entity, b: Entity, threshold: float = 0.6) -> bool:
    """Whether some name or exact/layperson synonym of `a` and of `b` share most of their words
    (Jaccard >= threshold): a guard on cross-type merges, where a loose xref would otherwise turn an
    HPO feature into the syndrome that has it."""
    for wa in _name_words(a):
        for wb in _name_words(b):
            if wa and wb and len(wa & wb) / len(wa | wb) >= threshold:
                return True
    return False


def compatible(a: Entity, b: Entity, key_namespace: str) -> bool:
    if a.type == b.type:
        return True
    if a.type in FINDING_TYPES and b.type in FINDING_TYPES:
        return True
    if "SideEffect" in (a.type, b.type):
        return {a.type, b.type} <= CLINICAL_TYPES and key_namespace == "UMLS" and names_agree(a, b)
    if {a.type, b.type} <= FINDING_TYPES | {"Disease"}:
        return key_namespace in CROSS_TYPE_NAMESPACES and (key_namespace == "NAME" or names_agree(a, b))
    return False


def name_key(text: str) -> str:
    """NAME:<normalised name>: case, punctuation, word order and a plural "s" ignored
    ("Seizures" = "seizure", "Angina, Unstable" = "unstable angina")."""
    words = re.split(r"[^a-z0-9]+", text.lower())
    return "NAME:" + " ".join(sorted(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                                     for w in words if w))


def _name_claims(e: Entity) -> set[str]:
    if e.type in ("Symptom", "Phenotype"):
        return {name_key(e.name)} | {name_key(s.text) for s in e.synonyms if s.kind in ("exact", "layperson")}
    return set()


def _id_rank(e: Entity) -> tuple[int, str]:
    order = PREFERRED_PREFIXES.get(e.type, [])
    ns = _ns(e.id)
    return (order.index(ns) if ns in order else len(order), e.id)


def find_cliques(entities: dict[str, Entity], report: MergeReport | None = None) -> dict[str, str]:
    """entity id -> preferred id of its clique (every id maps, itself when alone)."""
    report = report if report is not None else MergeReport()
    claims: dict[str, list[str]] = defaultdict(list)          # key -> entity ids claiming it
    for e in entities.values():
        per_ns: dict[str, int] = defaultdict(int)
        for x in e.xrefs:
            per_ns[_ns(x)] += 1
        for x in set(e.xrefs):
            ns = _ns(x)
            if ns not in LINK_NAMESPACES or x == e.id:
                continue
            if ns in ONE_TO_ONE_NAMESPACES and per_ns[ns] != 1:
                continue
            claims[x].append(e.id)
        for key in _name_claims(e):
            claims[key].append(e.id)
    uf = _UnionFind(entities)
    order = {ns: i for i, ns in enumerate(KEY_ORDER)}
    for key in sorted(claims, key=lambda k: (order.get(_ns(k), len(order)), k)):
        by_ns: dict[str, list[str]] = defaultdict(list)
        for eid in claims[key]:
            by_ns[_ns(eid)].append(eid)
        members = [ids[0] for ids in by_ns.values() if len(ids) == 1]     # rule 3: ambiguous claims dropped
        owner = entities.get(key)
        if owner is not None and owner.id not in members:
            members = [m for m in members if _ns(m) != _ns(key)] + [owner.id]
        if len(members) < 2:
            continue
        members.sort(key=lambda i: _id_rank(entities[i]))
        anchor = entities[members[0]]
        for other_id in members[1:]:
            other = entities[other_id]
            if not compatible(anchor, other, _ns(key)):
                report.refused_type += 1
                continue
            if not uf.union(anchor.id, other.id):
                report.refused_same_namespace += 1
    groups: dict[str, list[str]] = defaultdict(list)
    for eid in entities:
        groups[uf.find(eid)].append(eid)
    mapping: dict[str, str] = {}
    for ids in groups.values():
        members = [entities[i] for i in ids]
        ctype = clique_type(members)
        order_list = PREFERRED_PREFIXES.get(ctype, [])
        best = min(members, key=lambda e: (order_list.index(_ns(e.id)) if _ns(e.id) in order_list
                                           else len(order_list), e.type != ctype, e.id))
        for i in ids:
            mapping[i] = best.id
        if len(ids) > 1:
            report.cliques_merged += 1
    return mapping


def clique_type(members: list[Entity]) -> str:
    types = {m.type for m in members}
    for t in ("Disease", "Phenotype", "Symptom", "Finding", "SideEffect"):
        if t in types:
            return t
    return members[0].type


def merge_entities(entities: dict[str, Entity], mapping: dict[str, str]) -> dict[str, Entity]:
    """One entity per clique, built per rule 8."""
    groups: dict[str, list[Entity]] = defaultdict(list)
    for eid, e in entities.items():
        groups[mapping[eid]].append(e)
    out: dict[str, Entity] = {}
    for pid, members in groups.items():
        if len(members) == 1:
            out[pid] = members[0]
            continue
        ctype = clique_type(members)
        order_list = PREFERRED_PREFIXES.get(ctype, [])
        members.sort(key=lambda e: (e.id != pid, order_list.index(_ns(e.id)) if _ns(e.id) in order_list
                                    else len(order_list), e.id))
        first = members[0]
        merged = Entity(pid, ctype, first.name, list(first.synonyms), [], first.description, list(first.sources))
        xrefs = set(first.xrefs)
        for m in members[1:]:
            if m.name.lower() != merged.name.lower():
                _add_synonyms(merged, [Synonym(m.name, "exact", m.sources[0] if m.sources else "")])
            _add_synonyms(merged, m.synonyms)
            xrefs |= set(m.xrefs) | {m.id}
            if not merged.description:
                merged.description = m.description
            merged.sources = sorted(set(merged.sources) | set(m.sources))
        xrefs.discard(pid)
        merged.xrefs = sorted(xrefs)
        out[pid] = merged
    return out


def _merge_evidence(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if k not in out:
            out[k] = v
        elif isinstance(out[k], list) and isinstance(v, list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
    out["n_records"] = a.get("n_records", 1) + b.get("n_records", 1)
    return out


def merge_provenance(records: list[Provenance]) -> list[Provenance]:
    """One record per (source, curator): stores keep one per pair, so evidence is combined here."""
    by_key: dict[tuple, Provenance] = {}
    for p in records:
        key = (p.source, p.curator)
        if key not in by_key:
            by_key[key] = Provenance(p.source, p.version, p.license, dict(p.evidence), p.curator, p.created_at,
                                     p.change_id)
        elif dumps(by_key[key].evidence) != dumps(p.evidence):
            by_key[key].evidence = _merge_evidence(by_key[key].evidence, p.evidence)
    return list(by_key.values())


def rewrite_facts(facts: Iterable[Fact], mapping: dict[str, str], report: MergeReport | None = None
                  ) -> dict[str, Fact]:
    """Facts with preferred-id endpoints, duplicates merged (rule 9)."""
    report = report if report is not None else MergeReport()
    out: dict[str, Fact] = {}
    owned: set[str] = set()                 # ids whose stored Fact is our own copy
    for f in facts:
        report.facts_in += 1
        s, o = mapping.get(f.subject), mapping.get(f.object)
        if s is None or o is None:
            for p in f.provenance:
                report.dangling_dropped[p.source] = report.dangling_dropped.get(p.source, 0) + 1
            continue
        if s == o:
            report.self_loops_dropped += 1
            continue
        if s == f.subject and o == f.object:
            nf = f
        else:
            nf = Fact(s, f.predicate, o, list(f.provenance))
        prev = out.get(nf.id)
        if prev is None:
            out[nf.id] = nf if len(nf.provenance) == 1 else Fact(nf.subject, nf.predicate, nf.object,
                                                                 merge_provenance(nf.provenance), nf.id)
        else:
            if nf.id not in owned:          # first duplicate: copy, never mutate the caller's record
                owned.add(nf.id)
                prev = out[nf.id] = Fact(prev.subject, prev.predicate, prev.object, list(prev.provenance), prev.id)
            prev.provenance = merge_provenance(prev.provenance + nf.provenance)
    report.facts_out = len(out)
    return out


def merge_graph(entities: dict[str, Entity], facts: Iterable[Fact]) -> tuple[dict[str, Entity], dict[str, Fact],
                                                                              MergeReport]:
    """Cliques, merged entities and rewritten facts in one call."""
    report = MergeReport(entities_in=len(entities))
    mapping = find_cliques(entities, report)
    merged = merge_entities(entities, mapping)
    report.entities_out = len(merged)
    out = rewrite_facts(facts, mapping, report)
    exceptions: dict[str, int] = defaultdict(int)
    for f in out.values():
        s, o = merged[f.subject].type, merged[f.object].type
        if not predicate_allowed(s, f.predicate, o):
            exceptions[f"{s} {f.predicate} {o}"] += 1
    report.rule_exceptions = dict(sorted(exceptions.items()))
    return merged, out, report
