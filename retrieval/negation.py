"""NegEx-style negation and uncertainty of mentions.

A trigger ("no", "denies", "never had", "negative for" ...; "maybe", "possible", "not sure if" ...)
before a mention, within a short window and the same clause, marks it. A clause ends at . ; ! ? and at
contrast words ("but", "however"); a trigger's scope also stops at a word that starts a new statement
("no fever, I have a cough": the cough is not negated) while it runs on through lists ("no fever, cough
or chills": all three are).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?|[.;!?:,]")

# Multi-word triggers are matched on the lower-cased word sequence; longest first.
NEGATION_BEFORE = [
    "no", "not", "denies", "denied", "deny", "denying", "without", "never", "never had", "negative for",
    "free of", "absence of", "absent", "no sign of", "no signs of", "no evidence of", "no history of",
    "don't have", "dont have", "do not have", "doesn't have", "does not have", "didn't have", "did not have",
    "haven't had", "have not had", "hasn't had", "has not had", "haven't been", "have not been",
    "hasn't been", "has not been", "isn't", "aren't", "wasn't", "nor",
    "neither", "ruled out", "rules out", "lack of", "lacks", "none",
    # a side effect asked about, not reported: "something that won't make me drowsy"
    "won't make me", "wont make me", "doesn't make me", "doesnt make me", "without making me",
]
# Triggers that negate a verb rather than introduce a list of findings: their scope ends at a comma
# ("a nose that never clears, post nasal drip": the drip is not denied; "no fever, cough or chills": all are)
VERB_NEGATORS = {"not", "never", "isn't", "aren't", "wasn't", "weren't"}
NEGATION_AFTER = ["absent", "denied", "ruled out", "negative", "not present", "gone", "resolved"]
# "gone" followed by a state ("stuck out, gone hard", "gone red", "gone all puffy") describes a change, not an
# absence ("the rash has gone now", "the fever's gone and I'm eating")
_GONE_STATES = {"hard", "red", "blue", "grey", "gray", "white", "yellow", "black", "pale", "purple", "green",
                "dark", "bright", "numb", "stiff", "cold", "hot", "tight", "puffy", "swollen", "weak", "floppy",
                "limp", "lumpy", "crusty", "sore", "bad", "worse", "all", "really", "very", "quite", "a", "funny",
                "dusky", "blotchy", "mottled"}
UNCERTAIN_BEFORE = [
    "maybe", "possible", "possibly", "probable", "probably", "perhaps", "might", "may", "might have",
    "may have", "could be", "could have", "suspected", "suspect", "suspicion of", "not sure if",
    "not sure whether", "not sure", "unsure if", "unsure whether", "unsure", "i think", "i wonder if",
    "wonder if", "questionable", "rule out", "r/o", "concern for", "worried about", "afraid i have",
    "seems like", "kind of", "sort of", "likely",
]
UNCERTAIN_AFTER = ["?"]   # "fever?"; a following "maybe" belongs to the next finding ("no fever, maybe flu")
# "no longer", "not only", "no increase in" do not negate the next finding;
# "without trying" negates the trying ("lost weight without trying and saw blood when I cough").
PSEUDO_TRIGGERS = ["not only", "no longer", "not just", "no increase", "not necessarily", "no change",
                   "not cause", "not caused", "no doubt", "not sure", "without trying", "without even trying",
                   "without dieting", "without meaning"]
CLAUSE_BREAKERS = {".", ";", "!", "?", ":", "but", "however", "although", "though", "except", "yet",
                   "whereas", "while", "apart", "aside"}
# A word that starts a new statement ends a trigger's scope.
SCOPE_BREAKERS = {"i", "i'm", "i've", "i'd", "i'll", "im", "ive", "it's", "he's", "she's", "we're", "they're",
                  "there's", "my", "he", "she", "we", "they", "it", "have", "has", "had", "am", "is", "are",
                  "was", "feel", "feels", "felt", "get", "got", "which", "who", "that", "also", "now",
                  "still", "then", "because", "since", "so",
                  # an uncertainty trigger starts a new scope: "no fever, maybe the flu"
                  "maybe", "possibly", "perhaps", "probably", "might", "may", "could"}
# Uncertainty spans statements ("I think I might have a fever"); only a new subject's claim ends it.
_UNCERTAIN_BREAKERS = {"which", "who", "because", "since", "so", "also"}
WINDOW = 6  # words between a trigger and the mention
# A mention said to be normal is denied: "I can swallow and breathe ok", "my breathing is fine", "I feel ok in
# myself" (the linker may read "feel ok" as malaise). Checked inside the mention and in the next few words of
# its clause, with no comma in between ("a headache, fine otherwise" is still a headache).
NORMAL_STATE = {"ok", "okay", "fine", "alright", "normal"}   # not "normally": "a lump that normally goes back in"
NORMAL_WINDOW = 3
# "I can still swallow", "able to breathe": the ability itself is said, which denies the trouble the linker reads
# in the verb (dysphagia, dyspnea). Only these verbs: "I can feel my heart pounding" says nothing of the kind.
ABILITY_BEFORE = [["can"], ["can", "still"], ["able", "to"], ["still", "able", "to"], ["could", "still"]]
ABILITY_VERBS = {"swallow", "breathe", "walk", "talk", "speak", "eat", "drink", "see", "hear", "move", "stand",
                 "pee", "wee"}
# A state denied inside the mention itself: "his lips and tongue aren't swollen" (the linker reads the whole span
# as lip swelling). Only states that are themselves the finding: "the cut isn't healing" is a problem.
DENIED_STATE_CUES = {"isn't", "aren't", "wasn't", "weren't", "isnt", "arent", "not"}
DENIED_STATES = {"swollen", "puffy", "red", "sore", "painful", "itchy", "bleeding", "blue", "hot", "stiff", "numb",
                 "tender", "raised", "blocked", "runny", "wheezy", "hurting", "swelling"}
# words that negate the normal word itself ("I don't feel ok"): the verb negators and the negated auxiliaries
_VERB_NOT = VERB_NEGATORS | {"don't", "doesn't", "didn't", "can't", "cannot", "won't", "dont", "doesnt", "cant", "isnt"}


@dataclass(frozen=True)
class Assertion:
    negated: bool
    uncertain: bool


def _words(text: str) -> list[tuple[str, int, int]]:
    folded = text.lower().replace("\u2019", "'")
    return [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(folded)]


def _ends_with(seq: list[str], phrase: list[str]) -> bool:
    return len(seq) >= len(phrase) and seq[len(seq) - len(phrase):] == phrase


def _starts_with(seq: list[str], phrase: list[str]) -> bool:
    return seq[:len(phrase)] == phrase


def _find_before(before: list[str], triggers: list[str], breakers: set[str] = frozenset()) -> bool:
    """True when a trigger occurs in `before` (the words preceding the mention) with no scope breaker
    between the trigger and the mention."""
    split = sorted((t.split() for t in triggers), key=len, reverse=True)
    for i in range(len(before), 0, -1):
        head = before[:i]
        for trig in split:
            if not _ends_with(head, trig):
                continue
            if _in_pseudo(before, i - len(trig), len(trig)):
                return False
            verb = " ".join(trig) in VERB_NEGATORS   # a verb's negation also ends at a comma
            return not any(w in breakers or (verb and w == ",") for w in before[i:])
        if before[i - 1] in breakers:
            return False
    return False


def _in_pseudo(words: list[str], pos: int, length: int) -> bool:
    """Whether words[pos:pos+length] is part of a pseudo-trigger ("not only", "no longer")."""
    for pseudo in PSEUDO_TRIGGERS:
        p = pseudo.split()
        for j in range(len(p)):
            lo = pos - j
            if lo >= 0 and words[lo:lo + len(p)] == p and lo + len(p) >= pos + length:
                return True
    return False


def assertion(text: str, start: int, end: int, preceding_words: list[str] | None = None,
              normal_denies: bool = False) -> Assertion:
    """Negation and uncertainty of the mention text[start:end]. With `normal_denies` (linked findings), a
    mention said to be normal ("breathe ok") is denied; patterns that themselves describe a normal state
    ("drinking fine") leave it off."""
    words = _words(text)
    before: list[str] = []
    for w, s, e in words:
        if e <= start:
            before.append(w)
    after = [w for w, s, e in words if s >= end and w != ","]
    # clause start: last breaker before the mention
    cut = 0
    for i, w in enumerate(before):
        if w in CLAUSE_BREAKERS:
            cut = i + 1
    before = before[cut:]
    scope = before[-(WINDOW + 3 + before[-(WINDOW + 3):].count(",")):]
    after_clause: list[str] = []
    for w in after:
        if w in CLAUSE_BREAKERS - {"?"}:
            break
        after_clause.append(w)
        if w == "?":
            break
    after_clause = after_clause[:3]
    uncertain = _find_before(scope, UNCERTAIN_BEFORE, _UNCERTAIN_BREAKERS) or any(
        _starts_with(after_clause[i:], t.split()) for t in UNCERTAIN_AFTER for i in range(len(after_clause)))
    negated = False
    if not _has_uncertain_not(scope[-WINDOW:]):
        negated = _find_before(scope, NEGATION_BEFORE, SCOPE_BREAKERS) or any(
            _starts_with(after_clause[i:], t.split()) and _denies_after(after_clause, i, t)
            for t in NEGATION_AFTER for i in range(min(2, len(after_clause))))
    negated = negated or _state_denied_inside(words, start, end)
    if normal_denies and not negated and (_said_normal(words, start, end, before) or _said_able(words, start, end, before)):
        negated = True
    # a question ("do I have diabetes?") is not a statement of uncertainty about a finding
    if uncertain and after_clause and after_clause[-1] == "?" and not _find_before(
            scope, UNCERTAIN_BEFORE, _UNCERTAIN_BREAKERS):
        uncertain = False
    return Assertion(negated=negated, uncertain=uncertain)


def _denies_after(after_clause: list[str], i: int, trigger: str) -> bool:
    """Whether a trigger after the mention (at after_clause[i]) denies it: "gone" followed by a state ("gone
    hard") does not."""
    if trigger != "gone":
        return True
    rest = after_clause[i + 1:]
    return not rest or rest[0] not in _GONE_STATES


def _has_uncertain_not(scope: list[str]) -> bool:
    joined = " ".join(scope)
    return "not sure" in joined or "unsure" in joined


def _words_inside(words: list[tuple[str, int, int]], start: int, end: int) -> list[str]:
    """The words of the mention text[start:end]."""
    return [w for w, s, e in words if s >= start and e <= end]


def _state_denied_inside(words: list[tuple[str, int, int]], start: int, end: int) -> bool:
    """Whether the mention says its own state is absent: "lips and tongue aren't swollen", "eyes are not red"."""
    inside = _words_inside(words, start, end)
    for i in range(1, len(inside) - 1):
        if inside[i] in DENIED_STATE_CUES and inside[i + 1] in DENIED_STATES:
            # "not" only after a form of "be": "is not swollen"; "could not" is no denial
            return inside[i] != "not" or inside[i - 1] in {"is", "are", "was", "were"}
    return False


def _said_able(words: list[tuple[str, int, int]], start: int, end: int, before: list[str]) -> bool:
    """Whether the mention starts with an ability verb said to be possible ("can still swallow water")."""
    inside = _words_inside(words, start, end)
    return bool(inside) and inside[0] in ABILITY_VERBS and any(_ends_with(before, cue) for cue in ABILITY_BEFORE)


def _said_normal(words: list[tuple[str, int, int]], start: int, end: int, before: list[str]) -> bool:
    """Whether the mention is said to be normal ("breathe ok", "feel fine"), unless that is itself negated
    ("I don't feel ok")."""
    inside = _words_inside(words, start, end)
    following: list[str] = []
    for w in (w for w, s, e in words if s >= end):
        if w == "," or w in CLAUSE_BREAKERS or len(following) == NORMAL_WINDOW:
            break
        following.append(w)
    said = inside + following
    # "feeding well", "sleeping well"; not "a cough as well"
    last = max((i for i, w in enumerate(said)
                if w in NORMAL_STATE or (w == "well" and (i == 0 or said[i - 1] != "as"))), default=None)
    if last is None:
        return False
    # "I don't feel ok", "it's not ok": a negation before the normal word keeps the finding
    nearby = before[-2:] + said[:max(last, len(inside))]
    return not any(w in _VERB_NOT for w in nearby)
