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


# Words of inability written several ways: "can't", "cannot", "can not", "couldn't" all become "cant", a
# content word, so that "can't sleep" keeps its meaning in a key instead of collapsing onto "sleep".
INABILITY = "cant"
# Words after which a single letter is a name's part: "vitamin D", "hepatitis A" (else "a", "d" are stop words)
LETTER_HEADS = frozenset({"vitamin", "hepatitis"})
# Phrasal-verb particles: stop words, but kept in a name's *particle key* after a content word ("worn out")
PARTICLES = frozenset({"up", "out", "off", "over", "down"})
# Words a lay phrase may hold or leave out without changing what it names ("my skin has turned yellow" ~
# "yellow skin", "feel worn out" ~ "worn out"): the linker's rewrites drop them from a span, and lay names
# are also keyed without them (core_key).
DROPPABLE = frozenset("""
turned turning turn become became becomes look looks looking feel feels feeling felt get gets getting
got keep keeps kept really very so all always constantly lot lots bit quite pretty too much since
after when whenever now often every everything constant
absolutely literally seriously properly proper
""".split())


def tokenize(text: str) -> list[Token]:
    """Tokens with offsets. Possessive "'s" is split off; "can't"/"cannot"/"can not"/"couldn't" are one
    token "cant"; a stop-word letter naming a variant ("vitamin D", "Hepatitis A") is kept in capitals."""
    folded = fold(text)
    matches = list(_TOKEN_RE.finditer(folded))
    out: list[Token] = []
    k = 0
    while k < len(matches):
        m = matches[k]
        word, start, end = m.group(), m.start(), m.end()
        nxt = matches[k + 1] if k + 1 < len(matches) else None
        gap = folded[end:nxt.start()] if nxt is not None else ""
        if nxt is not None and ((word in ("can", "couldn") and nxt.group() == "t" and gap == "'")
                                or (word == "can" and nxt.group() == "not" and gap.isspace())):
            out.append(Token(INABILITY, start, nxt.end(), text[start:nxt.end()]))
            k += 2
            continue
        if word == "cannot":
            out.append(Token(INABILITY, start, end, text[start:end]))
        elif len(word) == 1 and word in STOP_WORDS and out and _names_a_variant(out[-1], text[start:end],
                                                                                  folded[out[-1].end:start]):
            out.append(Token(word.upper(), start, end, text[start:end]))
        else:
            out.append(Token(singular(word), start, end, text[start:end]))
        k += 1
    return out


def _names_a_variant(prev: Token, raw: str, gap: str) -> bool:
    """Whether a one-letter stop word ("a", "d") right after `prev` names a variant: "vitamin D",
    "hepatitis a", "Type A" (a capital after a lower-case content word), not "I" or "A" in "GOT A COLD"."""
    if gap.strip(" -") or not gap:
        return False
    if prev.text in LETTER_HEADS:
        return True
    return raw.isupper() and raw != "I" and not prev.raw.isupper() and prev.text not in STOP_WORDS


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


def particle_key(words: list[str]) -> str:
    """The sorted key with phrasal-verb particles kept where they follow a content word ("worn out" ->
    "out worn", "throw up" -> "throw up"); "" when the words hold no such particle."""
    kept, found = [], False
    for n, w in enumerate(words):
        if w in PARTICLES and n > 0 and words[n - 1] not in STOP_WORDS:
            kept.append(w)
            found = True
        elif w not in STOP_WORDS:
            kept.append(w)
    return " ".join(sorted(kept)) if found else ""


def core_key(words: list[str]) -> str:
    """The key of a lay phrase without its DROPPABLE words ("feel worn out" -> "out worn"), when that
    leaves two words or more and differs from the sorted key; "" otherwise."""
    core = [w for w in words if w not in DROPPABLE]
    if len(core) == len(words):
        return ""
    key = particle_key(core) or sorted_key(core)
    return key if len(key.split()) >= 2 and key != sorted_key(words) else ""


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
