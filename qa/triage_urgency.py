"""Urgency: emergency / urgent / routine / self-care, from red-flag rules (data/triage_red_flags.toml),
the severity of the likely conditions, and what the patient said about severity, duration and age.

Policy: every source of urgency proposes a level and the highest wins ("when in doubt, the higher
level"); nothing lowers a level a red flag or a risk modifier proposed, so an emergency is never sent home.
The one exception is written into the table: a rule may name general rules it `overrides` when it fires (the
same exertional chest pain for weeks answers "chest pain: today" with a clinic appointment); an emergency
rule can never be overridden, which loading the table checks.
Two things only decide what the *condition vote* (the likely conditions' usual care) may contribute:
- a "complaint" rule (every self-care rule in the table, and others marked `complaint = true`: a sprain
  the patient can walk on, a strained back after lifting, a typical migraine, a stomach bug with fluids
  kept down, recurring palpitations that settle, chest pain only on exertion) recognises the presentation
  itself, so a diffuse ranking over other conditions is not a reason for more care: its level replaces
  the vote unless the leading candidate is confident (at least CONFIDENT_LEAD) and calls for more. It does
  not apply when a higher urgent or emergency red flag fires. A complaint rule may also name the conditions
  it `recognises` (a settled panic attack, occasional heartburn): their vote takes the complaint's level;
- the vote asks for emergency care only from a ranking that fits (the leading candidate at least
  UNCLEAR_LEAD) and for an acute complaint (not one unchanged for STABLE_HOURS or more); otherwise it
  says urgent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from retrieval.negation import assertion
from qa.toml_file import read_toml

LEVELS = ("self-care", "routine", "urgent", "emergency")
DEFAULT_RULES = Path(__file__).resolve().parent.parent / "data" / "triage_red_flags.toml"

# DDXPlus severity (1 = most severe .. 5 = least) -> the level that condition calls for.
SEVERITY_LEVEL = {1: "emergency", 2: "urgent", 3: "routine", 4: "routine", 5: "self-care"}
# A level is chosen when the candidates calling for it (or for a higher one) carry this share of the top
# candidates' probability. Lower thresholds for higher levels: missing an emergency costs more than an
# unneeded visit.
LEVEL_THRESHOLD = {"emergency": 0.15, "urgent": 0.3, "routine": 0.5}   # tuned on the dev and seen vignettes
# Candidates with less than this share of the leading candidate's probability do not vote on the level.
COMPETING_RATIO = 0.35      # tuned on the dev and seen vignettes
# When the leading candidate's probability is below this, the ranking does not fit the findings.
UNCLEAR_LEAD = 0.1   # tuned on the dev and seen vignettes
# When the top candidates together explain less than this, the picture is unclear: a clinician should look.
UNCLEAR_MASS = 0.15
DEFAULT_CONDITION_LEVEL = "routine"      # conditions without a DDXPlus severity
LONG_DURATION_HOURS = 14 * 24            # symptoms for two weeks or more are worth a routine visit
# The condition vote is kept over a complaint rule only when the leading candidate is this probable (a
# confident ranking, not noise).
CONFIDENT_LEAD = 0.3
# A condition calls for urgent or emergency care in the vote only when it explains this many reported findings
# (or is ranked confidently).
MIN_SUPPORT_TO_ESCALATE = 2
# A leading candidate explaining this many reported findings raises a self-care complaint rule (which reads
# one complaint) to routine even when it is not confidently ranked.
WHOLE_PICTURE_SUPPORT = 3
# ... and this many besides the findings the complaint rule read (diarrhoea and vomiting are the stomach bug's
# own; joint pains and a rash beside a mouth ulcer are not the ulcer's)
BEYOND_COMPLAINT_SUPPORT = 2
# Symptoms unchanged for this long (hours) are not the acute presentation of an emergency condition.
STABLE_HOURS = 14 * 24
STABLE_URGENT_HOURS = 28 * 24   # and a month for one that needs urgent care
# Age groups whose self-care complaints are still worth a routine visit (babies; frail older people).
ROUTINE_MAX_AGE = 1
ROUTINE_MIN_AGE = 75


class RedFlagFileError(ValueError):
    """The red-flag table is malformed; the message names the entry."""


@dataclass
class Concept:
    name: str
    label: str
    entities: list[str]
    patterns: list[re.Pattern]
    # a linked finding does not count when the words said match one of these ("breathe in deeply" linked as
    # breathlessness is pain on breathing, not shortness of breath)
    not_said: list[re.Pattern] = field(default_factory=list)
    # when given, a linked finding counts only when the words said match one of these ("a cut on my hand"
    # linked as self-cutting is not self-harm)
    said: list[re.Pattern] = field(default_factory=list)
    any_pattern: re.Pattern | None = None   # all patterns in one: a cheap first test that any can match

    def __post_init__(self) -> None:
        if self.patterns and self.any_pattern is None:
            self.any_pattern = re.compile("|".join(f"(?:{p.pattern})" for p in self.patterns))


@dataclass
class Rule:
    id: str
    all: list[str]
    any: list[str]
    level: str
    reason: str
    max_age: float | None = None
    min_age: float | None = None
    unless: list[str] = field(default_factory=list)   # concepts that stop the rule when present
    # duration gates on the longest duration said (hours): max_hours = only new symptoms (or none said),
    # min_hours = only symptoms said to have lasted at least that long
    max_hours: float | None = None
    min_hours: float | None = None
    complaint: bool = False   # recognises the complaint: its level replaces a diffuse condition vote
    # conditions (CURIEs) this complaint rule is a known, settled presentation of: their vote takes its level
    # ("one of my usual panic attacks, it passed" is self-care although a panic disorder needs a doctor)
    recognises: list[str] = field(default_factory=list)
    # rule ids this one replaces when it fires: a general rule that the more specific reading answers ("chest pain
    # should be seen today" is answered by "the same exertional chest pain for weeks: a clinic appointment")
    overrides: list[str] = field(default_factory=list)


@dataclass
class RedFlag:
    rule: str
    level: str
    reason: str
    findings: list[dict[str, Any]] = field(default_factory=list)   # [{"concept", "label", "evidence"}]
    complaint: bool = False
    recognises: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    # the rule has a duration gate and the patient said how long: it has already judged the duration
    judged_duration: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "level": self.level, "reason": self.reason,
                "finding": ", ".join(f["label"] for f in self.findings), "findings": self.findings}


@dataclass
class UrgencyDecision:
    level: str
    red_flags: list[RedFlag]
    reasons: list[str]        # why this level, in order of weight


def _compile_all(path: Path, concept: str, what: str, raws: list[str]) -> list[re.Pattern]:
    """A concept's regular expressions, compiled; a bad one raises RedFlagFileError naming it."""
    compiled = []
    for i, raw in enumerate(raws):
        try:
            compiled.append(re.compile(raw))
        except re.error as exc:
            raise RedFlagFileError(f"{path}: concept {concept!r} {what} {i + 1} {raw!r}: {exc}") from exc
    return compiled


