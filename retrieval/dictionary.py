"""The exact name dictionary: every name and synonym of every entity under its normalised keys.

Entries are looked up by the *sorted* key (word order and stop words ignored); each entry remembers its
*ordered* key so that a match in the original word order can score higher. Short all-capital names
(acronyms, gene symbols) live in a separate case-sensitive table. The token vocabulary (every word of
every name) feeds the fuzzy matcher.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from kg.model import Entity
from retrieval.normalize import (core_key, is_acronym, keys_of, ordered_key, particle_key, sorted_key, stem_key,
                                 tokenize)

# How much a synonym kind is trusted, best first. "name" is the entity's preferred name; "vocabulary"
# is the project's lay vocabulary (data/lay_vocabulary.tsv): a deliberate choice of what a lay phrase
# means, so it wins ties against source names of unmerged duplicates ("earache" -> Ear pain, not MeSH).
KIND_RANK = {"vocabulary": -1, "name": 0, "exact": 1, "layperson": 1, "brand": 1, "related": 2}
# A disease named after a person: a capitalised surname, possessive or not, then "disease"/"syndrome"
EPONYM_NAME = re.compile(r"^[A-Z][a-z]{3,}(?:['\u2019]s|s')?\s+(?:disease|syndrome)$")
LAY_KINDS = ("layperson", "vocabulary")   # names also keyed without their filler words (normalize.core_key)
MAX_NGRAM = 10           # names longer than this (in content words) are not scanned for in running text
LAY_VOCABULARY = Path(__file__).resolve().parent.parent / "data" / "lay_vocabulary.tsv"


@dataclass
class Entry:
    entity: int          # index into NameTable.entity_ids
    kind: str            # name | exact | layperson | brand | related | vocabulary
    ordered: str         # ordered key of the name
    text: str            # the name as written
    n_words: int         # content words


@dataclass
class NameTable:
    entity_ids: list[str] = field(default_factory=list)
    entity_types: list[str] = field(default_factory=list)
    entity_names: list[str] = field(default_factory=list)
    index_of: dict[str, int] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    by_key: dict[str, list[int]] = field(default_factory=dict)
    by_stem: dict[str, list[int]] = field(default_factory=dict)   # stemmed sorted key -> entries
    acronyms: dict[str, list[int]] = field(default_factory=dict)
    token_counts: dict[str, int] = field(default_factory=dict)
    dead_entries: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)     # entity indexes removed since the build
    modifiers: set[int] = field(default_factory=set)   # entity indexes of clinical-modifier terms
    eponyms: dict[str, list[int]] = field(default_factory=dict)   # "alzheimer" -> "Alzheimer's disease" entries
    # entries whose name holds a phrasal-verb particle ("passing out"): found without it ("passing rocks") they
    # would name something else
    phrasal: set[int] = field(default_factory=set)
    # how often a word is written with a capital / in lower case inside a name (not as its first word):
    # surnames keep their capital ("Familial Alzheimer disease"), nouns do not ("congenital heart disease")
    capital_inside: dict[str, int] = field(default_factory=dict)
    lower_inside: dict[str, int] = field(default_factory=dict)

    # ---- building -------------------------------------------------------------------------------
    def add_entity(self, entity: Entity) -> int:
        """Add (or replace) an entity's names. Returns its index."""
        if entity.id in self.index_of:
            self.remove(entity.id)
        idx = len(self.entity_ids)
        self.entity_ids.append(entity.id)
        self.entity_types.append(entity.type)
        self.entity_names.append(entity.name)
        self.index_of[entity.id] = idx
        seen: set[tuple[str, str]] = set()
        self.add_name(idx, entity.name, "name", seen)
        for syn in entity.synonyms:
            self.add_name(idx, syn.text, syn.kind, seen)
        return idx

    def add_name(self, idx: int, text: str, kind: str, seen: set | None = None) -> None:
        text = text.strip()
        if not text or len(text) > 200:
            return
        if is_acronym(text):
            key = text.replace(".", "")
            if seen is not None and ("A", key) in seen:
                return
            if seen is not None:
                seen.add(("A", key))
            self.entries.append(Entry(idx, kind, key.lower(), text, 1))
            self.acronyms.setdefault(key, []).append(len(self.entries) - 1)
            return
        tokens = tokenize(text)
        words = [t.text for t in tokens]
        ordered, skey = ordered_key(words), sorted_key(words)
        for t in tokens[1:]:
            if t.raw[:1].isupper() and not t.raw.isupper():
                self.capital_inside[t.text] = self.capital_inside.get(t.text, 0) + 1
            elif t.raw.islower():
                self.lower_inside[t.text] = self.lower_inside.get(t.text, 0) + 1
        if not skey:
            return
        if seen is not None:
            if (skey, ordered) in seen:
                return
            seen.add((skey, ordered))
        n_words = len(skey.split())
        self.entries.append(Entry(idx, kind, ordered, text, n_words))
        eponym = EPONYM_NAME.match(text) if self.entity_types[idx] == "Disease" else None
        if eponym:   # "Crohn's disease" is also "Crohns" / "Crohn's" alone (see Linker._eponym_candidates)
            self.eponyms.setdefault(words[0], []).append(len(self.entries) - 1)
        self.by_key.setdefault(skey, []).append(len(self.entries) - 1)
        pkey = particle_key(words)
        if pkey:   # "worn out" is also found as "out worn", not only as "worn"
            self.by_key.setdefault(pkey, []).append(len(self.entries) - 1)
            self.phrasal.add(len(self.entries) - 1)
        ckey = core_key(words) if kind in LAY_KINDS else ""
        if ckey and ckey != pkey:   # "feel worn out" is also found as "worn out"
            self.by_key.setdefault(ckey, []).append(len(self.entries) - 1)
        if n_words >= 2:   # one-word stems are too loose ("passing out" keeps only "pass")
            self.by_stem.setdefault(stem_key(skey), []).append(len(self.entries) - 1)
        for w in set(skey.split()):
            self.token_counts[w] = self.token_counts.get(w, 0) + 1

    def remove(self, entity_id: str) -> bool:
        idx = self.index_of.pop(entity_id, None)
        if idx is None:
            return False
        self.removed.add(idx)
        return True

    def alive(self, entry_index: int) -> bool:
        return self.entries[entry_index].entity not in self.removed and entry_index not in self.dead_entries

    # ---- lookups --------------------------------------------------------------------------------
    def lookup(self, sorted_key: str) -> list[int]:
        return [e for e in self.by_key.get(sorted_key, ()) if self.alive(e)]

    def lookup_stem(self, sorted_key: str) -> list[int]:
        """Entries whose names have the same word stems: "my legs swelled" meets "leg swelling"."""
        if len(sorted_key.split()) < 2:
            return []
        return [e for e in self.by_stem.get(stem_key(sorted_key), ()) if self.alive(e)]

    def lookup_acronym(self, surface: str) -> list[int]:
        return [e for e in self.acronyms.get(surface.replace(".", ""), ()) if self.alive(e)]

    def is_surname(self, word: str) -> bool:
        """Whether names write the word with a capital inside them more often than in lower case."""
        return self.capital_inside.get(word, 0) > self.lower_inside.get(word, 0)

    def has_token(self, word: str) -> bool:
        return word in self.token_counts

    @property
    def max_words(self) -> int:
        return MAX_NGRAM


