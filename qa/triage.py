"""Pre-diagnosis triage: from a person's own words to recognised findings, ranked candidate conditions
with their evidence, an urgency level, red flags and the next questions worth asking.

It supports, never replaces, a clinician: every result carries a disclaimer and says "could be", not
"you have". The parts: findings (qa/triage_findings.py), the condition–finding table
(qa/triage_knowledge.py), scoring (qa/triage_scoring.py), urgency (qa/triage_urgency.py) and next
questions (qa/triage_questions.py).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import threading
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

from kg.model import Entity
from qa.triage_findings import (FINDING_TYPES, ExtractedFindings, FindingPatterns, PatientContext, TriageFinding,
                                add_pattern_findings, extract_findings)
from qa.triage_knowledge import CURATED_FILE, PRIORS_FILE, ConditionKnowledge
from qa.triage_questions import NextQuestion, next_questions
from qa.triage_scoring import Candidate, ConditionScorer, Observation
from qa.triage_urgency import LEVELS, RedFlag, RedFlagRules, care_level, decide
from qa.triage_urgency_model import UrgencyModel, combine_levels

DISCLAIMER = ("This is not a diagnosis. It is an automated pre-assessment from a knowledge graph, meant to "
              "support, never replace, a clinician. If you feel very unwell or think it is an emergency, "
              "call your local emergency number now.")
NO_FINDINGS_MESSAGE = ("I could not recognise any symptom in what you wrote, so I cannot suggest possible "
                       "conditions. Please describe what you feel in a few words (for example \"sore throat "
                       "and fever for 2 days\"). If you feel very unwell, contact a clinician.")
MAX_CANDIDATES = 5
KB_CACHE_FORMAT = 1
MIN_CANDIDATE_PROBABILITY = 0.01
# A rare (mostly Mendelian) disease is shown only when several reported findings support it: one finding
# ("mouth drooping") is never a reason to suggest a genetic syndrome to someone describing a complaint.
RARE_MIN_SUPPORT = 2
# a red flag read from a finding the linker found only in the embedding space needs a link at least this sure: a
# loose neighbour ("my nose goes mad" -> palpitations at 0.6) must not raise an alarm. Dictionary links count at
# any kept score, and the red-flag patterns still read the words themselves ("a slight temp" in a baby).
DENSE_RED_FLAG_MIN_SCORE = 0.65
# words for someone who is probably a child ("my son has ..." without an age)
CHILD_WORDS = frozenset({"son", "daughter", "baby", "child", "kid", "boy", "girl", "toddler", "infant", "newborn"})
ADVICE = {
    "emergency": "Call your local emergency number or go to the nearest emergency department now.",
    "urgent": "See a doctor today (urgent care, out-of-hours service or your GP the same day).",
    "routine": "Book an appointment with your doctor in the coming days.",
    "self-care": "This can usually be managed at home; see a doctor if it gets worse or does not improve.",
}


class TriageInputError(ValueError):
    """The triage request itself is malformed (not a string, an unknown answer id, ...)."""


@dataclass
class TriageCandidate:
    entity: Entity
    score: float                         # calibrated probability
    severity: int | None
    tier: str
    care: str = "routine"                # the level of care this condition usually calls for
    supporting: list[dict[str, Any]] = field(default_factory=list)
    opposing: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"entity": self.entity.to_json(), "score": round(self.score, 4),
                "evidence": self.supporting + self.opposing,
                "supporting": self.supporting, "opposing": self.opposing,
                "severity": self.severity, "care": self.care, "tier": self.tier}


@dataclass
class TriageResult:
    text: str
    findings: list[TriageFinding]
    candidates: list[TriageCandidate]
    urgency: str                         # emergency | urgent | routine | self-care
    red_flags: list[dict[str, Any]]      # [{"finding", "reason", "rule", "level", "findings"}]
    next_questions: list[dict[str, Any]]  # [{"entity", "question", "gain"}]
    disclaimer: str = DISCLAIMER
    message: str = ""                    # a plain-words summary (or the no-findings answer)
    advice: str = ""
    urgency_reasons: list[str] = field(default_factory=list)
    patient: PatientContext = field(default_factory=PatientContext)
    urgency_rules: str = ""              # the level the red-flag rules and condition votes gave
    urgency_model: dict[str, float] | None = None   # the learned reading's probability per level, if one ran

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "findings": [f.to_json() for f in self.findings],
            "candidates": [c.to_json() for c in self.candidates],
            "urgency": self.urgency,
            "red_flags": self.red_flags,
            "next_questions": self.next_questions,
            "disclaimer": self.disclaimer,
            "message": self.message,
            "advice": self.advice,
            "urgency_reasons": self.urgency_reasons,
            "patient": self.patient.to_json(),
            "urgency_rules": self.urgency_rules or self.urgency,
            "urgency_model": self.urgency_model,
        }


class Triager:
    """Triage over a graph store and a linker. Thread-safe for concurrent `triage` calls."""

    def __init__(self, store, linker, *, knowledge: ConditionKnowledge | None = None,
                 rules: RedFlagRules | None = None, patterns: FindingPatterns | None = None,
                 progress: bool = False, sources_dir: str | None = None,
                 cache_dir: str | os.PathLike | None = None, urgency_model: UrgencyModel | None = None):
        """`cache_dir` (e.g. settings.cache_dir): keep the condition–finding table on disk, keyed by the
        graph version and the triage data files, so the next process starts in a second or two.
        `urgency_model`: a learned reading of urgency that the rules guard (qa/triage_urgency_model.py); None:
        the rules alone."""
        self.store = store
        self.linker = linker
        self._lock = threading.Lock()
        self._progress = progress
        self._questions = ddxplus_questions(sources_dir)
        self._cache_dir = Path(cache_dir) if cache_dir else None
        self.knowledge = knowledge or self._load_knowledge()
        self.knowledge.warm_up()
        self.scorer = ConditionScorer(self.knowledge)
        self.rules = rules or RedFlagRules.load(resolve=self._resolve)
        self.patterns = patterns if patterns is not None else FindingPatterns.load(resolve=self._resolve)
        self.urgency_model = urgency_model
        self.model_pickup = None      # a ModelPickup that swaps in a model trained while the process runs

    def use_urgency_model(self, model: UrgencyModel | None) -> None:
        self.urgency_model = model

    def _load_knowledge(self) -> ConditionKnowledge:
        path = self._cache_path()
        if path is not None and path.is_file():
            try:
                with open(path, "rb") as fh:
                    kb = pickle.load(fh)
                if isinstance(kb, ConditionKnowledge):
                    return kb
            except Exception:  # a stale or damaged cache is rebuilt
                pass
        kb = ConditionKnowledge.from_store(self.store, progress=self._progress, questions=self._questions)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "wb") as fh:
                    pickle.dump(kb, fh, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except OSError:
                pass
        return kb

    def _cache_path(self) -> Path | None:
        if self._cache_dir is None:
            return None
        try:
            version = self.store.version()
        except Exception:
            return None
        h = hashlib.sha1(f"{KB_CACHE_FORMAT}|{version}|{len(self._questions)}".encode())
        for f in (PRIORS_FILE, CURATED_FILE, Path(__file__).with_name("triage_knowledge.py")):
            h.update(f.read_bytes())
        return self._cache_dir / "triage" / f"table-{h.hexdigest()[:16]}.pkl"

    def _resolve(self, curie: str) -> str | None:
        try:
            return self.store.resolve(curie)
        except Exception:  # a store that cannot resolve still gets the literal ids
            return None

    def refresh_if_stale(self) -> bool:
        """Rebuild the condition–finding table when curation changed the graph since it was read."""
        try:
            version = self.store.version()
        except Exception:
            return False
        if not self.knowledge.version or version == self.knowledge.version:
            return False
        with self._lock:
            if version != self.knowledge.version:
                kb = self._load_knowledge()
                kb.warm_up()
                self.knowledge, self.scorer = kb, ConditionScorer(kb)
        return True

    # ---- the one call -----------------------------------------------------------------------------
    def triage(self, text: str, answers: dict[str, bool] | None = None, age: int | None = None,
               sex: str | None = None) -> TriageResult:
        if not isinstance(text, str):
            raise TriageInputError(f"triage text must be a string, not {type(text).__name__}")
        if sex is not None and sex not in ("male", "female"):
            raise TriageInputError(f"sex must be 'male' or 'female', not {sex!r}")
        if age is not None and not (0 <= age < 130):
            raise TriageInputError(f"age must be between 0 and 129, not {age!r}")
        kb, scorer = self.knowledge, self.scorer
        extracted = extract_findings(text, self.linker, kb.findings, kb.acute_terms) if text.strip() else ExtractedFindings()
        # modifiers ("sharp", "left", "episodic") and other non-findings the linker may pick up
        extracted.findings = [f for f in extracted.findings if kb.is_reportable(f.entity.id)
                              and not _likely_mislink(kb, f)]
        for f in extracted.findings:
            twin = kb.same_named_acute_term(f.entity)
            if twin is not None and twin in kb.findings:
                f.entity = kb.findings[twin]
        if text.strip():
            add_pattern_findings(extracted, self.patterns.find(text), kb.findings, kb.ancestors, kb.acute_terms,
                                 text)
        findings = self._merge_answers(extracted.findings, answers or {})
        patient = extracted.patient
        if age is not None:
            patient.age = float(age)
        if sex is not None:
            patient.sex = sex

        observations = [Observation(f.entity.id, f.present,
                                    weight=min(1.0, f.score) * (0.5 if f.uncertain else 1.0),
                                    label=f.text or f.entity.name) for f in findings]
        assume_adult = patient.age is None and patient.about_other not in CHILD_WORDS
        scored = scorer.score(observations, top_k=MAX_CANDIDATES * 2, age=patient.age, assume_adult=assume_adult)
        candidates = [c for c in scored if c.probability >= MIN_CANDIDATE_PROBABILITY
                      and (c.condition.tier != "rare" or len(c.supporting) >= RARE_MIN_SUPPORT)][:MAX_CANDIDATES]
        present = [f for f in findings if f.present]

        finding_terms = [(f.entity.id, f.text, f.duration_hours) for f in present]
        flag_terms = [(f.entity.id, f.text, f.duration_hours) for f in present
                      if not (f.method == "dense" and f.score < DENSE_RED_FLAG_MIN_SCORE)]
        concept_hits = self.rules.present_concepts(text, flag_terms, kb.ancestors)
        longest = max((f.duration_hours for f in present if f.duration_hours is not None),
                      default=patient.duration_hours)
        red_flags: list[RedFlag] = self.rules.fire(concept_hits, patient.age, longest)
        read_by_complaint = self.rules.read_by_complaints(red_flags, finding_terms, kb.ancestors)
        # a complaint rule that recognises a settled presentation of a condition sets that condition's vote
        recognised = {cid: f.level for f in red_flags if f.complaint for cid in f.recognises}
        decision = decide(red_flags, [(c.condition.entity.name, c.probability,
                                       recognised.get(c.condition.entity.id)
                                       or care_level(c.condition.care, c.condition.severity),
                                       _findings_explained(c)) for c in candidates],
                          [f.severity for f in present if f.severity], longest, patient.age,
                          has_findings=bool(present),
                          lead_support_beyond_complaint=_findings_explained(candidates[0], read_by_complaint)
                          if candidates else None)
        level, reasons, model_probs = decision.level, list(decision.reasons), None
        if self.model_pickup is not None:
            self.model_pickup.poll()
        reader = self.urgency_model
        if reader is not None and (present or decision.red_flags):
            # (with nothing recognised the answer stays "a clinician can assess what was meant")
            model_probs = reader.probabilities(text)
            level, why = combine_levels(decision.level, model_probs, decision.red_flags)
            if why:
                reasons.insert(0, why)
        asked = {f.entity.id for f in findings}
        questions = next_questions(kb, candidates, asked) if candidates else []
        result = TriageResult(
            text=text, findings=findings,
            candidates=[self._candidate(c) for c in candidates],
            urgency=level,
            red_flags=[f.to_json() for f in decision.red_flags],
            next_questions=[self._question_json(q) for q in questions],
            advice=ADVICE[level], urgency_reasons=reasons, patient=patient,
            urgency_rules=decision.level, urgency_model=model_probs,
        )
        result.message = self._message(result, bool(present))
        return result

    # ---- helpers ----------------------------------------------------------------------------------
    def _merge_answers(self, findings: list[TriageFinding], answers: dict[str, bool]) -> list[TriageFinding]:
        """Answers (from next-question clicks or corrections) override what the text said."""
        if not answers:
            return findings
        by_id = {f.entity.id: f for f in findings}
        for raw_id, present in answers.items():
            if not isinstance(present, bool):
                raise TriageInputError(f"answer for {raw_id!r} must be true or false, not {present!r}")
            entity = self.knowledge.findings.get(raw_id) or self.store.get_entity(raw_id)
            if entity is None:
                resolved = self._resolve(raw_id)
                entity = self.store.get_entity(resolved) if resolved else None
            if entity is None:
                raise TriageInputError(f"answer names {raw_id!r}, which is not an entity of the graph")
            if entity.type not in FINDING_TYPES:
                raise TriageInputError(f"answer names {raw_id!r}, a {entity.type}, not a symptom or finding")
            old = by_id.get(entity.id)
            if old is not None:
                old.present, old.origin, old.score, old.uncertain = present, "answer", 1.0, False
            else:
                by_id[entity.id] = TriageFinding(entity=entity, present=present, origin="answer")
        return list(by_id.values())

    def _candidate(self, c: Candidate) -> TriageCandidate:
        info = c.condition
        return TriageCandidate(info.entity, c.probability, info.severity, info.tier,
                               care_level(info.care, info.severity),
                               [e.to_json() for e in c.supporting], [e.to_json() for e in c.opposing])

    def _question_json(self, q: NextQuestion) -> dict[str, Any]:
        e = self.knowledge.findings.get(q.finding)
        return q.to_json(e.to_json() if e else None)

    @staticmethod
    def _message(result: TriageResult, has_findings: bool) -> str:
        if not has_findings:
            msg = NO_FINDINGS_MESSAGE
            if result.red_flags:
                msg = ("I could not match your words to symptoms in the graph, but they contain warning signs: "
                       + " ".join(f["reason"] for f in result.red_flags))
            return msg
        said = ", ".join(f.entity.name.lower() for f in result.findings if f.present)
        denied = ", ".join(f.entity.name.lower() for f in result.findings if not f.present)
        parts = [f"I understood: {said}" + (f"; and not: {denied}" if denied else "") + "."]
        if result.candidates:
            names = ", ".join(f"{c.entity.name} ({c.score:.0%})" for c in result.candidates[:3])
            parts.append(f"Conditions that could fit (not a diagnosis): {names}.")
        else:
            parts.append("No condition in the graph fits these findings well.")
        parts.append(f"Urgency: {result.urgency}. {result.advice}")
        return " ".join(parts)


def _findings_explained(c: Candidate, leaving_out: set[str] = frozenset()) -> int:
    """How many reported findings a candidate explains (likelihood ratio above 1), for the urgency vote,
    not counting those in `leaving_out`. Only the acute (DDXPlus) conditions count theirs: the literature
    profiles of other diseases are broad enough to "explain" a few findings by chance (their usual care is
    routine anyway)."""
    if c.condition.tier != "acute":
        return 0
    return sum(1 for e in c.supporting if e.weight > 0 and e.finding not in leaving_out)


def _likely_mislink(kb: ConditionKnowledge, f: TriageFinding) -> bool:
    """A one-word mention linked to a term only rare diseases use ("cheeks" -> Full cheeks, "tall" -> Tall
    stature) is almost always a body-part or ordinary word, not a complaint."""
    return len(f.text.split()) <= 1 and not kb.concerns_frequent_conditions(f.entity.id)


def ddxplus_questions(sources_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """DDXPlus' patient questions by evidence CURIE ("DDXPLUS:E_91" -> "Do you have a fever ...?"), read
    from the DDXPlus release in the sources folder (argument, else $KGQA_SOURCES_DIR) when it is there.
    The graph keeps the question only on evidences not merged into a phenotype concept."""
    folder = sources_dir or os.environ.get("KGQA_SOURCES_DIR")
    if not folder:
        return {}
    path = Path(folder) / "ddxplus" / "release_evidences.json"
    if not path.is_file():
        return {}
    from kg.importers.ddxplus import load_evidences
    try:
        # yes/no questions only: the multiple-choice ones ("Characterize your pain:") need their options
        return {e.id: e.question for e in load_evidences(path) if e.data_type == "B"}
    except Exception:  # a damaged optional file only costs the question wording
        return {}


def urgency_rank(level: str) -> int:
    return LEVELS.index(level)