class RedFlagRules:
    def __init__(self, concepts: dict[str, Concept], rules: list[Rule]):
        self.concepts = concepts
        self.rules = rules

    @classmethod
    def load(cls, path: str | Path = DEFAULT_RULES, resolve: Callable[[str], str | None] | None = None
             ) -> "RedFlagRules":
        """Read the TOML table; `resolve` maps each CURIE to the graph's preferred id (store.resolve)."""
        path = Path(path)
        data = read_toml(path, RedFlagFileError)
        concepts: dict[str, Concept] = {}
        for name, spec in (data.get("concept") or {}).items():
            entities = []
            for curie in spec.get("entities", []):
                entities.append(curie)
                if resolve is not None:
                    preferred = resolve(curie)
                    if preferred and preferred != curie:
                        entities.append(preferred)
            concepts[name] = Concept(name, spec.get("label", name), entities,
                                     _compile_all(path, name, "pattern", spec.get("patterns", [])),
                                     _compile_all(path, name, "not_said", spec.get("not_said", [])),
                                     _compile_all(path, name, "said", spec.get("said", [])))
        rules = []
        for i, spec in enumerate(data.get("rule") or []):
            rid = spec.get("id") or f"rule {i + 1}"
            for key in ("all", "level", "reason"):
                if key not in spec:
                    raise RedFlagFileError(f"{path}: rule {rid!r} has no {key!r}")
            if spec["level"] not in LEVELS:
                raise RedFlagFileError(f"{path}: rule {rid!r}: level {spec['level']!r} is not one of {LEVELS}")
            for c in list(spec["all"]) + list(spec.get("any", [])) + list(spec.get("unless", [])):
                if c not in concepts:
                    raise RedFlagFileError(f"{path}: rule {rid!r} names unknown concept {c!r}")
            for key in ("max_age", "min_age", "max_hours", "min_hours"):
                if key in spec and (not isinstance(spec[key], (int, float)) or spec[key] < 0):
                    raise RedFlagFileError(f"{path}: rule {rid!r}: {key} must be a number of at least 0")
            rules.append(Rule(rid, list(spec["all"]), list(spec.get("any", [])), spec["level"], spec["reason"],
                              spec.get("max_age"), spec.get("min_age"), list(spec.get("unless", [])),
                              spec.get("max_hours"), spec.get("min_hours"),
                              bool(spec.get("complaint", spec["level"] == "self-care")),
                              [(resolve(c) or c) if resolve else c for c in spec.get("recognises", [])],
                              list(spec.get("overrides", []))))
            if rules[-1].complaint and spec["level"] == "emergency":
                raise RedFlagFileError(f"{path}: rule {rid!r}: an emergency rule cannot be a complaint rule")
            if rules[-1].recognises and not rules[-1].complaint:
                raise RedFlagFileError(f"{path}: rule {rid!r}: only a complaint rule can recognise conditions")
        level_of = {r.id: r.level for r in rules}
        for r in rules:
            unknown = [x for x in r.overrides if x not in level_of]
            if unknown:
                raise RedFlagFileError(f"{path}: rule {r.id!r} overrides unknown rules {unknown}")
            if any(level_of[x] == "emergency" for x in r.overrides):
                # an emergency warning sign is never answered away
                raise RedFlagFileError(f"{path}: rule {r.id!r} cannot override an emergency rule")
        return cls(concepts, rules)

    def present_concepts(self, text: str, finding_terms: Iterable[tuple],
                         ancestors: Callable[[str], Iterable[str]]) -> dict[str, dict[str, Any]]:
        """Concepts present: name -> {"label", "evidence"[, "hours"]}; finding_terms are (entity id, words said)
        or (entity id, words said, how long that finding has lasted in hours or None). A concept read from a
        finding whose duration is known carries it as "hours": duration gates then read that finding's own
        duration, not the longest one said about anything."""
        low = text.lower().replace("\u2019", "'")
        found: dict[str, dict[str, Any]] = {}
        # (terms with their ancestors, the words said, those words lower-cased, hours): built once, read per concept
        expanded = [(set(ancestors(ft[0])) | {ft[0]}, ft[1], (ft[1] or "").lower(), ft[2] if len(ft) > 2 else None,
                     len(ft) > 2) for ft in finding_terms]
        for c in self.concepts.values():
            ents = set(c.entities)
            for terms, said, words, hours, timed in expanded:
                if ents & terms and not any(p.search(words) for p in c.not_said) and (
                        not c.said or any(p.search(words) for p in c.said)):
                    found[c.name] = {"concept": c.name, "label": c.label, "evidence": said or sorted(ents & terms)[0]}
                    if timed:
                        found[c.name]["hours"] = hours
                    break
            if c.name in found or c.any_pattern is None or not c.any_pattern.search(low):
                continue
            for p in c.patterns:
                hit = next((m for m in p.finditer(low) if not assertion(low, m.start(), m.end()).negated), None)
                if hit:
                    found[c.name] = {"concept": c.name, "label": c.label, "evidence": text[hit.start():hit.end()]}
                    break
        return found

    def read_by_complaints(self, flags: list[RedFlag], finding_terms: Iterable[tuple],
                           ancestors: Callable[[str], Iterable[str]]) -> set[str]:
        """The reported findings (entity ids; finding_terms are (id, words said)) that the fired complaint
        rules already read: a finding of one of their concepts, or one said in the words a pattern matched."""
        concepts = [self.concepts[x["concept"]] for f in flags if f.complaint for x in f.findings]
        spans = [x["evidence"].lower() for f in flags if f.complaint for x in f.findings
                 if isinstance(x.get("evidence"), str)]
        entities = {e for c in concepts for e in c.entities}
        read = set()
        for term, said, *_ in finding_terms:
            words = (said or "").lower()
            if entities & (set(ancestors(term)) | {term}) or (
                    words and any(words in s or s in words for s in spans)):
                read.add(term)
        return read

    def fire(self, present: dict[str, dict[str, Any]], age: float | None,
             duration_hours: float | None = None) -> list[RedFlag]:
        """The rules that fire; `duration_hours` is the longest duration the patient said (None: not said)."""
        out = []
        for r in self.rules:
            if not all(c in present for c in r.all):
                continue
            if r.any and not any(c in present for c in r.any):
                continue
            if any(c in present for c in r.unless):
                continue
            if r.max_age is not None and (age is None or age > r.max_age):
                continue
            if r.min_age is not None and (age is None or age < r.min_age):
                continue
            used = r.all + [c for c in r.any if c in present]
            hours = _rule_hours([present[c] for c in used], duration_hours)
            if r.max_hours is not None and hours is not None and hours >= r.max_hours:
                continue
            if r.min_hours is not None and (hours is None or hours < r.min_hours):
                continue
            out.append(RedFlag(r.id, r.level, r.reason, [present[c] for c in used], r.complaint, r.recognises,
                               r.overrides, r.max_hours is not None and hours is not None))
        overridden = {rid for f in out for rid in f.overrides}
        out = [f for f in out if f.rule not in overridden]
        # keep the strongest rule per set of concepts: "chest pain + sweating" makes "chest pain" redundant
        out.sort(key=lambda f: (-LEVELS.index(f.level), -len(f.findings)))
        kept: list[RedFlag] = []
        for f in out:
            names = {x["concept"] for x in f.findings}
            if any(names <= {x["concept"] for x in k.findings} for k in kept):
                continue
            kept.append(f)
        return kept