@dataclass
class VocabularyItem:
    phrase: str
    targets: list[str]
    why: str
    line: int


class VocabularyError(ValueError):
    """The lay vocabulary file is malformed; the message names the line."""


def read_lay_vocabulary(path: Path = LAY_VOCABULARY) -> list[VocabularyItem]:
    """phrase <TAB> target CURIEs ("|"-separated, first present wins) <TAB> why; '#' lines are comments."""
    items: list[VocabularyItem] = []
    if not Path(path).exists():
        return items
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#") or line.startswith("phrase\t"):
                continue
            cols = line.split("\t")
            if len(cols) != 3 or not cols[0].strip() or ":" not in cols[1]:
                raise VocabularyError(f"{path}:{n}: expected 'phrase<TAB>CURIE[|CURIE...]<TAB>why', got {line!r}")
            items.append(VocabularyItem(cols[0].strip(), [t.strip() for t in cols[1].split("|") if t.strip()],
                                        cols[2].strip(), n))
    return items


def add_vocabulary(table: NameTable, items: Iterable[VocabularyItem], resolve) -> int:
    """Add lay vocabulary phrases to the table; `resolve(curie) -> preferred id | None`. Returns how many
    phrases found a target in this graph."""
    added = 0
    for item in items:
        for target in item.targets:
            pid = resolve(target)
            if pid is not None and pid in table.index_of:
                table.add_name(table.index_of[pid], item.phrase, "vocabulary")
                added += 1
                break
    return added


def entity_keys(entity: Entity) -> set[str]:
    """Sorted keys of all of an entity's names (used by evaluations to compare by name)."""
    return {keys_of(n)[1] for n in entity.all_names()} - {""}


__all__ = ["NameTable", "Entry", "KIND_RANK", "read_lay_vocabulary", "add_vocabulary", "entity_keys",
           "VocabularyError", "tokenize"]
