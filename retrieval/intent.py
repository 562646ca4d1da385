"""What a question asks for: the kind of answer, the predicates that carry it, the types wanted.

Rules over the lower-cased question, tried in order; each rule names the predicates, the answer types and
the types expected for the entity the question is about. Phrasings covered: "what drugs treat X", "what
can I take for X", "what is X used for", "symptoms of X", "what causes X" (for a symptom), "genes linked
to X", "what does X bind", "where does X occur", "is X a kind of Y", "how is X related to Y", "what is X".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.types import Intent

DISEASE_LIKE = ["Disease", "Phenotype", "Symptom", "Finding"]
SYMPTOM_LIKE = ["Phenotype", "Symptom", "Finding"]
TREATMENT_PREDICATES = ["treats", "palliates"]
SYMPTOM_PREDICATES = ["has_phenotype", "presents_symptom"]

# Words that carry the question's relation, not its topic: dense linking ignores them.
QUESTION_WORDS = frozenset("""
what which who whom whose how why when where is are was were does do did can could should would will
drug drugs medication medications medicine medicines med meds treatment treatments treat treats treated
treating therapy therapies cure cures remedy remedies take taking taken prescribe prescribed pill pills
symptom symptoms sign signs feature features phenotype phenotypes manifestation manifestations cause
causes caused causing gene genes genetic gene associated association associations linked link links
related relate relation relationship relationships connected connection between bind binds binding target
targets protein proteins disease diseases condition conditions disorder disorders illness illnesses
kind type class sort define definition meaning mean means tell explain about know list show give name
used use uses good best help helps helpful effective option options for of the a an with and or to in on
me my i you your it this that these those there any some have has had get got please thanks thank
similar resemble resembles like anatomy organ organs tissue tissues body part parts where located occur
occurs affect affects affected involve involves involved effect effects side happens happen
""".split())


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern
    kind: str
    predicates: tuple[str, ...]
    answer_types: tuple[str, ...]
    subject_types: tuple[str, ...]


def _r(name, pattern, kind, predicates, answer_types, subject_types) -> _Rule:
    return _Rule(name, re.compile(pattern), kind, tuple(predicates), tuple(answer_types), tuple(subject_types))


_DRUG = r"(drugs?|medications?|medicines?|meds|pills?|treatments?|therap(y|ies)|cures?|remed(y|ies)|compounds?|antibiotics?|tablets?)"
_TREAT = r"(treat|treats|treated|treating|cure|cures|help|helps|for|against|manage|control|relieve|relieves)"
_SYMPTOMS = r"(symptoms?|signs?|phenotypes?|features?|manifestations?|presentations?|clinical picture|what happens)"
_GENES = r"(genes?|genetic|genetics|mutations?|variants?|hereditary|inherited|dna)"
_DISEASES = r"(diseases?|conditions?|disorders?|illness(es)?|syndromes?|problems?)"

RULES: list[_Rule] = [
    # two entities and a relation question -> paths
    _r("path", r"\b(how|in what way)\b.*\b(related|connected|linked|associated)\b.*\b(to|with|and)\b|"
               r"\b(relationship|relation|connection|link|links)\b.*\bbetween\b|\bwhat (links|connects)\b",
       "path", [], [], []),
    # "what is metformin used for", "what does aspirin treat", "what is X prescribed for"
    _r("drug_uses", r"\b(what|which)\b.*\b(is|are|does|do)\b.*\b(used|prescribed|given|taken|good)\b.*\bfor\b|"
                    r"\bwhat (does|do|can)\b.*\b(treat|cure|help)\b\s*\??$|\b(uses|indications?)\b\s+(of|for)\b",
       "facts", TREATMENT_PREDICATES, ["Disease", "Phenotype", "Symptom"], ["Compound"]),
    _r("drug_class", r"\b(class|classes|category|kind of drug|type of drug|drug class)\b",
       "facts", ["member_of_class"], ["PharmacologicClass"], ["Compound"]),
    _r("targeting_drugs", rf"\b(what|which)\b.*\b{_DRUG}\b.*\b(target|targets|bind|binds|inhibit|inhibits|act on|acts on)\b",
       "facts", ["binds"], ["Compound"], ["Gene"]),
    _r("binds", r"\b(bind|binds|binding|target|targets|targeted|act on|acts on|mechanism|receptors?|proteins?)\b",
       "facts", ["binds"], ["Gene"], ["Compound"]),
    # "what drugs treat X", "what can I take for X", "how do you treat X", "medication for X"
    _r("treatments", rf"\b{_DRUG}\b|\bwhat can (i|you|we|he|she|they) (take|use|do)\b|\bhow (do|can|should|to)\b.*\btreat"
                     rf"|\b(treat|treated|treatment|cure|cured|manage|managed)\b|\bwhat helps\b|\bget rid of\b",
       "facts", TREATMENT_PREDICATES, ["Compound"], ["Disease", "Phenotype", "Symptom"]),
    _r("genes", rf"\b{_GENES}\b", "facts", ["associated_with"], ["Gene"], ["Disease"]),
    # "what phenotypes does Marfan syndrome have", "which signs ...": the asked-for word comes first, so a
    # disease name that ends in "syndrome" later on does not make it a causes question
    _r("symptoms_asked_first", rf"^\s*(what|which|list|name|show)\b(\s+(are|is|were|the|all|main|common|usual|typical|"
                               rf"some|of|me))*\s+{_SYMPTOMS}\b(?!.*\b(cause|causes|causing|lead to|leads to)\b)",
       "facts", SYMPTOM_PREDICATES, ["Phenotype", "Symptom"], ["Disease"]),
    # "what diseases cause fever", "what could cause a headache", "why do I have X"
    _r("causes_of_symptom", rf"\b(what|which)\b.*\b{_DISEASES}?\b.*\b(cause|causes|causing|lead to|leads to|give|gives)\b|"
                            rf"\bwhat (could|might|can) (be )?caus|\bcauses? of\b|\bwhy (do|does|am|is) |"
                            rf"\b{_DISEASES}\b.*\b(with|have|has|present(s|ing)? with)\b|\bcould (it|this|that) be\b",
       "facts", SYMPTOM_PREDICATES, ["Disease"], SYMPTOM_LIKE),
    _r("symptoms", rf"\b{_SYMPTOMS}\b|\bwhat does .* (look|feel) like\b|\bhow (do|would) (i|you) know if\b",
       "facts", SYMPTOM_PREDICATES, ["Phenotype", "Symptom"], ["Disease"]),
    _r("anatomy", r"\b(where|which|what) (part|parts|organs?|tissues?)\b|\bwhere (in|on) the body\b|\b(localizes?|located|affects? which)\b|"
                  r"\bwhich (organs?|tissues?|body parts?)\b|\bwhere does\b",
       "facts", ["localizes_to"], ["Anatomy"], ["Disease"]),
    _r("resembles", r"\b(similar|resembles?|resembling|like|mistaken for|confused with|related diseases|alike)\b",
       "facts", ["resembles"], ["Disease"], ["Disease"]),
    _r("subclass", r"\b(kind|type|form|subtype|subtypes|types|kinds|forms) of\b|\bis .* a (kind|type|form)\b",
       "facts", ["subclass_of"], [], []),
]

_YES_NO_START = re.compile(r"^\s*(is|are|does|do|did|can|could|should|will|would|has|have|was|were|may|might)\b")
_DEFINITION = re.compile(r"^\s*(what|who)\s*(is|are|'s)\s+(an?\s+|the\s+)?[\w' -]+\??\s*$|\b(define|definition of|meaning of|"
                         r"tell me about|explain|describe|information (on|about)|what do you know about)\b")


def parse_intent(question: str) -> Intent:
    q = " ".join(question.lower().replace("\u2019", "'").split())
    yes_no = bool(_YES_NO_START.match(q))
    for rule in RULES:
        if rule.pattern.search(q):
            if rule.kind == "path":
                return Intent("path", [], [], [])
            kind = "yes_no" if yes_no else rule.kind
            return Intent(kind, list(rule.predicates), list(rule.answer_types), list(rule.subject_types))
    if yes_no:
        return Intent("yes_no", [], [], [])
    if _DEFINITION.search(q):
        return Intent("definition", [], [], [])
    return Intent("unknown", [], [], [])
