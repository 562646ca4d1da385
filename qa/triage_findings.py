"""Findings from a patient's own words: the symptoms and signs the linker recognises, whether each is
present or denied, and, where said, how long it has lasted, how bad it is, and the patient's age and sex.

The linker finds and links the mentions (and marks "no fever" as negated); this module keeps the
finding-like ones, and reads duration, severity, onset and age/sex with small patterns over the clause
around each mention.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Container, Iterable, Protocol

from kg.model import Entity
from qa.toml_file import read_toml
from retrieval.negation import assertion

FINDING_TYPES = ("Phenotype", "Symptom", "Finding")
MIN_MENTION_SCORE = 0.35   # below this a link is too unsure to reason with

SEVERITY_LEVELS = ("mild", "moderate", "severe", "worst")

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "couple of": 2,
    "a couple": 2, "a few": 3, "few": 3, "several": 4, "many": 6,
}
_UNIT_HOURS = {"minute": 1 / 60, "min": 1 / 60, "hour": 1, "hr": 1, "day": 24, "night": 24, "week": 168,
               "month": 730, "year": 8760}
_NUM = r"(\d+(?:\.\d+)?|a couple of|a couple|couple of|a few|few|several|many|an?|one|two|three|four|five|" \
       r"six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?)"
_DURATION_PATTERNS: list[tuple[re.Pattern, Any]] = [
    (re.compile(rf"\b(?:for|over|during|in)\s+(?:the\s+)?(?:last|past)\s+{_NUM}\s+{_UNIT}\b"), "count"),
    (re.compile(rf"\b(?:for|since)\s+(?:about\s+|almost\s+|nearly\s+|over\s+|around\s+)?{_NUM}\s+{_UNIT}\b"), "count"),
    (re.compile(rf"\b(?:the\s+)?(?:last|past)\s+{_NUM}\s+{_UNIT}\b"), "count"),
    (re.compile(rf"\b{_NUM}\s+{_UNIT}\s+ago\b"), "count"),
    (re.compile(rf"\b{_NUM}\s+{_UNIT}\s+now\b"), "count"),
    (re.compile(r"\b(?:for|over)\s+(?:the\s+)?(?:last|past)\s+(minute|hour|day|night|week|month|year)\b"), "unit"),
    (re.compile(r"\bsince\s+(?:this|last)\s+(morning|afternoon|evening|night)\b"), 12),
    (re.compile(r"\b(?:since|started|began|starting)\s+(?:this\s+)?(today|tonight)\b"), 6),
    (re.compile(r"\b(?:since|started|began)\s+yesterday\b"), 24),
    (re.compile(r"\bsince\s+(?:last\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)\b"), 96),
    (re.compile(r"\bsince\s+last\s+(week)\b"), 168),
    (re.compile(r"\bsince\s+last\s+(month)\b"), 730),
    # "since February": the date is not known here, so at least the shortest likely span, a month
    (re.compile(r"\bsince\s+(?:like\s+|about\s+|early\s+|late\s+|mid[- ]?)?(january|february|march|april|june|july|"
                r"august|september|october|november|december|christmas|new year)\b"), 730),
    # "for weeks", "months" -- not "7 months pregnant", "three weeks late", "a 6 weeks old baby"
    # (the words after a match are checked by _NOT_A_DURATION in parse_duration, for every pattern)
    (re.compile(r"(?<!\d )(?<!\d)\b(?:for\s+)?(ages|years|months|weeks)\b(?=[\s,.;!?]|$)"), "plural"),
    (re.compile(r"\b(?:just now|a moment ago|minutes ago|an hour ago|just started)\b"), 0.5),
    (re.compile(r"\ball\s+(day|night|week)\b"), "unit"),
]
_SEVERITY_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"\bworst\b[^.;!?]{0,40}?\b(?:ever|of my life|in my life|i(?:'ve| have) ever|i(?:'ve| have) had)\b"), "worst"),
    # "worst in the mornings", "at its worst at night": when a symptom peaks, not how bad it is
    (re.compile(r"(?<!at its )(?<!at their )\bworst\b(?!\s+(?:in|at|on|when|whenever|with|after|before|during|"
                r"first|if|once|by|around|towards?|late|early)\b)|\bthunderclap\b"), "worst"),
    (re.compile(r"\b(?:severe|severely|excruciating|unbearable|agoni[sz]ing|terrible|horrible|awful|intense|"
                r"crushing|extreme|extremely|really bad|very bad|so bad|killing me|10 out of 10|ten out of ten)\b"), "severe"),
    (re.compile(r"\b(?:moderate|quite bad|pretty bad|fairly bad)\b"), "moderate"),
    (re.compile(r"\b(?:mild|mildly|slight|slightly|a bit of|a little|minor|light|faint)\b"), "mild"),
]
_ONSET_SUDDEN = re.compile(r"\b(?:sudden|suddenly|all of a sudden|out of nowhere|came on fast|abrupt|abruptly)\b")

_AGE_PATTERNS = [
    re.compile(r"\b(\d{1,3})[- ]?(?:years?|yrs?|yo|y/o|y\.o\.)(?:[- ]?old)?\b"),
    re.compile(r"\b(?:i'm|i am|im|aged?|age:?)\s+(\d{1,3})\b(?!\s*(?:%|kg|lbs?|pounds|cm|degrees|times|minutes|hours|days|weeks|months))"),
    # "mum is 84", "she's 7": a person, then the number (not "her temperature is 39")
    re.compile(r"\b(?:he|she|mum|mom|mother|dad|father|grandma|grandpa|grandmother|grandfather|grandad|granny|nan|"
               r"son|daughter|husband|wife|partner|brother|sister|friend|child|boy|girl)(?:'s|\s+is|\s+was)\s+(\d{1,3})\b"
               r"(?!\s*(?:%|kg|lbs?|pounds|cm|degrees|times|minutes|hours|days|weeks|months|\.\d))"),
]
_MONTHS_OLD = re.compile(r"\b(\d{1,2}|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven)[- ](?:months?|weeks?)[- ]old\b")
# (not a relative quoted for advice or history: "like my nan says", "my grandfather was treated for it")
_OTHER_PERSON = re.compile(r"(?<!like )(?<!as )\bmy\s+(?:\d{1,3}[- ](?:years?|months?|weeks?)[- ]old\s+)?"
                           r"(son|daughter|baby|child|kid|boy|girl|husband|wife|father|dad|mother|mom|mum|"
                           r"grandfather|grandmother|grandpa|grandma|grandad|granddad|granny|nan|nana|brother|sister|partner|toddler|infant|newborn)\b"
                           r"(?!\s+(?:says|reckons|swears|always|used to|was treated|were treated|"
                           r"had (?:the same|it|this)|died|passed)\b)")
_MALE = re.compile(r"\b(?:i'm a|i am a|im a|as a)\s+(?:\d{1,3}[- ]?(?:years?|yrs?)?[- ]?(?:old)?\s+)?"
                   r"(?:man|male|guy|gentleman|boy|dude)\b|\b\d{1,3}[- ]?(?:years?|yrs?|yo|y/o)[- ]?(?:old)?\s+(?:man|male|guy|boy)\b"
                   r"|\b\d{1,3}\s?m\b")
_FEMALE = re.compile(r"\b(?:i'm a|i am a|im a|as a)\s+(?:\d{1,3}[- ]?(?:years?|yrs?)?[- ]?(?:old)?\s+)?"
                     r"(?:woman|female|lady|girl|mother|mom|mum)\b|\b\d{1,3}[- ]?(?:years?|yrs?|yo|y/o)[- ]?(?:old)?\s+"
                     r"(?:woman|female|lady|girl)\b|\b\d{1,3}\s?f\b|\bi(?:'m| am) pregnant\b|\bmy period\b")
# a new mother writing about herself: "since my baby was born", "after having my son" (not about the baby)
_NEW_PARENT = re.compile(r"\b(?:since|after|before)\s+(?:i\s+had\s+|having\s+)my\s+(?:baby|son|daughter)\b"
                         r"|\b(?:since|after)\s+my\s+(?:baby|son|daughter)\s+(?:was\s+born|arrived|came)\b")
_GRANDPARENTS = {"grandfather", "grandmother", "grandpa", "grandma", "grandad", "granddad", "granny", "nan", "nana"}
_ELDERLY = re.compile(r"\b(?:elderly|frail (?:old )?(?:man|woman|lady|mother|father|mum|dad)|in (?:his|her|their) (?:80s|90s|eighties|nineties))\b")
_MALE_RELATIVES = {"son", "boy", "husband", "father", "dad", "grandfather", "grandpa", "brother"}
_FEMALE_RELATIVES = {"daughter", "girl", "wife", "mother", "mom", "mum", "grandmother", "grandma", "sister"}
# a temperature reading in a fever mention's clause ("temp was 37.8"): below 38 °C / 100.4 °F it is not a fever.
# Every number in a temperature's range counts once a temperature is named, so any higher one (an age of 40
# included) keeps the fever: the safe side.
_TEMPERATURE_WORD = re.compile(r"\b(?:temp|temperature|thermometer)\b")
_NUMBER = re.compile(r"(?<![\d.,])(\d{2,3}(?:[.,]\d)?)(?![\d])")
FEVER_NAMES = {"fever", "pyrexia"}


def normal_temperature(clause: str) -> bool:
    """Whether a temperature is read in the clause and every reading is normal (35-37.9 °C, 95-100.3 °F)."""
    if not _TEMPERATURE_WORD.search(clause):
        return False
    readings = [float(m.group(1).replace(",", ".")) for m in _NUMBER.finditer(clause)]
    readings = [x for x in readings if 34 <= x < 45 or 90 <= x <= 110]
    return bool(readings) and all(x < 38.0 if x < 45 else x < 100.4 for x in readings)


_CLAUSE_SPLIT = re.compile(r"[.;!?\n]+|\bbut\b|\bhowever\b")


class LinkerLike(Protocol):
    def link(self, text: str, types: list[str] | None = None) -> list: ...


@dataclass
class TriageFinding:
    """A symptom or sign the patient reported (present) or denied (present=False)."""
    entity: Entity
    present: bool
    text: str = ""                    # the words the patient used ("" for a clicked answer)
    start: int = -1
    end: int = -1
    score: float = 1.0                # the link's calibrated score; 1.0 for answers
    uncertain: bool = False           # "maybe a rash"
    duration: str | None = None       # as said: "for 3 days"
    duration_hours: float | None = None
    severity: str | None = None       # one of SEVERITY_LEVELS
    onset: str | None = None          # "sudden" when said
    origin: str = "text"              # text | answer
    method: str = ""                  # how the linker found it (dictionary | fuzzy | dense ...; "" for patterns)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"entity": self.entity.to_json(), "present": self.present}
        if self.text:
            d.update(text=self.text, start=self.start, end=self.end, score=round(self.score, 4))
        if self.uncertain:
            d["uncertain"] = True
        for key in ("duration", "duration_hours", "severity", "onset"):
            value = getattr(self, key)
            if value is not None:
                d[key] = round(value, 2) if isinstance(value, float) else value
        if self.origin != "text":
            d["origin"] = self.origin
        return d


@dataclass
class PatientContext:
    """What the text says about who the patient is and how the complaint goes, beyond the findings."""
    age: float | None = None          # years (0.25 for a 3-month-old)
    sex: str | None = None            # "male" | "female"
    about_other: str | None = None    # "son", "wife" ... when someone writes about another person
    duration: str | None = None       # the first duration said anywhere
    duration_hours: float | None = None
    onset: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ExtractedFindings:
    findings: list[TriageFinding] = field(default_factory=list)
    patient: PatientContext = field(default_factory=PatientContext)


def _number(word: str) -> float:
    word = word.strip()
    try:
        return float(word)
    except ValueError:
        return float(_NUMBER_WORDS.get(word, 1))


def _unit_hours(unit: str) -> float:
    unit = unit.rstrip("s")
    return _UNIT_HOURS.get(unit, _UNIT_HOURS.get(unit[:3], 24))


# "7 months pregnant", "three weeks late", "years of smoking" (a history, not how long a symptom has lasted)
_NOT_A_DURATION = re.compile(r"\s*(?:pregnant|late|overdue|along|old|gone|of (?:smoking|heavy smoking|drinking))\b")


# "had a heart attack 5 years ago", "moved here 15 years ago": when a past event happened, not how long a
# symptom has lasted (an "ago" after one of these words in its clause is not a duration)
_PAST_EVENT_BEFORE = re.compile(r"\b(?:heart attack|stroke|mini[- ]stroke|tia|stents?|bypass|operation|surgery|"
                                r"transplant|diagnosed|moved|emigrated|born|married|divorced|retired|was told|"
                                r"were told|went through|gave birth|had (?:a|my|the) baby)\b")


def _past_event_ago(clause: str, m: re.Match) -> bool:
    # the match may hold the "ago" ("5 years ago") or stop before it ("a couple of years" ago)
    ago = m.group(0).rstrip().endswith("ago") or clause[m.end():].lstrip().startswith("ago")
    return ago and bool(_PAST_EVENT_BEFORE.search(clause, 0, m.start()))


# "every couple of months", "once a week": how often something comes, not how long it has lasted
_FREQUENCY_BEFORE = re.compile(r"\b(?:every|each|once|twice|times)(?:\s+(?:a|an|other|couple\s+of|few|\d+|two|three|four|five|six))?\s*$")
# a clause about the past ("really bad pneumonia as a kid"): its severity words are history, not how bad
# the complaint is now
_PAST_CLAUSE = re.compile(r"\b(?:as an? (?:child|kid|baby|teenager|toddler|teen)|when i was (?:a |an |little|young|"
                          r"small|younger|at school|pregnant)|(?:years|decades) ago|in my (?:teens|childhood)|"
                          r"growing up)\b")


def _after_number(clause: str, pos: int) -> bool:
    """Whether the word before `pos` is a number ("three weeks after ..." is a time point, not "for weeks")."""
    before = clause[:pos].split()
    return bool(before) and (before[-1].replace(".", "").isdigit() or before[-1] in _NUMBER_WORDS)


def parse_duration(clause: str) -> tuple[str, float] | None:
    """The first duration said in a (lower-cased) clause: (the words, hours). "7 months pregnant" and
    "three weeks late" are not how long a symptom has lasted."""
    best: tuple[int, str, float] | None = None
    for pattern, kind in _DURATION_PATTERNS:
        m = next((m for m in pattern.finditer(clause) if not _NOT_A_DURATION.match(clause, m.end())
                  and not _FREQUENCY_BEFORE.search(clause, 0, m.start())
                  and not (kind == "plural" and _after_number(clause, m.start()))
                  and not _past_event_ago(clause, m)), None)
        if not m:
            continue
        if kind == "count":
            hours = _number(m.group(1)) * _unit_hours(m.group(2))
        elif kind == "unit":
            hours = _unit_hours(m.group(1))
        elif kind == "plural":
            hours = 3 * _unit_hours(m.group(1).rstrip("s") if m.group(1) != "ages" else "month")
        else:
            hours = float(kind)
        if best is None or m.start() < best[0]:
            best = (m.start(), m.group(0).strip(), hours)
    return (best[1], best[2]) if best else None


def severity_words(clause: str) -> list[tuple[int, str]]:
    """(position, level) of every severity word in a clause; "worst ... ever" counts once as "worst"."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, level in _SEVERITY_PATTERNS:
        for m in pattern.finditer(clause):
            if any(a <= m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), level))
    return found


