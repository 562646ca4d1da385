"""Spelling correction of single words against the dictionary's vocabulary ("metfromin" -> "metformin").

Only words absent from the vocabulary and long enough are corrected (5+ letters: one edit; 8+: two),
with optimal string alignment distance (a swap of two letters is one edit). Candidates come from the
vocabulary words of similar length, scored in C by rapidfuzz.
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_LENGTH = 5


@dataclass(frozen=True)
class Correction:
    word: str           # the vocabulary word
    edits: int          # OSA distance
    similarity: float   # 1 - edits / max(len)


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

    def add(self, word: str) -> None:
        if word not in self.counts and len(word) >= MIN_LENGTH - 1 and word.isalpha():
            self.by_length.setdefault(len(word), []).append(word)

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
        out.sort(key=lambda c: (c.edits, -self.counts.get(c.word, 0)))
        out = out[:limit]
        if len(self._memo) > 100_000:
            self._memo.clear()
        self._memo[word] = out
        return out
