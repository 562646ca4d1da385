"""Text normalisation shared by the dictionary, the scanner and the evaluation.

A text becomes tokens with character offsets into the original string. Each token is folded (accents,
case), possessives and simple plurals are reduced, and two keys are derived from a token sequence:
the *ordered* key (content tokens in order) and the *sorted* key (content tokens sorted), so that
"pain in the chest" and "chest pain" meet on the same sorted key.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Function words dropped from keys. Negators ("no", "not", "without") are kept: they change meaning.
STOP_WORDS = frozenset("""
a an the of in on at to for with and or my me i im i'm is are am was were be been being it its this that
these those your you yours his her hers their our we they he she by from as do does did have has had
what which who whom how why when where can could should would will shall may might about any some
there here so very really just also than then too into onto upon over under up out off
all both each other such own same s t d ll ve re
""".split())

_IRREGULAR_PLURALS = {
    "feet": "foot", "teeth": "tooth", "children": "child", "men": "man", "women": "woman",
    "lice": "louse", "mice": "mouse", "geese": "goose", "people": "person", "indices": "index",
    "vertebrae": "vertebra", "bacteria": "bacterium", "fungi": "fungus", "stomata": "stoma",
}
# Endings that look plural but are not ("virus", "arthritis", "stress", "pancreas", "diabetes" is kept
# consistent on both sides, so it needs no exception).
_NOT_PLURAL_ENDINGS = ("ss", "us", "is", "os", "as", "ys")

_TOKEN_RE = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Token:
    text: str       # normalised form
    start: int      # offsets into the original text
    end: int
    raw: str        # the original characters

    @property
    def is_stop(self) -> bool:
        return self.text in STOP_WORDS


def _fold_char(c: str) -> str:
    if c.isascii():
        return c.lower()
    if c in "\u2019\u2018\u02bc":
        return "'"
    base = unicodedata.normalize("NFKD", c)[:1]
    return base.lower() if base.isascii() and base else " "


def fold(text: str) -> str:
    """Lower-case, strip accents and map curly quotes, keeping one character per input character."""
    return "".join(_fold_char(c) for c in text)


@lru_cache(maxsize=200_000)
def singular(word: str) -> str:
    """A light plural reduction; it only needs to be the same for dictionary names and for queries."""
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) < 4 or not word[-1] == "s" or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("aches"):
        return word[:-1]
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    if word.endswith(_NOT_PLURAL_ENDINGS):
        return word
    return word[:-1]


def tokenize(text: str) -> list[Token]:
    """Tokens with offsets. Possessive "'s" and contraction tails ("can't" -> "can", "t") are split off."""
    folded = fold(text)
    out: list[Token] = []
    for m in _TOKEN_RE.finditer(folded):
        word = m.group()
        out.append(Token(singular(word), m.start(), m.end(), text[m.start():m.end()]))
    return out


def content(tokens: list[Token] | list[str]) -> list[str]:
    words = [t.text if isinstance(t, Token) else t for t in tokens]
    return [w for w in words if w not in STOP_WORDS]


def ordered_key(words: list[str]) -> str:
    return " ".join(w for w in words if w not in STOP_WORDS)


def sorted_key(words: list[str]) -> str:
    return " ".join(sorted(w for w in words if w not in STOP_WORDS))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a normalised word: "swelled", "swelling" -> "swell";
    "urinate", "urination", "urine" -> "urin"."""
    return _stemmer().stem(word)


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.snowball import SnowballStemmer   # pure Python rules, no data download
    return SnowballStemmer("english")


def stem_key(sorted_key_: str) -> str:
    """A sorted key with every word stemmed (and sorted again): the dictionary's second, looser index."""
    return " ".join(sorted(stem(w) for w in sorted_key_.split()))


def keys_of(text: str) -> tuple[str, str]:
    """(ordered key, sorted key) of a whole name or phrase."""
    words = [t.text for t in tokenize(text)]
    return ordered_key(words), sorted_key(words)


def is_acronym(name: str) -> bool:
    """Short all-capital names ("MS", "ALL", "CAT", gene symbols) match only when written in capitals,
    so that everyday words ("all", "cat") do not link. Ones with digits ("BRCA1") are safe either way."""
    s = name.strip()
    letters = [c for c in s if c.isalpha()]
    if not letters or len(s) > 6 or " " in s:
        return False
    if any(c.isdigit() for c in s) and len(s) >= 4:
        return False
    return all(c.isupper() for c in letters)