def parse_severity(clause: str) -> str | None:
    """The most extreme severity level said in a clause."""
    found = severity_words(clause)
    if not found:
        return None
    return max(found, key=lambda x: SEVERITY_LEVELS.index(x[1]))[1]


def parse_patient(text: str) -> PatientContext:
    low = text.lower().replace("\u2019", "'")
    ctx = PatientContext()
    other = _OTHER_PERSON.search(_NEW_PARENT.sub(" ", low))
    if other:
        ctx.about_other = other.group(1)
        if other.group(1) in _MALE_RELATIVES:
            ctx.sex = "male"
        elif other.group(1) in _FEMALE_RELATIVES:
            ctx.sex = "female"
        if other.group(1) in ("baby", "infant", "newborn"):
            ctx.age = 0.5
        elif other.group(1) == "toddler":
            ctx.age = 2
        elif other.group(1) in _GRANDPARENTS:
            ctx.age = 75.0   # a grandparent described by a relative: most are older; a said age overrides
    months = _MONTHS_OLD.search(low)
    if months:
        n = _number(months.group(1))
        ctx.age = round(n / (52 if "week" in months.group(0) else 12), 2)
    else:
        for pattern in _AGE_PATTERNS:
            m = pattern.search(low)
            if m and 0 < int(m.group(1)) < 120:
                ctx.age = float(m.group(1))
                break
    if ctx.age is None and _ELDERLY.search(low):
        ctx.age = 80.0       # "my elderly mother": no number, but the age group matters for triage
    if ctx.sex is None:
        if _FEMALE.search(low):
            ctx.sex = "female"
        elif _MALE.search(low):
            ctx.sex = "male"
    duration = parse_duration(low)
    if duration:
        ctx.duration, ctx.duration_hours = duration
    if _ONSET_SUDDEN.search(low):
        ctx.onset = "sudden"
    return ctx


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, last = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        spans.append((last, m.start()))
        last = m.end()
    spans.append((last, len(text)))
    return [(s, e) for s, e in spans if e > s]