def _rule_hours(hits: list[dict[str, Any]], longest: float | None) -> float | None:
    """How long a rule's complaint has lasted: the durations of its concepts read from findings (their own,
    None when unsaid), and the longest duration said for concepts read from the words alone."""
    values = [h["hours"] if "hours" in h else longest for h in hits]
    return max((v for v in values if v is not None), default=None)


def level_max(*levels: str) -> str:
    return max(levels, key=LEVELS.index)


def care_level(care: str | None, severity: int | None) -> str:
    """A condition's level: its usual care (data/triage_condition_priors.tsv), else from DDXPlus severity."""
    if care in LEVELS:
        return care
    return SEVERITY_LEVEL.get(severity, DEFAULT_CONDITION_LEVEL) if severity else DEFAULT_CONDITION_LEVEL


def condition_level(candidates: list[tuple[float, str]]) -> tuple[str, float]:
    """The level the likely conditions call for: candidates are (probability, that condition's level).
    The highest level whose conditions (with those of higher levels) reach its probability threshold."""
    level, mass = condition_level_of_shares(candidates)
    lead = max((p for p, _ in candidates), default=0.0)
    if level == "emergency" and 0 < lead < UNCLEAR_LEAD:
        # no candidate explains the findings well (often a complaint outside the graph's acute conditions):
        # a diffuse ranking is no reason for an emergency by itself (red flags still are)
        return "urgent", mass
    return level, mass


