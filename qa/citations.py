"""Citations: numbering fact ids as [n], parsing an LLM's cited sentences, and checking each sentence
against the facts it cites.

The check is deliberately conservative: a sentence is kept only when it cites at least one fact, every
entity it names is an end of a cited fact, at least one such end is named, it does not negate the fact,
and its relation words fit a cited predicate.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from kg.model import Entity, Fact

_CITE_GROUP = re.compile(r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_NUMBER = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])|\n+")
_WORD = re.compile(r"[a-z0-9]+")


class Citer:
    """Numbers fact ids in the order they are first cited: the [n] of an answer is `order[n - 1]`."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self._index: dict[str, int] = {}

    def number(self, fact_id: str) -> int:
        if fact_id not in self._index:
            self.order.append(fact_id)
            self._index[fact_id] = len(self.order)
        return self._index[fact_id]

    def mark(self, *fact_ids: str) -> str:
        return "".join(f"[{self.number(f)}]" for f in fact_ids)


@dataclass
class ParsedSentence:
    text: str                                   # the sentence without its citation markers
    numbers: list[int] = field(default_factory=list)  # cited numbers as written by the model


def parse_cited_text(text: str) -> list[ParsedSentence]:
    """Split model output into sentences and the [n] markers each carries.

    Handles "[1][3]", "[1, 3]", markers placed after the full stop ("... diabetes. [2]"), and bullet lines.
    """
    text = text.replace("\r", "")
    pieces = [p for p in _SENTENCE_END.split(text) if p and p.strip()]
    out: list[ParsedSentence] = []
    for piece in pieces:
        piece = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s+", "", piece)  # bullet or list number
        lead = re.match(r"^\s*((?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]\s*)+)", piece)
        if lead and out:  # markers that belong to the previous sentence ("... X. [2] Next ...")
            out[-1].numbers.extend(int(n) for n in _NUMBER.findall(lead.group(1)))
            piece = piece[lead.end():]
        numbers: list[int] = []
        for group in _CITE_GROUP.finditer(piece):
            numbers.extend(int(n) for n in _NUMBER.findall(group.group(0)))
        clean = _CITE_GROUP.sub("", piece)
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        clean = re.sub(r"\s{2,}", " ", clean).strip()
        if not re.search(r"[A-Za-z]", clean):
            if out and numbers:
                out[-1].numbers.extend(numbers)
            continue
        out.append(ParsedSentence(clean, list(dict.fromkeys(numbers))))
    for s in out:
        s.numbers = list(dict.fromkeys(s.numbers))
    return out


# Relation words that can express each predicate (stems matched at word starts).
RELATION_CUES: dict[str, tuple[str, ...]] = {
    "treats": ("treat", "therap", "indicat", "used for", "used to", "prescrib", "medication", "drug", "manag"),
    "palliates": ("palliat", "reliev", "relief", "eases", "easing", "alleviat", "symptom", "used for", "used to", "treat"),
    "associated_with": ("associat", "link", "gene", "implicat", "related", "involv", "connected", "variant"),
    "has_phenotype": ("phenotyp", "feature", "sign", "symptom", "present", "characteri", "manifest", "has",
                      "have", "includ", "show", "cause"),
    "presents_symptom": ("symptom", "present", "sign", "manifest", "has", "have", "includ", "cause", "show"),
    "binds": ("bind", "bound", "target", "interact", "act on", "acts on", "inhibit", "block"),
    "localizes_to": ("locali", "affect", "occur", "found in", "located", "site", "involv", "in the"),
    "resembles": ("resembl", "similar", "like", "related"),
    "subclass_of": ("kind of", "type of", "form of", "subtype", "is a", "is an", "class", "categor", "belong"),
    "member_of_class": ("class", "member", "is a", "is an", "belong", "type of", "kind of", "categor"),
    "upregulates": ("upregulat", "up-regulat", "increas", "induc", "activat"),
    "downregulates": ("downregulat", "down-regulat", "decreas", "suppress", "reduc"),
    "expresses": ("express",),
    "interacts_with": ("interact", "bind"),
    "participates_in": ("participat", "involv", "pathway", "process"),
    "causes": ("cause", "lead", "result", "side effect", "adverse", "induc"),
}
# Words asserting a relation the graph's positive facts never state.
_CONTRARY = ("contraindicat", "worsen", "aggravat", "not recommended", "avoid", "dangerous", "toxic")
_NEGATION = re.compile(r"\b(?:not|no|never|cannot|can't|doesn't|don't|isn't|aren't|without|neither|nor)\b")


def _normal(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower())) + " "


def _mentions(sentence_norm: str, names: Iterable[str]) -> bool:
    for name in names:
        n = _normal(name)
        if len(n.strip()) >= 2 and n in sentence_norm:
            return True
    return False


def _has_cue(sentence_norm: str, cue: str) -> bool:
    stem = " " + " ".join(_WORD.findall(cue))
    if len(cue) <= 3:  # short cues ("has", "eas") must be whole words
        stem += " "
    return stem in sentence_norm


@dataclass
class SentenceCheck:
    supported: bool
    reason: str = ""


# A linker for sentences: text -> entities it names (the real entity linker in production).
SentenceLinker = Callable[[str], Sequence[Entity]]


def check_sentence(sentence: str, cited: Sequence[Fact], entities: dict[str, Entity],
                   link: SentenceLinker | None = None) -> SentenceCheck:
    """Is `sentence` supported by the facts it cites? `entities` maps ids to entities (names, synonyms)."""
    if not cited:
        return SentenceCheck(False, "cites no fact")
    norm = _normal(sentence)
    ends: set[str] = set()
    for f in cited:
        ends.update((f.subject, f.object))
    end_names = {e: entities[e].all_names() if e in entities else [e] for e in ends}
    if not any(_mentions(norm, names) for names in end_names.values()):
        return SentenceCheck(False, "names none of the cited facts' entities")
    if link is not None:
        allowed = set(ends)
        for e in ends:
            if e in entities:
                allowed.update(entities[e].xrefs)
        for ent in link(sentence):
            if ent.id not in allowed and not (set(ent.xrefs) & allowed):
                # a name that is also a synonym of a cited end counts as that end
                if _any_name_overlap(ent, [entities[e] for e in ends if e in entities]):
                    continue
                return SentenceCheck(False, f"names {ent.name!r}, which no cited fact involves")
    if _NEGATION.search(norm):
        return SentenceCheck(False, "negates what the cited facts state")
    if any(_has_cue(norm, c) for c in _CONTRARY):
        return SentenceCheck(False, "states a relation (contraindication, harm) no cited fact holds")
    predicates = {f.predicate for f in cited}
    if not any(_has_cue(norm, cue) for p in predicates for cue in RELATION_CUES.get(p, (p,))):
        return SentenceCheck(False, f"its relation words do not fit {', '.join(sorted(predicates))}")
    return SentenceCheck(True)


def _any_name_overlap(ent: Entity, ends: Sequence[Entity]) -> bool:
    mine = {_normal(n) for n in ent.all_names()}
    return any(_normal(n) in mine for e in ends for n in e.all_names())
