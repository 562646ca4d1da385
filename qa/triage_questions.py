"""Next questions: the findings whose answer would best separate the top candidates.

For each finding that some top candidate lists and the patient has not mentioned, the expected
information gain over the top-k candidates (renormalised) is
    IG(q) = H(C) - [P(yes) H(C | yes) + P(no) H(C | no)],  P(yes | c) from the condition–finding table.
Only findings a patient can answer are asked: a DDXPlus question exists for it, or it has a lay name
(HPO layperson synonym) or it is a DDXPlus evidence; inheritance modes and other non-findings never.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.triage_knowledge import ConditionKnowledge
from qa.triage_scoring import Candidate

TOP_K = 5
MAX_QUESTIONS = 3


@dataclass
class NextQuestion:
    finding: str          # entity id
    name: str
    question: str
    gain: float           # expected information gain in bits

    def to_json(self, entity_json: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"entity": entity_json or {"id": self.finding, "name": self.name}, "question": self.question,
                "gain": round(self.gain, 4)}


def _entropy(ps: list[float]) -> float:
    return -sum(p * math.log2(p) for p in ps if p > 0)


def _entropy_rows(ps: np.ndarray) -> np.ndarray:
    """Entropy in bits of each row of a matrix of distributions."""
    safe = np.where(ps > 0, ps, 1.0)
    return -(ps * np.log2(safe)).sum(axis=1)


def lay_name(kb: ConditionKnowledge, term: str) -> str | None:
    """A patient's word for a finding: the shortest layperson synonym, else the name for symptom concepts."""
    e = kb.findings.get(term)
    if e is None:
        return None
    lay = sorted((s.text for s in e.synonyms if s.kind == "layperson"), key=len)
    if lay:
        return lay[0]
    if e.type == "Finding":   # DDXPlus evidences are named in plain words
        return e.name
    return None


def phrase(kb: ConditionKnowledge, term: str) -> str | None:
    """The question to ask: DDXPlus' own wording when the finding has one, else a template (remembered)."""
    cache = kb.__dict__.setdefault("_phrases", {})
    if term not in cache:
        cache[term] = _phrase(kb, term)
    return cache[term]


def _phrase(kb: ConditionKnowledge, term: str) -> str | None:
    q = kb.questions.get(term)
    if q:
        return q
    name = lay_name(kb, term)
    if not name:
        return None
    name = name[0].lower() + name[1:] if not name[:2].isupper() else name
    return f"Do you have {name}?"


def next_questions(kb: ConditionKnowledge, candidates: list[Candidate], asked: set[str],
                   top_k: int = TOP_K, limit: int = MAX_QUESTIONS) -> list[NextQuestion]:
    top = [c for c in candidates[:top_k] if c.probability > 0]
    if len(top) < 2:
        top = candidates[:1]
    if not top:
        return []
    total = sum(c.probability for c in top)
    prior = [c.probability / total for c in top]
    h0 = _entropy(prior)
    # findings already settled: what was said, what it implies (ancestors of present ones)
    settled = set()
    for t in asked:
        settled |= set(kb.ancestors(t))
    # ask about what the candidates' patient-level knowledge lists: DDXPlus evidences (with their own
    # questions) and symptom concepts; HPO annotations of rare diseases ("high liver enzymes") are not
    # things a person can answer
    options: set[str] = set()
    for c in top:
        for term, ann in kb.profiles.get(c.id, {}).items():
            if term in kb.questions or ann.source in ("ddxplus", "hetionet", "do_reports", "curated"):
                options.add(term)
    terms, texts, rows = [], [], []
    for term in sorted(options):
        if term in settled or not kb.is_reportable(term):
            continue
        text = phrase(kb, term)
        if text is None:
            continue
        closed = kb.closed(term)
        terms.append(term)
        texts.append(text)
        rows.append([closed[c.id].frequency if c.id in closed else c.condition.leak for c in top])
    if not terms:
        return []
    # expected information gain of every question at once: P(yes | c) per row, posteriors after yes / no
    p_yes = np.array(rows)
    w = np.array(prior)
    py = p_yes @ w
    ok = (py > 0) & (py < 1)
    post_yes = (p_yes * w) / np.where(ok, py, 1)[:, None]
    post_no = ((1 - p_yes) * w) / np.where(ok, 1 - py, 1)[:, None]
    gains = h0 - (py * _entropy_rows(post_yes) + (1 - py) * _entropy_rows(post_no))
    scored: list[NextQuestion] = []
    for i, term in enumerate(terms):
        if ok[i] and (gains[i] > 1e-6 or len(top) == 1):
            scored.append(NextQuestion(term, kb.name(term), texts[i], float(gains[i])))
    scored.sort(key=lambda q: (-q.gain, q.name))
    # one question per wording (DDXPlus asks some findings with the same question)
    out, seen = [], set()
    for q in scored:
        if q.question in seen:
            continue
        seen.add(q.question)
        out.append(q)
        if len(out) == limit:
            break
    return out
