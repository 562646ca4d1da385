"""The condition–finding table triage reasons over, read once from the graph and kept in memory.

Every Disease entity with has_phenotype / presents_symptom facts to a Phenotype, Symptom or Finding
becomes a condition; each fact becomes an annotation (the fact id, its source, and how often the finding
occurs in the condition: `frequency_value` from the fact's evidence, or a default per source when the
source gives none). subclass_of facts between findings give the phenotype hierarchy, so that a
condition annotated with "retrosternal chest pain" also has "chest pain" (the true-path rule).

Conditions fall into three prior tiers for a pre-diagnosis setting (see docs/triage.md):
- acute: DDXPlus' 49 conditions, the common acute complaints a symptom checker exists for;
- common: Hetionet's diseases (about 130 common complex diseases);
- described: other diseases the Disease Ontology's disease–symptom table describes (many are infections
  rare outside their endemic areas);
- rare: every other condition (mostly the ~8,000 rare Mendelian diseases annotated by HPO from OMIM/Orphanet).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from tqdm import tqdm

from kg.model import Entity, Fact

FINDING_TYPES = ("Phenotype", "Symptom", "Finding")
CONDITION_PREDICATES = ("has_phenotype", "presents_symptom")

# Relative prior weight of ONE condition in each tier. Chosen for a person who describes acute complaints
# to a symptom checker: on the full graph the 49 DDXPlus conditions together carry ~85% of the prior mass
# (after the prevalence classes of data/triage_condition_priors.tsv), Hetionet's ~130 common complex
# diseases ~3%, the ~800 other diseases the DO disease–symptom table describes (many tropical infections)
# ~3%, and the ~11,500 rare diseases ~5% (each rare disease 1/3000 of an acute one).
TIER_PRIOR = {"acute": 1.0, "common": 0.018, "described": 0.003, "rare": 0.0003}
# Probability that a condition shows a finding its profile does not list ("leak"): DDXPlus profiles are
# meant to be complete for the questions it asks; literature-derived profiles miss more.
TIER_LEAK = {"acute": 0.02, "common": 0.04, "described": 0.04, "rare": 0.04}
# Frequency assumed when a fact gives none, per source (HPO gives frequencies for about a third).
DEFAULT_FREQUENCY = {"ddxplus": 0.55, "hpo": 0.45, "hetionet": 0.35, "do_reports": 0.5, "disease_ontology": 0.5}
# DDXPlus antecedents (risk factors, history) are less expected than its symptoms.
ANTECEDENT_FREQUENCY = 0.3
DO_SYMPTOM_SOURCES = ("do_reports", "disease_ontology")
FALLBACK_FREQUENCY = 0.4
# DDXPlus lists each condition's evidences without frequencies. A patient reports about this many of a
# condition's listed symptoms, so each one of n listed symptoms has P = DDX_EXPECTED_SYMPTOMS / n (clipped):
# a condition that lists 25 symptoms explains any single one less well than one that lists 8.
DDX_EXPECTED_SYMPTOMS = 4.0
DDX_FREQUENCY_RANGE = (0.25, 0.75)
PRIORS_FILE = Path(__file__).resolve().parent.parent / "data" / "triage_condition_priors.tsv"
CURATED_FILE = Path(__file__).resolve().parent.parent / "data" / "triage_condition_findings.tsv"
CURATED_SOURCE = "curated"
PRIOR_CLASS_WEIGHT = {"very_common": 4.0, "common": 2.0, "uncommon": 1.0, "rare": 0.25, "very_rare": 0.05}
OUT_OF_AGE_FACTOR = 0.1
# With no age and no child mentioned, the writer is most likely an adult describing themselves.
CHILD_MAX_AGE = 12
UNKNOWN_AGE_CHILD_FACTOR = 0.3
# HPO subtrees that are not things a patient reports: inheritance, clinical course, modifiers, frequency.
NON_FINDING_ROOTS = ("HP:0000005", "HP:0031797", "HP:0012823", "HP:0040279", "HP:0032443")

_QUESTION_START = re.compile(r"^(do|does|did|have|has|are|is|were|was|can|could|in the)\b", re.I)


@dataclass(frozen=True)
class Annotation:
    """One condition–finding fact as triage sees it."""
    term: str            # the finding's entity id
    frequency: float     # P(finding | condition)
    fact_id: str
    source: str
    explicit: bool       # True when the source gave the frequency
    role: str = ""       # DDXPlus: "symptom" | "antecedent"
    subject: str = ""    # the fact's subject when it is not the condition itself (pooled twins)
    cited: str = ""      # curated rows: the term the cited fact names (the DDXPlus evidence refined), if any


@dataclass
class ConditionInfo:
    entity: Entity
    tier: str
    prior: float
    severity: int | None = None   # DDXPlus severity, 1 (most severe) .. 5
    leak: float = 0.04
    min_age: float | None = None  # typical ages (data/triage_condition_priors.tsv)
    max_age: float | None = None
    care: str | None = None       # usual level of care (data/triage_condition_priors.tsv)


@dataclass
class ConditionKnowledge:
    conditions: dict[str, ConditionInfo] = field(default_factory=dict)
    profiles: dict[str, dict[str, Annotation]] = field(default_factory=dict)   # condition -> term -> annotation
    by_term: dict[str, list[str]] = field(default_factory=dict)                # term -> conditions
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)
    findings: dict[str, Entity] = field(default_factory=dict)                  # finding entities in use
    questions: dict[str, str] = field(default_factory=dict)                    # term -> patient question
    pooled: dict[str, str] = field(default_factory=dict)                       # twin condition -> DDXPlus id
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
                     severities: dict[str, int] | None = None, version: str = "",
                     questions: dict[str, str] | None = None,
                     priors_file: Path | None = PRIORS_FILE,
                     curated_file: Path | None = CURATED_FILE) -> "ConditionKnowledge":
        """Build from entities and facts (the facts may include anything; the relevant ones are kept).

        A condition–finding fact may name a Disease as its finding: clique merging turns some phenotypes
        into diseases ("heartburn" is the same concept as GERD), and DDXPlus lists history such as asthma.
        `questions` maps a CURIE (e.g. "DDXPLUS:E_91") to the question a patient is asked about it; a
        finding gets the question of its id or of one of its xrefs.
        """
        disease_by_id = {e.id: e for e in diseases}
        finding_by_id = {e.id: e for e in findings}
        severities = dict(severities or {})
        profiles: dict[str, dict[str, Annotation]] = {}
        subclass: list[tuple[str, str]] = []
        do_symptom_diseases: set[str] = set()
        for fact in facts:
            if fact.predicate in CONDITION_PREDICATES and fact.subject in disease_by_id \
                    and fact.subject != fact.object \
                    and (fact.object in finding_by_id or fact.object in disease_by_id):
                ann = _annotation(fact)
                prof = profiles.setdefault(fact.subject, {})
                old = prof.get(ann.term)
                if old is None or (ann.explicit, ann.frequency) > (old.explicit, old.frequency):
                    prof[ann.term] = ann
                if any(p.source in DO_SYMPTOM_SOURCES for p in fact.provenance):
                    do_symptom_diseases.add(fact.subject)
            elif fact.predicate == "subclass_of":
                subclass.append((fact.subject, fact.object))
        kb = cls(version=version)
        class_priors = load_condition_priors(priors_file) if priors_file else {}
        for cid, prof in profiles.items():
            entity = disease_by_id[cid]
            tier = _tier(entity, cid in do_symptom_diseases)
            severity = severities.get(cid) or _severity_from_entity(entity)
            weight, min_age, max_age, care = class_priors.get(cid, (1.0, None, None, None))
            kb.conditions[cid] = ConditionInfo(entity, tier, TIER_PRIOR[tier] * weight, severity, TIER_LEAK[tier],
                                               min_age, max_age, care)
            kb.profiles[cid] = _spread_ddxplus(prof, finding_by_id, questions)
        if curated_file:
            _add_curated(kb, load_curated_findings(curated_file), finding_by_id, disease_by_id)
        kb.pooled = _pool_icd10_twins(kb)
        terms = {t for prof in kb.profiles.values() for t in prof} | set(finding_by_id)
        parents: dict[str, set[str]] = {}
        for child, parent in subclass:
            if child in terms and parent in terms:
                parents.setdefault(child, set()).add(parent)
        kb.parents = {t: tuple(sorted(ps)) for t, ps in parents.items()}
        used = set(kb.parents) | {p for ps in kb.parents.values() for p in ps}
        used |= {t for prof in kb.profiles.values() for t in prof}
        kb.findings = {t: finding_by_id.get(t) or disease_by_id[t] for t in used
                       if t in finding_by_id or t in disease_by_id}
        questions = dict(questions or {})
        found: dict[str, str] = {}
        for term, entity in kb.findings.items():
            for curie in [term] + list(entity.xrefs):
                q = questions.get(curie)
                if q and _looks_like_question(q):
                    found[term] = q
                    break
            else:
                if entity.type == "Finding" and entity.description and _looks_like_question(entity.description):
                    found[term] = entity.description.strip()
        kb.questions = found
        kb._finalize()
        return kb

    @classmethod
    def from_store(cls, store, progress: bool = False, questions: dict[str, str] | None = None
                   ) -> "ConditionKnowledge":
        """Read the table from a GraphStore: Disease and finding entities, then the relevant facts."""
        diseases = list(store.iter_entities(types=["Disease"]))
        findings = list(store.iter_entities(types=list(FINDING_TYPES)))
        facts = _relevant_facts(store, diseases, findings, progress)
        try:
            version = store.version()
        except Exception:  # a store without metadata still triages
            version = ""
        return cls.from_records(diseases, findings, facts, version=version, questions=questions)

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
        # terms the acute (DDXPlus) conditions are annotated with: the vocabulary triage reasons in
        self.acute_terms = frozenset(t for cid, c in self.conditions.items() if c.tier == "acute"
                                     for t in self.profiles[cid])
        self._frequent_cache: dict[str, bool] = {}
        self._reportable: dict[str, bool] = {}
        # names of those terms, to bridge a finding that the sources name the same way but that no clique
        # merged (the DO symptom "chest pain" and HPO's "Chest pain")
        names: dict[str, set[str]] = {}
        for t in self.acute_terms:
            e = self.findings.get(t)
            if e is None:
                continue
            for n in [e.name] + [syn.text for syn in e.synonyms if syn.kind in ("exact", "layperson")]:
                names.setdefault(_name_key(n), set()).add(t)
        # when several share a name, the one more acute conditions list ("Chest Pain" from MeSH via a pooled
        # twin against HPO's "Chest pain" that DDXPlus uses)
        def uses(t: str) -> int:
            return sum(1 for c in self.by_term.get(t, ()) if self.conditions[c].tier == "acute")
        self._acute_by_name = {}
        for k, v in names.items():
            ranked = sorted(v, key=lambda t: (-uses(t), t))
            if k and (len(ranked) == 1 or uses(ranked[0]) > uses(ranked[1])):
                self._acute_by_name[k] = ranked[0]

    def same_named_acute_term(self, entity: Entity) -> str | None:
        """The acute conditions' term named exactly like `entity` (name or exact/lay synonym), if one."""
        if entity.id in self.acute_terms:
            return None
        for n in [entity.name] + [s.text for s in entity.synonyms if s.kind in ("exact", "layperson")]:
            t = self._acute_by_name.get(_name_key(n))
            if t is not None and t != entity.id:
                return t
        return None

    def concerns_frequent_conditions(self, term: str) -> bool:
        """Whether an acute or common condition lists the term, a term below it or one up to 3 steps above
        it. Terms only rare diseases use ("flat forehead", "full cheeks") are dysmorphology, not complaints."""
        got = self._frequent_cache.get(term)
        if got is None:
            frequent = ("acute", "common")
            got = any(self.conditions[c].tier in frequent for c in self.closed(term)) or any(
                self.conditions[c].tier in frequent for a, d in self.ancestors(term).items() if 0 < d <= 3
                for c in self.by_term.get(a, ()))
            self._frequent_cache[term] = got
        return got

    def warm_up(self) -> None:
        """Precompute the hierarchy look-ups of the acute conditions' findings (first calls stay fast)."""
        for term in self.acute_terms:
            for anc, steps in self.ancestors(term).items():
                if steps <= 2 and len(self.descendants(anc)) <= 300:
                    self.background(anc)

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
        got = self._reportable.get(term)
        if got is None:
            got = self._reportable[term] = not any(r in self.ancestors(term) for r in NON_FINDING_ROOTS)
        return got

    # ---- condition side ----------------------------------------------------------------------------
    def closed(self, term: str) -> dict[str, Annotation]:
        """Conditions that have `term` or a term below it, each with its most frequent such annotation (of
        equally frequent ones, the first term in sorted order: the same cited fact in every process, whatever
        the set's hash order)."""
        got = self._closed.get(term)
        if got is None:
            got = {}
            for t in sorted(self.descendants(term)):
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