def condition_level_of_shares(candidates: list[tuple[float, str]]) -> tuple[str, float]:
    """condition_level without the clarity check: the shares of the competing candidates decide."""
    lead = max((p for p, _ in candidates), default=0.0)
    if candidates and COMPETING_RATIO > 0:
        # candidates far behind the leading one are noise of the ranking, not a reason for urgency
        candidates = [(p, lvl) for p, lvl in candidates if p >= COMPETING_RATIO * lead]
    total = sum(p for p, _ in candidates)
    if total <= 0:
        return "routine", 0.0
    mass = {lvl: 0.0 for lvl in LEVELS}
    for prob, lvl in candidates:
        mass[lvl] += prob / total
    cumulative = 0.0
    for lvl in reversed(LEVELS):
        cumulative += mass[lvl]
        threshold = LEVEL_THRESHOLD.get(lvl)
        if threshold is not None and cumulative >= threshold:
            return lvl, cumulative
    if total < UNCLEAR_MASS:
        return "routine", total
    return "self-care", mass["self-care"]


def _voting(candidate: tuple) -> tuple[str, float, str]:
    """(name, probability, the level this candidate votes for). A condition that explains only one reported
    finding and is not confidently ranked (below CONFIDENT_LEAD) says "see a doctor", not urgent or emergency
    care: one nonspecific finding (diarrhoea, itching, a swollen ankle) fits serious conditions as well as
    mild ones, and the protocols ask for more than one sign before sending someone to hospital. Red flags
    read the words themselves."""
    name, prob, level = candidate[:3]
    support = candidate[3] if len(candidate) > 3 else None
    if (support is not None and support < MIN_SUPPORT_TO_ESCALATE and prob < CONFIDENT_LEAD
            and LEVELS.index(level) > LEVELS.index("routine")):
        level = "routine"
    return name, prob, level


