"""Ranking candidate conditions for a set of reported findings: a naive-Bayes model over the graph's
condition–finding table (qa/triage_knowledge.py).

For a condition c and a finding f the patient reports present:
- if c has f or a term below it:            P(f | c) = the annotation's frequency;
- else if c has an ancestor a of f (<= 2 levels up, an informative one):
                                            P(f | c) = P(a | c) * P(f) / P(a)
  (the share of a's mass that f keeps: the more specific f is, the less a general annotation explains it;
  this is where information content enters);
- else                                      P(f | c) = the condition's leak probability.
A finding the patient denies contributes P(not f | c) = 1 - P(f | c) (no hierarchy step up: denying
"sharp chest pain" does not deny chest pain), so an expected finding that is explicitly absent counts
against the condition in proportion to how expected it was.
Findings linked with less than full confidence, or said with doubt ("maybe a rash"), are soft evidence:
P(obs | c) = w P(f | c) + (1 - w) P(f), with w = link score (halved when uncertain).

Posterior: P(c | findings) is proportional to (prior(c) * prod P(obs | c)) ^ (1 / TEMPERATURE); the
temperature only calibrates (naive Bayes is overconfident on correlated findings), it never reorders. The normaliser includes
every condition of the table (those that explain none of the findings share one closed-form term), so
the probabilities returned for the top candidates sum to at most 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa.triage_knowledge import (CHILD_MAX_AGE, OUT_OF_AGE_FACTOR, TIER_LEAK, UNKNOWN_AGE_CHILD_FACTOR, Annotation,
                                 ConditionInfo, ConditionKnowledge)

TEMPERATURE = 1.6          # tuned on the dev vignettes (bench/results/triage.md)
MAX_ANCESTOR_STEPS = 3     # how far up the hierarchy a finding still supports a condition
MAX_ANCESTOR_BACKGROUND = 0.5   # ancestors more common than this are too general to support anything
MAX_ANCESTOR_SUBTREE = 300       # nor do ancestors with more terms below them than this (cheap test first)
ANCESTOR_DISCOUNT = 0.8    # per step up: a generalisation is weaker than a direct annotation
# A person describing an acute complaint mentions its dominant symptoms: a hallmark finding of an acute
# condition (P >= HALLMARK_FREQUENCY) that the text does not mention counts against it by (1 - UNSAID_WEIGHT * P)
# (weaker than a denial, which is 1 - P). Tuned on the dev and seen vignettes.
HALLMARK_FREQUENCY = 0.8
UNSAID_WEIGHT = 0.5


@dataclass
class Observation:
    """A finding as the scorer sees it."""
    term: str
    present: bool
    weight: float = 1.0     # confidence that the finding was really reported (link score, doubt)
    label: str = ""         # the patient's words or the finding's name


@dataclass
class EvidenceItem:
    finding: str            # finding entity id the patient reported
    finding_name: str
    present: bool
    role: str               # "supports" | "against"
    fact_id: str | None     # the condition–finding fact behind it (None: the condition does not list it)
    annotated: str | None   # the term the fact names (may be below or above the reported finding)
    frequency: float | None
    source: str | None
    weight: float           # log-likelihood ratio against the background
    via: str | None = None  # the fact's subject when the fact belongs to a pooled twin condition
    detail: str | None = None  # curated rows: the specific finding that spells out the cited DDXPlus evidence

    def to_json(self) -> dict[str, Any]:
        d = {"finding": self.finding, "finding_name": self.finding_name, "present": self.present,
             "role": self.role, "fact": self.fact_id, "annotated": self.annotated,
             "frequency": None if self.frequency is None else round(self.frequency, 3),
             "source": self.source, "weight": round(self.weight, 3), "via": self.via}
        if self.detail:
            d["detail"] = self.detail
        return d


@dataclass
class Candidate:
    condition: ConditionInfo
    probability: float
    log_score: float
    supporting: list[EvidenceItem] = field(default_factory=list)
    opposing: list[EvidenceItem] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.condition.entity.id


def _match(kb: ConditionKnowledge, term: str) -> dict[str, tuple[float, Annotation, int]]:
    """Conditions that explain a present `term`: cid -> (P(term | c), annotation, steps up).

    A condition annotated with the term or a term below it explains it fully (true-path rule). One
    annotated only with an ancestor of the term (up to MAX_ANCESTOR_STEPS up) explains it in part:
    P(term | c) = P(ancestor | c) * P(term) / P(ancestor), discounted per step."""
    out: dict[str, tuple[float, Annotation, int]] = {}
    for cid, ann in kb.closed(term).items():
        out[cid] = (ann.frequency, ann, 0)
    b_term = kb.background(term)
    for anc, steps in sorted(kb.ancestors(term).items(), key=lambda kv: kv[1]):
        if steps == 0 or steps > MAX_ANCESTOR_STEPS or not kb.by_term.get(anc):
            continue
        if len(kb.descendants(anc)) > MAX_ANCESTOR_SUBTREE:
            continue
        b_anc = kb.background(anc)
        if b_anc > MAX_ANCESTOR_BACKGROUND:
            continue
        share = min(1.0, b_term / b_anc) * (ANCESTOR_DISCOUNT ** steps)
        for cid in kb.by_term[anc]:
            if cid in out:
                continue
            ann = kb.profiles[cid][anc]
            p = max(kb.conditions[cid].leak, ann.frequency * share)
            out[cid] = (p, ann, steps)
    return out


class ConditionScorer:
    def __init__(self, knowledge: ConditionKnowledge, temperature: float = TEMPERATURE,
                 unsaid_weight: float = UNSAID_WEIGHT):
        self.kb = knowledge
        self.temperature = temperature
        self.unsaid_weight = unsaid_weight
        self._match_cache: dict[str, dict[str, tuple[float, Annotation, int]]] = {}
        self._match_arr: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._closed_arr: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        infos = knowledge.conditions
        self._cids = list(infos)
        self._index = {cid: i for i, cid in enumerate(self._cids)}
        self._tiers = list(TIER_LEAK)
        self._tier_idx = np.array([self._tiers.index(infos[c].tier) for c in self._cids], dtype=np.int64)
        self._leak = np.array([infos[c].leak for c in self._cids])
        self._prior = np.array([infos[c].prior for c in self._cids])
        self._log_prior_base = np.log(self._prior)
        nan = float("nan")
        self._min_age = np.array([nan if infos[c].min_age is None else infos[c].min_age for c in self._cids])
        self._max_age = np.array([nan if infos[c].max_age is None else infos[c].max_age for c in self._cids])
        self._child_only = self._max_age <= CHILD_MAX_AGE
        # acute conditions' hallmark findings: cid -> [(term, frequency)]
        self.hallmarks = {cid: [(t, a.frequency) for t, a in knowledge.profiles[cid].items()
                                if a.frequency >= HALLMARK_FREQUENCY and (a.role != "antecedent" or a.explicit)]
                          for cid, c in knowledge.conditions.items() if c.tier == "acute"}

    def _matches(self, term: str) -> dict[str, tuple[float, Annotation, int]]:
        """_match, remembered per term (the table does not change under a scorer)."""
        got = self._match_cache.get(term)
        if got is None:
            got = self._match_cache[term] = _match(self.kb, term)
        return got

    def _unsaid_penalty(self, cid: str, said: list[str]) -> float:
        """log factor for the condition's hallmark findings that nothing said (present or denied) touches."""
        if not self.unsaid_weight:
            return 0.0
        kb, total = self.kb, 0.0
        for term, freq in self.hallmarks.get(cid, ()):
            above = kb.ancestors(term)
            if any(s in above or term in kb.ancestors(s) for s in said):
                continue
            total += math.log(1 - self.unsaid_weight * freq)
        return total

    def prune(self, observations: list[Observation]) -> list[Observation]:
        """Drop a present finding when a more specific present finding implies it (no double counting);
        merge repeats of the same term (the stronger statement wins)."""
        kb = self.kb
        by_term: dict[str, Observation] = {}
        for o in observations:
            old = by_term.get(o.term)
            if old is None or o.weight > old.weight:
                by_term[o.term] = o
        present = [o.term for o in by_term.values() if o.present]
        implied = set()
        for t in present:
            implied |= {a for a in kb.ancestors(t) if a != t}
        return [o for o in by_term.values() if not (o.present and o.term in implied)]

    def score(self, observations: list[Observation], top_k: int = 10, age: float | None = None,
              assume_adult: bool = False) -> list[Candidate]:
        kb = self.kb
        obs = [o for o in self.prune(observations) if o.term in kb.findings or o.term in kb.by_term
               or o.term in kb.parents]
        present = [o for o in obs if o.present]
        if not present:
            return []
        inv_t = 1.0 / self.temperature
        # per present finding: which conditions explain it and how well
        matches = {o.term: self._matches(o.term) for o in present}
        candidates = set()
        for m in matches.values():
            candidates.update(m)
        # absent findings: conditions that expected them
        absent = [o for o in obs if not o.present]
        absent_closed = {o.term: kb.closed(o.term) for o in absent}
        backgrounds = {o.term: kb.background(o.term) for o in obs}

        def soft(p: float, o: Observation) -> float:
            b = backgrounds[o.term]
            if o.present:
                return o.weight * p + (1 - o.weight) * b
            return o.weight * (1 - p) + (1 - o.weight) * (1 - b)

        # log-likelihood of a condition = its tier's "explains nothing" baseline + the difference each
        # finding it lists makes. Vectorised over all conditions (thousands of rare diseases share common
        # findings): the per-term (condition index, P) arrays are built once and remembered.
        tiers = self._tiers
        base = np.array([sum(math.log(soft(TIER_LEAK[t], o)) for o in obs) for t in tiers])
        ll = base[self._tier_idx]
        mask = np.zeros(len(self._cids), dtype=bool)
        leak = self._leak
        for o in present:
            idx, p = self._match_arrays(o.term)
            w, rest = o.weight, (1 - o.weight) * backgrounds[o.term]
            ll[idx] += np.log(w * p + rest) - np.log(w * leak[idx] + rest)
            mask[idx] = True
        for o in absent:
            idx, f = self._closed_arrays(o.term)
            keep = mask[idx]
            idx, f = idx[keep], f[keep]
            w, rest = o.weight, (1 - o.weight) * (1 - backgrounds[o.term])
            ll[idx] += np.log(w * (1 - f) + rest) - np.log(w * (1 - leak[idx]) + rest)
        said = [o.term for o in obs]
        for cid in self.hallmarks:
            i = self._index[cid]
            if mask[i]:
                ll[i] += self._unsaid_penalty(cid, said)
        cand = np.nonzero(mask)[0]
        if len(cand) == 0:
            return []    # findings the table knows (e.g. through the phenotype tree) but no condition lists
        scores = inv_t * (self._log_prior(age, assume_adult)[cand] + ll[cand])
        prior_in = np.bincount(self._tier_idx[cand], weights=self._prior[cand], minlength=len(tiers))
        # conditions explaining none of the present findings: one term per tier (their absent-finding
        # factor is taken as if they expected none of the denied findings)
        rest_terms = []
        for t, tier in enumerate(tiers):
            rest = kb.tier_prior.get(tier, 0.0) - prior_in[t]
            if rest > 1e-12:
                rest_terms.append(inv_t * (math.log(rest) + base[t]))
        top = max(float(scores.max()), max(rest_terms, default=-math.inf))
        z = float(np.exp(scores - top).sum()) + sum(math.exp(r - top) for r in rest_terms)
        k = min(top_k, len(cand))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(cand) else np.arange(len(cand))
        best = sorted(best, key=lambda j: (-scores[j], self._cids[cand[j]]))
        out = []
        for j in best:
            cid, sc = self._cids[cand[j]], float(scores[j])
            out.append(self._explain(cid, math.exp(sc - top) / z, sc, present, absent, matches, absent_closed,
                                     backgrounds))
        return out

    # ---- arrays over all conditions (built once per scorer) ----------------------------------------------
    def _as_arrays(self, by_condition: dict[str, Any], probability) -> tuple[np.ndarray, np.ndarray]:
        """(condition indices, probability(value) for each) of a condition-keyed mapping."""
        n = len(by_condition)
        return (np.fromiter((self._index[c] for c in by_condition), dtype=np.int64, count=n),
                np.fromiter((probability(v) for v in by_condition.values()), dtype=float, count=n))

    def _match_arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        got = self._match_arr.get(term)
        if got is None:
            got = self._match_arr[term] = self._as_arrays(self._matches(term), lambda hit: hit[0])
        return got

    def _closed_arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        got = self._closed_arr.get(term)
        if got is None:
            got = self._closed_arr[term] = self._as_arrays(self.kb.closed(term), lambda ann: ann.frequency)
        return got

    def _log_prior(self, age: float | None, assume_adult: bool) -> np.ndarray:
        """log prior of every condition at this age: outside a condition's typical ages (min_age..max_age)
        its prior is multiplied by OUT_OF_AGE_FACTOR; with no age, `assume_adult` (nobody said a child is
        meant) makes the conditions of young children (max_age <= CHILD_MAX_AGE) less likely, not impossible."""
        factor = np.ones(len(self._cids))
        if age is None:
            if assume_adult:
                factor[self._child_only] = UNKNOWN_AGE_CHILD_FACTOR
        else:
            outside = (self._min_age > age) | (self._max_age < age)   # NaN compares False: no limit
            factor[outside] = OUT_OF_AGE_FACTOR
        return self._log_prior_base + np.log(factor)

    def _explain(self, cid, prob, log_score, present, absent, matches, absent_closed, backgrounds) -> Candidate:
        kb = self.kb
        info = kb.conditions[cid]
        cand = Candidate(info, prob, log_score)
        for o in present:
            hit = matches[o.term].get(cid)
            b = backgrounds[o.term]
            if hit:
                p, ann, _ = hit
                cand.supporting.append(EvidenceItem(o.term, kb.name(o.term), True, "supports", ann.fact_id or None,
                                                    ann.cited or ann.term, p, ann.source, math.log(p / b),
                                                    ann.subject or None, ann.term if ann.cited else None))
            else:
                cand.opposing.append(EvidenceItem(o.term, kb.name(o.term), True, "against", None, None,
                                                  info.leak, None, math.log(info.leak / b)))
        for o in absent:
            ann = absent_closed[o.term].get(cid)
            if ann is None:
                continue
            b = backgrounds[o.term]
            cand.opposing.append(EvidenceItem(o.term, kb.name(o.term), False, "against", ann.fact_id or None,
                                              ann.cited or ann.term,
                                              ann.frequency, ann.source,
                                              math.log(max(1e-6, 1 - ann.frequency) / max(1e-6, 1 - b)),
                                              ann.subject or None))
        cand.supporting.sort(key=lambda e: -e.weight)
        cand.opposing.sort(key=lambda e: e.weight)
        return cand
