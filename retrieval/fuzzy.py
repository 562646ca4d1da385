"""Spelling correction of single words against the dictionary's vocabulary ("metfromin" -> "metformin").

Only words absent from the vocabulary and long enough are corrected (5+ letters: one edit; 8+: two),
with optimal string alignment distance (a swap of two letters is one edit). Candidates come from the
vocabulary words of similar length, scored in C by rapidfuzz. A word spelt as it sounds ("headake",
"diarea", "nawsea") is further than that from its vocabulary word; when nothing is within the budget,
words with the same *sound key* (`sound_key`) and a similar length are taken, counted as two edits. A
sound-alike with the same first letter also outranks a one-edit neighbour whose first letter was changed
("tinitis" is "tinnitus", not "linitis"): people rarely mistype the first letter of a word (they drop a
silent one: "hooping" is "whooping").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 5
SOUND_EDITS = 2          # what a sound-alike correction counts as
SOUND_MAX_DISTANCE = 3   # and how far in spelling it may still be
_SILENT_START = ("pn", "ps", "kn", "wr", "gn")
_SOUNDS = (("ph", "f"), ("ch", "k"), ("ck", "k"), ("gh", "g"), ("rh", "r"), ("th", "t"), ("sh", "s"),
           ("qu", "kw"), ("x", "ks"), ("z", "s"), ("w", "u"))


def sound_key(word: str) -> str:
    """A rough English sound key: letter groups that sound alike merged ("ph"/"f", "ch"/"k", soft "c"/"s"),
    every run of vowels one vowel, doubled letters single, a silent "h" after a vowel and a silent final
    "e" dropped; the first letter kept. "headake" and "headache" -> "hadaka"; "diarea" and "diarrhea" ->
    "dara"; "crone" and "crohn" -> "kran"."""
    w = word.lower()
    if w[:2] in _SILENT_START:
        w = w[1:]            # "pneumonia" ~ "numonia", "psoriasis" ~ "soriasis"
    for a, b in _SOUNDS:
        w = w.replace(a, b)
    w = re.sub(r"c(?=[eiy])", "s", w).replace("c", "k")
    w = w[:1] + re.sub(r"(?<=[aeiou])h", "", w[1:])    # "crohn" ~ "crone", "ahh"
    if len(w) > 3 and w.endswith("e") and w[-2] not in "aeiouy":
        w = w[:-1]           # silent final e: "crone" ~ "crohn"
    if not w:
        return w
    rest = re.sub(r"[aeiouy]+", "a", w[1:])
    return w[0] + re.sub(r"(.)\1+", r"\1", rest)


@dataclass(frozen=True)
class Correction:
    word: str           # the vocabulary word
    edits: int          # OSA distance
    similarity: float   # 1 - edits / max(len)


def _first_letter_changed(word: str, candidate: str) -> bool:
    """The first letter was mistyped: it differs, and not because a leading letter is missing or extra
    ("hooping" for "whooping" keeps its first letter in that sense; "tinitis" for "linitis" does not)."""
    return word[0] != candidate[0] and word[0] != candidate[1:2] and candidate[0] != word[1:2]


def max_edits(word: str) -> int:
    if len(word) < MIN_LENGTH:
        return 0
    return 1 if len(word) < 8 else 2


class TokenCorrector:
    def __init__(self, vocabulary: dict[str, int]):
        self.by_length: dict[int, list[str]] = {}
        self.counts = vocabulary
        for w in vocabulary:
            if len(w) >= MIN_LENGTH - 1 and w.isalpha():
                self.by_length.setdefault(len(w), []).append(w)
        self._memo: dict[str, list[Correction]] = {}
        self._by_sound: dict[str, list[str]] | None = None   # built on first need

    def add(self, word: str) -> None:
        if word not in self.counts and len(word) >= MIN_LENGTH - 1 and word.isalpha():
            self.by_length.setdefault(len(word), []).append(word)
            if self._by_sound is not None:
                self._by_sound.setdefault(sound_key(word), []).append(word)

    def _sound_alikes(self, word: str) -> list[Correction]:
        if self._by_sound is None:
            by_sound: dict[str, list[str]] = {}
            for words in self.by_length.values():
                for w in words:
                    by_sound.setdefault(sound_key(w), []).append(w)
            self._by_sound = by_sound
        out = []
        for cand in self._by_sound.get(sound_key(word), ()):
            if abs(len(cand) - len(word)) <= 2 and OSA.distance(word, cand) <= SOUND_MAX_DISTANCE:
                out.append(Correction(cand, SOUND_EDITS, 1 - SOUND_EDITS / max(len(cand), len(word))))
        return out

    def correct(self, word: str, limit: int = 3) -> list[Correction]:
        """Vocabulary words within the edit budget of `word`, closest (then most frequent) first."""
        if word in self._memo:
            return self._memo[word]
        budget = max_edits(word)
        out: list[Correction] = []
        if budget and word.isalpha():
            for length in range(len(word) - budget, len(word) + budget + 1):
                choices = self.by_length.get(length)
                if not choices:
                    continue
                for cand, dist, _ in process.extract(word, choices, scorer=OSA.distance, score_cutoff=budget,
                                                     limit=limit * 2):
                    if cand[0] != word[0] and dist > 1:
                        continue  # two edits and a different first letter: too far
                    out.append(Correction(cand, int(dist), 1 - dist / max(len(cand), len(word))))
        if budget and word.isalpha() and (not out or all(_first_letter_changed(word, c.word) for c in out)):
            found = {c.word for c in out}
            out += [c for c in self._sound_alikes(word) if c.word not in found]
        def rank(c: Correction) -> tuple:
            # a changed first letter costs one more edit in the ranking (not in the edits reported)
            changed = _first_letter_changed(word, c.word)
            return c.edits + changed, changed, -self.counts.get(c.word, 0)
        out.sort(key=rank)
        out = out[:limit]
        if len(self._memo) > 100_000:
            self._memo.clear()
        self._memo[word] = out
        return out