def decide(red_flags: list[RedFlag], candidates: list[tuple[str, float, str]],
           severities_said: list[str], longest_hours: float | None, age: float | None,
           has_findings: bool, lead_support_beyond_complaint: int | None = None) -> UrgencyDecision:
    """Combine everything into one level; `candidates` are (name, probability, the condition's level) or
    (name, probability, level, how many reported findings the condition explains).
    `lead_support_beyond_complaint`: how many of the findings the leading candidate explains are not read by
    a recognised complaint's rule (None: all of them count).
    Complaint rules (every self-care rule, routine ones marked so) are described in the module docstring."""
    reasons: list[str] = []
    # an urgent or emergency warning sign above a recognised complaint's level overrides it (a routine
    # complaint then still counts as a flag)
    top_sign = max((f.level for f in red_flags if not f.complaint), key=LEVELS.index, default="self-care")
    serious = LEVELS.index(top_sign) >= LEVELS.index("urgent")
    minor = [f for f in red_flags if f.complaint and not (serious and LEVELS.index(top_sign) > LEVELS.index(f.level))]
    raising = [f for f in red_flags if f.level != "self-care" and f not in minor]
    shown = raising + minor
    if not has_findings and not shown:
        return UrgencyDecision("routine", [], ["no symptom recognised: a clinician can assess what was meant"])
    level = "self-care"
    for f in raising:
        level = level_max(level, f.level)
        reasons.append(f"red flag: {f.reason}")
    minor_level = max((f.level for f in minor), key=LEVELS.index, default=None)
    for f in minor:
        level = level_max(level, f.level)
        reasons.append(f"recognised complaint: {f.reason}")
    lead_support = max(candidates, key=lambda c: c[1])[3] if candidates and len(candidates[0]) > 3 else 0
    # the bigger picture: the leading candidate explains this many findings in all, and this many besides the
    # complaint's own
    whole_picture = lead_support >= WHOLE_PICTURE_SUPPORT and (
        lead_support_beyond_complaint is None or lead_support_beyond_complaint >= BEYOND_COMPLAINT_SUPPORT)
    candidates = [_voting(c) for c in candidates]
    if candidates:
        lead = max(p for _, p, _ in candidates)
        cond_lvl, mass = condition_level([(p, lvl) for _, p, lvl in candidates])
        lead_level = next(lvl for _, p, lvl in candidates if p == lead)
        higher = LEVELS.index(lead_level) > LEVELS.index(minor_level or "self-care")
        if minor_level is not None and not (higher and lead >= CONFIDENT_LEAD):
            # the complaint is recognised; only a confident leading candidate outvotes it. One that explains
            # more of what was said besides the complaint (a mouth ulcer among joint pains and a rash is part of
            # something else) asks for a doctor's visit, no more
            bigger_picture = higher and whole_picture
            cond_lvl = level_max(minor_level, "routine") if bigger_picture else minor_level
        elif cond_lvl == "emergency" and longest_hours is not None and longest_hours >= STABLE_HOURS:
            # conditions that need emergency care are acute: the same complaint unchanged for weeks calls for
            # a doctor today, not an ambulance (red flags such as pain at rest still say emergency)
            cond_lvl = "urgent"
            reasons.append("likely conditions include some that need emergency care, but the symptoms have "
                           "lasted weeks: see a doctor today")
        elif cond_lvl == "urgent" and longest_hours is not None and longest_hours >= STABLE_URGENT_HOURS:
            # likewise a month or more of the same complaint, with no warning sign, is a doctor's appointment
            cond_lvl = "routine"
            reasons.append("likely conditions include some that need urgent care, but the symptoms have lasted "
                           "a month or more without a warning sign: book a doctor's appointment")
        elif LEVELS.index(cond_lvl) >= LEVELS.index(level) and cond_lvl != "self-care":
            names = [n for n, p, lvl in candidates if LEVELS.index(lvl) >= LEVELS.index(cond_lvl)][:3]
            reasons.append(f"likely conditions that call for {cond_lvl} care: {', '.join(names)} "
                           f"({mass:.0%} of the top candidates' probability)")
        elif cond_lvl == "self-care" and not reasons:
            # say why home care is suggested, rather than nothing
            names = [n for n, p, lvl in candidates if lvl == "self-care"][:3]
            reasons.append(f"the likely conditions usually get better with self-care: {', '.join(names)}")
        level = level_max(level, cond_lvl)
    elif not minor:
        level = level_max(level, "routine")
        reasons.append("no condition in the graph explains these findings well: a clinician should assess them")
    if "worst" in severities_said:
        if LEVELS.index(level) < LEVELS.index("urgent"):
            reasons.append("symptoms described as the worst ever")
        level = level_max(level, "urgent")
    elif "severe" in severities_said and level == "self-care" and not minor:
        level = "routine"
        reasons.append("symptoms described as severe")
    # (not when a self-care complaint rule has already judged the duration: "heartburn on and off for a few
    # weeks" is within what its rule allows)
    duration_judged = any(f.complaint and f.judged_duration and f.level == "self-care" for f in minor)
    if longest_hours is not None and longest_hours >= LONG_DURATION_HOURS and level == "self-care" \
            and not duration_judged:
        level = "routine"
        reasons.append("symptoms lasting two weeks or more")
    if age is not None and (age < ROUTINE_MAX_AGE or age >= ROUTINE_MIN_AGE) and level == "self-care":
        level = "routine"
        reasons.append("age: babies and older people should be seen rather than self-treat")
    return UrgencyDecision(level, shown, reasons)