def _name_key(name: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", name.lower()))


def _annotation(fact: Fact) -> Annotation:
    best: tuple[bool, float, str] | None = None
    role = ""
    for p in fact.provenance:
        ev = p.evidence or {}
        if ev.get("role") == "symptom":
            role = "symptom"
        value = ev.get("frequency_value")
        if isinstance(value, (int, float)) and 0 < value <= 1:
            cand = (True, float(value), p.source)
        elif ev.get("role") == "antecedent":
            cand = (False, ANTECEDENT_FREQUENCY, p.source)
            role = "antecedent"
        else:
            cand = (False, DEFAULT_FREQUENCY.get(p.source, FALLBACK_FREQUENCY), p.source)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if best is None:
        best = (False, FALLBACK_FREQUENCY, "")
    # keep frequencies away from 0 and 1: a "100%" in a small case series is not a certainty
    freq = min(0.95, max(0.03, best[1]))
    return Annotation(fact.object, freq, fact.id, best[2], best[0], role)


def _icd10(entity: Entity) -> set[str]:
    return {x.split(":", 1)[1].upper() for x in entity.xrefs if x.upper().startswith("ICD10")}


def _pool_icd10_twins(kb: "ConditionKnowledge") -> dict[str, str]:
    """Pool each non-DDXPlus condition that carries a DDXPlus condition's ICD-10 code (the same code, or the
    3-character category when DDXPlus gives only the category) into that DDXPlus condition: its
    annotations join the DDXPlus profile (DDXPlus' own entries win) and it stops being a separate candidate.
    "Bronchospasm / acute asthma exacerbation" (J45) thereby gains asthma's phenotypes. Returns twin -> DDXPlus id."""
    acute = {cid: _icd10(c.entity) for cid, c in kb.conditions.items() if c.tier == "acute"}
    wanted: dict[str, str] = {}
    for cid, codes in acute.items():
        for code in codes:
            wanted.setdefault(code, cid)
    pooled: dict[str, str] = {}
    for cid, info in list(kb.conditions.items()):
        if info.tier == "acute":
            continue
        target = next((wanted[c] for c in sorted(_icd10(info.entity)) if c in wanted), None)
        if target is None:
            continue
        prof = kb.profiles[target]
        for term, ann in kb.profiles[cid].items():
            if term not in prof and term != target:
                prof[term] = Annotation(ann.term, ann.frequency, ann.fact_id, ann.source, ann.explicit, ann.role, cid)
        del kb.conditions[cid]
        del kb.profiles[cid]
        pooled[cid] = target
    return pooled


_SUB_QUESTION = re.compile(r"\b(the pain|your pain|pain somewhere|the rash|the lesions?|your lesions|the swelling|"
                           r"the itching|affected region)\b|:$|^(how|where|what|characteri[sz]e)\b", re.I)


def is_ddxplus_sub_question(entity: Entity | None, yes_no: dict[str, str] | None = None) -> bool:
    """DDXPlus asks some evidences as details of another ("How intense is the pain?", "Is the rash
    swollen?"): they describe a finding rather than being one. Known exactly from the release's yes/no
    questions when given, else from the wording of the unmapped evidence's name."""
    if entity is None or entity.type != "Finding" or not entity.id.upper().startswith("DDXPLUS:"):
        return False
    if yes_no:
        return entity.id not in yes_no
    return bool(_SUB_QUESTION.search(entity.name.strip()))


def _spread_ddxplus(profile: dict[str, Annotation], entities: dict[str, Entity] | None = None,
                    yes_no: dict[str, str] | None = None) -> dict[str, Annotation]:
    """Give DDXPlus symptoms without a frequency P = expected reported symptoms / listed symptoms
    (detail questions about pain or rash not counted as symptoms of their own)."""
    entities = entities or {}
    symptoms = [a for a in profile.values() if a.role == "symptom" and not a.explicit and a.source == "ddxplus"]
    if not symptoms:
        return profile
    main = [a for a in symptoms if not is_ddxplus_sub_question(entities.get(a.term), yes_no)]
    lo, hi = DDX_FREQUENCY_RANGE
    freq = min(hi, max(lo, DDX_EXPECTED_SYMPTOMS / max(1, len(main))))
    out = dict(profile)
    for a in symptoms:
        out[a.term] = Annotation(a.term, freq, a.fact_id, a.source, False, a.role)
    return out


class PriorsFileError(ValueError):
    """data/triage_condition_priors.tsv is malformed; the message names the line."""


CARE_LEVELS = ("self-care", "routine", "urgent", "emergency")


def load_condition_priors(path: Path) -> dict[str, tuple[float, float | None, float | None, str | None]]:
    """condition id -> (prior weight, min_age, max_age, care level) from the hand-written priors table."""
    out: dict[str, tuple[float, float | None, float | None, str | None]] = {}
    header_seen = False
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if not header_seen:
                header_seen = True
                if cols[:2] != ["condition", "class"]:
                    raise PriorsFileError(f"{path}:{lineno}: expected the header 'condition<TAB>class<TAB>...'")
                continue
            cols += [""] * (6 - len(cols))
            cid, klass, lo, hi, care = (c.strip() for c in cols[:5])
            if klass not in PRIOR_CLASS_WEIGHT:
                raise PriorsFileError(f"{path}:{lineno}: class {klass!r} is not one of {sorted(PRIOR_CLASS_WEIGHT)}")
            if care and care not in CARE_LEVELS:
                raise PriorsFileError(f"{path}:{lineno}: care {care!r} is not one of {CARE_LEVELS}")
            try:
                out[cid] = (PRIOR_CLASS_WEIGHT[klass], float(lo) if lo else None, float(hi) if hi else None,
                            care or None)
            except ValueError as exc:
                raise PriorsFileError(f"{path}:{lineno}: ages must be numbers ({exc})") from exc
    return out


@dataclass(frozen=True)
class CuratedRow:
    condition: str
    finding: str       # a CURIE (resolved through the graph's ids and xrefs)
    frequency: float
    refines: str       # DDXPlus evidence code ("E_55") whose value the row spells out, or ""
    line: int


def load_curated_findings(path: Path) -> list[CuratedRow]:
    """Rows of data/triage_condition_findings.tsv (condition, finding, frequency, refines, note)."""
    rows: list[CuratedRow] = []
    header_seen = False
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = [c.strip() for c in line.rstrip("\n").split("\t")]
            if not header_seen:
                header_seen = True
                if cols[:4] != ["condition", "finding", "frequency", "refines"]:
                    raise PriorsFileError(f"{path}:{lineno}: expected the header "
                                          "'condition<TAB>finding<TAB>frequency<TAB>refines<TAB>note'")
                continue
            if len(cols) < 4 or not cols[0] or ":" not in cols[1]:
                raise PriorsFileError(f"{path}:{lineno}: expected condition, finding CURIE, frequency, refines")
            try:
                freq = float(cols[2])
            except ValueError:
                raise PriorsFileError(f"{path}:{lineno}: frequency {cols[2]!r} is not a number") from None
            if not 0 < freq < 1:
                raise PriorsFileError(f"{path}:{lineno}: frequency {freq} must be between 0 and 1")
            refines = "" if cols[3] in ("", "-") else cols[3]
            if refines and not re.fullmatch(r"E_\d+", refines):
                raise PriorsFileError(f"{path}:{lineno}: refines {refines!r} must be a DDXPlus evidence code "
                                      "like E_55, or -")
            rows.append(CuratedRow(cols[0], cols[1], freq, refines, lineno))
    return rows


def _add_curated(kb: "ConditionKnowledge", rows: list[CuratedRow], findings: dict[str, Entity],
                 diseases: dict[str, Entity]) -> None:
    """Add the curated condition findings to the DDXPlus profiles. A row for a finding the condition already
    lists raises its frequency (the graph's fact stays the evidence); a new one cites the DDXPlus fact whose
    evidence it refines (e.g. "pain location") when the condition has it. Rows naming a condition or finding
    this graph lacks are skipped (a small graph has few of them)."""
    if not rows:
        return
    by_xref: dict[str, str] = {}
    for table in (diseases, findings):   # findings win when a CURIE is on both
        for eid, e in table.items():
            by_xref[eid] = eid
            for x in e.xrefs:
                by_xref.setdefault(x, eid)
    for row in rows:
        prof = kb.profiles.get(row.condition)
        term = by_xref.get(row.finding)
        if prof is None or term is None or term == row.condition:
            continue
        old = prof.get(term)
        if old is not None:
            if row.frequency > old.frequency:
                prof[term] = Annotation(term, row.frequency, old.fact_id, old.source, True, old.role, old.subject,
                                        old.cited)
            continue
        cited = by_xref.get(f"DDXPLUS:{row.refines}") if row.refines else None
        base = prof.get(cited) if cited else None
        if base is not None:
            prof[term] = Annotation(term, row.frequency, base.fact_id, CURATED_SOURCE, True, "symptom", base.subject,
                                    base.term)
        else:
            prof[term] = Annotation(term, row.frequency, "", CURATED_SOURCE, True, "symptom")


def _tier(entity: Entity, in_do_symptom_table: bool) -> str:
    sources = {s.lower() for s in entity.sources}
    if entity.id.upper().startswith("DDXPLUS:") or _severity_from_entity(entity) is not None:
        return "acute"
    if "hetionet" in sources:
        return "common"
    if in_do_symptom_table:
        return "described"
    return "rare"


_SEVERITY_RE = re.compile(r"\bDDXPlus severity\D{0,5}([1-5])\b", re.I)


def _severity_from_entity(entity: Entity) -> int | None:
    m = _SEVERITY_RE.search(entity.description or "")
    return int(m.group(1)) if m else None


def _looks_like_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") and bool(_QUESTION_START.match(text)) and len(text) < 250


def _relevant_facts(store, diseases: list[Entity], findings: list[Entity], progress: bool) -> Iterator[Fact]:
    """The condition–finding and subclass facts. One pass over all facts is faster than one indexed
    query per entity on SQLite (4 s against 10 s for the full graph)."""
    wanted = set(CONDITION_PREDICATES) | {"subclass_of"}
    bar = tqdm(desc="triage table", unit=" facts", disable=not progress, mininterval=0.5)
    for i, f in enumerate(store.iter_facts()):
        if f.predicate in wanted:
            yield f
        if i % 10000 == 0:
            bar.update(10000)
    bar.close()