def _clause_of(spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for s, e in spans:
        if s <= pos < e:
            return s, e
    return spans[-1] if spans else (0, 0)


ALTERNATIVE_MARGIN = 0.1   # an alternative link this close to the best one may replace it
# A mention whose own words begin with a negation ("not breathless" linked as one span) is denied: the
# negation detector looks for cues before a mention, not inside it.
_NEGATED_START = re.compile(r"^(?:no|not|never|without|denies|denied|isn'?t|aren'?t|wasn'?t|don'?t|doesn'?t|didn'?t|"
                            r"haven'?t|hasn'?t|can'?t say i have)\b", re.I)


def _starts_negated(words: str) -> bool:
    return bool(_NEGATED_START.match(words.strip().replace("\u2019", "'")))


def _best_entity(mention, finding_ids: Container[str], preferred_ids: Container[str]
                 ) -> tuple[Entity | None, float]:
    """Which entity a mention reports. Among the linked entity and its alternatives within
    ALTERNATIVE_MARGIN of its score, the first that acute conditions are annotated with (`preferred_ids`)
    wins ("heartburn" names both a MeSH symptom and the HPO concept DDXPlus' GERD uses); else the linked
    entity when it is a finding (by type, or because some condition lists it)."""
    top, score = mention.entity, float(mention.score)
    options = [(top, score)] + [(alt, float(s)) for alt, s in (getattr(mention, "candidates", None) or [])
                                if alt.id != top.id and float(s) >= score - ALTERNATIVE_MARGIN]
    for entity, s in options:
        if entity.id in preferred_ids:
            return entity, min(score, s)
    if top.type in FINDING_TYPES or top.id in finding_ids:
        return top, score
    return None, score


def findings_from_mentions(text: str, mentions: Iterable, finding_ids: Container[str] = (),
                           preferred_ids: Container[str] = ()) -> ExtractedFindings:
    """Keep the finding-like mentions (one per entity: the better-linked statement wins) and attach
    duration, severity and onset said in the same clause. A mention of another type counts when its entity
    is in `finding_ids` (a condition–finding fact names it: "heartburn" is merged with GERD, a Disease)."""
    low = text.lower().replace("\u2019", "'")
    spans = _clauses(low)
    patient = parse_patient(text)
    by_entity: dict[str, TriageFinding] = {}
    kept = []
    for m in mentions:
        entity, score = _best_entity(m, finding_ids, preferred_ids)
        if entity is None or score < MIN_MENTION_SCORE:
            continue
        kept.append((m, entity, score))
    # each severity word goes to the nearest finding of its clause ("crushing chest pain and sweating")
    severity_of: dict[int, str] = {}
    for cs, ce in spans:
        inside = [(i, m) for i, (m, _, _) in enumerate(kept) if cs <= m.start < ce and not m.negated]
        if not inside or _PAST_CLAUSE.search(low, cs, ce):
            continue
        for pos, level in severity_words(low[cs:ce]):
            pos += cs
            i, _ = min(inside, key=lambda im: min(abs(pos - im[1].start), abs(pos - im[1].end)))
            old = severity_of.get(i)
            if old is None or SEVERITY_LEVELS.index(level) > SEVERITY_LEVELS.index(old):
                severity_of[i] = level
    for i, (m, entity, score) in enumerate(kept):
        cs, ce = _clause_of(spans, m.start)
        clause = low[cs:ce]
        duration = parse_duration(clause)
        normal_reading = entity.name.lower() in FEVER_NAMES and normal_temperature(clause)
        finding = TriageFinding(
            entity=entity, present=not (m.negated or _starts_negated(m.text) or normal_reading), text=m.text, start=m.start, end=m.end,
            score=float(score), uncertain=bool(getattr(m, "uncertain", False)),
            duration=duration[0] if duration else None, duration_hours=duration[1] if duration else None,
            severity=severity_of.get(i),
            onset="sudden" if _ONSET_SUDDEN.search(clause) else None,
            method=getattr(m, "method", ""),
        )
        previous = by_entity.get(entity.id)
        if previous is None or previous.score <= finding.score or previous.present == finding.present:
            by_entity[entity.id] = finding
    findings = sorted(by_entity.values(), key=lambda f: f.start)
    # a duration said in its own sentence ("It started 3 days ago.") applies to what was reported; one said
    # about a finding ("a runny nose for a few days", "anxiety for years") is that finding's alone
    if patient.duration_hours is not None and not _duration_said_of_a_finding(findings, patient):
        for f in findings:
            if f.present and f.duration is None:
                f.duration, f.duration_hours = patient.duration, patient.duration_hours
    return ExtractedFindings(findings=findings, patient=patient)


def _duration_said_of_a_finding(findings: Iterable[TriageFinding], patient: PatientContext) -> bool:
    """Whether the text's duration was said about one reported finding (its own clause), not on its own."""
    return any(f.duration == patient.duration for f in findings if f.present and f.origin == "text")


def extract_findings(text: str, linker: LinkerLike, finding_ids: Container[str] = (),
                     preferred_ids: Container[str] = ()) -> ExtractedFindings:
    """Link `text` and turn the mentions into findings."""
    mentions = linker.link(text, types=list(FINDING_TYPES))
    return findings_from_mentions(text, mentions, finding_ids, preferred_ids)


# ---- findings from hand-written lay patterns (data/triage_finding_patterns.toml) --------------------------
PATTERNS_FILE = Path(__file__).resolve().parent.parent / "data" / "triage_finding_patterns.toml"
PATTERN_SCORE = 0.85   # a hand-written pattern is reliable but reads no context beyond its words


class FindingPatternsFileError(ValueError):
    """data/triage_finding_patterns.toml is malformed; the message names the entry."""


@dataclass
class FindingPattern:
    name: str
    entities: list[str]          # the CURIE as written, then the graph's preferred id when it differs
    patterns: list[re.Pattern]


@dataclass
class PatternHit:
    name: str
    entities: list[str]
    start: int
    end: int
    text: str


class FindingPatterns:
    """Everyday descriptions of findings, matched as words (see the data file's header)."""

    def __init__(self, entries: list[FindingPattern]):
        self.entries = entries

    @classmethod
    def load(cls, path: str | Path = PATTERNS_FILE, resolve: Callable[[str], str | None] | None = None
             ) -> "FindingPatterns":
        path = Path(path)
        data = read_toml(path, FindingPatternsFileError)
        entries = []
        for name, spec in (data.get("finding") or {}).items():
            curie = spec.get("entity")
            if not isinstance(curie, str) or ":" not in curie:
                raise FindingPatternsFileError(f"{path}: finding {name!r} needs an entity CURIE like 'HP:0001945'")
            raw_patterns = spec.get("patterns")
            if not isinstance(raw_patterns, list) or not raw_patterns:
                raise FindingPatternsFileError(f"{path}: finding {name!r} needs a non-empty list of patterns")
            patterns = []
            for i, raw in enumerate(raw_patterns):
                try:
                    patterns.append(re.compile(raw))
                except (re.error, TypeError) as exc:
                    raise FindingPatternsFileError(f"{path}: finding {name!r} pattern {i + 1} {raw!r}: {exc}") from exc
            entities = [curie]
            preferred = resolve(curie) if resolve is not None else None
            if preferred and preferred != curie:
                entities.append(preferred)
            entries.append(FindingPattern(name, entities, patterns))
        return cls(entries)

    def find(self, text: str) -> list[PatternHit]:
        """Non-negated matches, at most one per entry (the first)."""
        low = text.lower().replace("\u2019", "'")
        hits = []
        for entry in self.entries:
            for p in entry.patterns:
                m = next((m for m in p.finditer(low) if not assertion(low, m.start(), m.end()).negated), None)
                if m:
                    hits.append(PatternHit(entry.name, entry.entities, m.start(), m.end(), text[m.start():m.end()]))
                    break
        return hits


def add_pattern_findings(extracted: ExtractedFindings, hits: list[PatternHit], entities: dict[str, Entity],
                         ancestors: Callable[[str], dict[str, int]], core_terms: Container[str],
                         text: str | None = None) -> None:
    """Add the findings the patterns found and the linker missed. A hit is skipped when the same finding or a
    more specific one is already there (present or denied). Linked findings inside the matched words give way
    when they are more general than the hit ("pain" in "pain when I breathe"), one-word links, or terms outside
    `core_terms` (the acute conditions' vocabulary), and any link lying wholly inside the matched words: those
    are the linker's readings of the same words. A hit's duration is the one said in its clause (given `text`),
    else the text's own unless that was said about another finding ("a cold 10 days ago. A slight temperature
    yesterday": the temperature is not 10 days old)."""
    patient = extracted.patient
    low = text.lower().replace("\u2019", "'") if text is not None else None
    spans = _clauses(low) if low is not None else []
    # the text's duration may be shared unless it was said of another finding (known only with the text)
    share_text_duration = low is None or not _duration_said_of_a_finding(extracted.findings, patient)
    for hit in sorted(hits, key=lambda h: h.start):
        entity = next((entities[e] for e in hit.entities if e in entities), None)
        if entity is None:
            continue
        covered = any(entity.id in ancestors(f.entity.id) for f in extracted.findings)
        above = ancestors(entity.id)
        kept = []
        for f in extracted.findings:
            overlaps = f.origin == "text" and f.start < hit.end and hit.start < f.end
            related = entity.id in ancestors(f.entity.id) or f.entity.id in above
            inside = overlaps and hit.start <= f.start and f.end <= hit.end
            # the linker's other readings of the same words give way (a related, more specific link stays)
            if overlaps and not (covered and related) and (
                    inside or f.entity.id in above or len(f.text.split()) <= 1 or f.entity.id not in core_terms):
                continue
            kept.append(f)
        if covered:           # already reported (or denied), perhaps more specifically
            extracted.findings = kept
            continue
        finding = TriageFinding(entity=entity, present=True, text=hit.text, start=hit.start, end=hit.end,
                                score=PATTERN_SCORE, origin="text")
        own = parse_duration(low[slice(*_clause_of(spans, hit.start))]) if low is not None else None
        duration = own or ((patient.duration, patient.duration_hours) if share_text_duration else None)
        if duration and duration[1] is not None:
            finding.duration, finding.duration_hours = duration
        kept.append(finding)
        extracted.findings = sorted(kept, key=lambda f: f.start)
