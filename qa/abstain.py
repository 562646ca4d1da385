"""When to decline, and the medical framing of answers.

`screen_question` runs before retrieval and declines requests that are not questions about the graph's
domain (creative writing, prices, weather ...) or that ask for something the graph never records
(half-lives, who discovered a drug ...). It also flags clinical questions (they get a disclaimer) and
dosing or personal-advice questions (they get the facts plus a plain note that the graph holds no dosing
information or advice). The cue lists describe the graph's schema, not any evaluation question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.model import Entity
from qa.extractive import YES_NO_START

DISCLAIMER = ("This answer restates facts from a research knowledge graph; it is not medical advice. "
              "Ask a clinician or pharmacist before starting, stopping or changing a treatment.")
NO_DOSING = "The graph holds no dosing information."
NO_ADVICE = "The graph cannot say what is right for a particular person."
SCOPE = "diseases, symptoms, phenotypes, drugs, drug classes, drug targets and genes"


class EmptyQuestionError(ValueError):
    """The question is empty or has no words."""


def _rx(*words: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


# Requests for a piece of writing or a task, not a question about the graph.
_TASKS = _rx(r"poem", r"poems", r"poetry", r"song", r"lyrics", r"haiku", r"limerick", r"joke", r"jokes",
             r"essay", r"novel", r"short story", r"story", r"tweet", r"email", r"cover letter",
             r"write (?:me )?(?:some |a |the )?(?:code|program|script|function)", r"translate",
             r"play a game", r"role-?play", r"pretend")
# Topics the graph has nothing on, with the phrase used when declining.
_OFF_TOPICS: list[tuple[re.Pattern, str]] = [
    (_rx(r"stocks?", r"share price", r"stock price", r"market cap\w*", r"invest(?:ing|ment|ments|or|ors)?", r"bitcoin", r"crypto\w*",
         r"dividends?", r"nasdaq", r"earnings"), "markets or finance"),
    (_rx(r"prices?", r"costs?", r"how much (?:is|does|do) .* (?:cost|charge)", r"cheap\w*", r"expensive",
         r"insurance", r"coupon"), "prices or costs"),
    (_rx(r"weather", r"forecast", r"temperature outside", r"rain tomorrow"), "the weather"),
    (_rx(r"football", r"soccer", r"basketball", r"baseball", r"world cup", r"super bowl", r"olympics"), "sports"),
    (_rx(r"movies?", r"films?", r"tv shows?", r"netflix", r"celebrit\w*", r"actors?", r"singers?"), "entertainment"),
    (_rx(r"elections?", r"president", r"prime minister", r"politic\w*", r"senat\w*"), "politics"),
    (_rx(r"recipes?", r"cook\w*", r"bake", r"restaurants?"), "cooking"),
    (_rx(r"capital of", r"population of", r"what time is it", r"time zone", r"flights?", r"hotels?"),
     "general knowledge or travel"),
]
# Properties of drugs and diseases that no source in the graph records.
_NOT_RECORDED: list[tuple[re.Pattern, str]] = [
    (_rx(r"half-?li(?:fe|ves)", r"pharmacokinetic\w*", r"bioavailability", r"clearance"), "pharmacokinetics"),
    (_rx(r"who (?:discovered|invented|developed|found)", r"discovered by", r"invented", r"inventor",
         r"(?:the|its) history of", r"when was .* (?:discovered|approved|invented)"), "history or discovery"),
    (_rx(r"manufactur\w*", r"made by", r"who makes", r"company", r"brand names?"), "manufacturers or brands"),
    (_rx(r"survival rate", r"life expectancy", r"prevalence", r"incidence", r"how common", r"how many people",
         r"mortality"), "epidemiology"),
]
_DOSING = _rx(r"dos(?:e|es|age|ages|ing)", r"mg", r"milligrams?", r"how many (?:pills|tablets|capsules)",
              r"how much .* (?:take|give)", r"how often should", r"overdose", r"maximum daily")
_ADVICE = _rx(r"should i", r"can i (?:stop|start|mix|drink|combine)", r"is it safe", r"safe (?:for|to)",
              r"my (?:doctor|child|son|daughter|baby|wife|husband|mother|father|mom|dad)", r"i(?:'m| am) pregnant",
              r"should my")
_PERSONAL = _rx(r"i have", r"i've got", r"i feel", r"i(?:'m| am) (?:having|feeling|suffering)", r"my \w+ hurts?")
_CLINICAL_WORDS = _rx(r"treat\w*", r"therap\w*", r"cure\w*", r"medicines?", r"medications?", r"drugs?",
                      r"take for", r"symptoms?", r"signs?", r"diagnos\w*", r"prescri\w*", r"pills?", r"remed\w*")
CLINICAL_PREDICATES = {"treats", "palliates", "presents_symptom", "has_phenotype"}


@dataclass
class Screen:
    decline: str | None = None        # a plain decline, when the request is out of scope
    reason: str | None = None         # machine-readable: task | off_topic | not_recorded
    clinical: bool = False
    dosing: bool = False
    advice: bool = False
    notes: list[str] = field(default_factory=list)  # sentences appended to an answer (dosing, advice)


def screen_question(question: str) -> Screen:
    """Look at the wording of a question before anything is retrieved."""
    if not question or not re.search(r"\w", question):
        raise EmptyQuestionError("the question is empty: ask about a disease, drug, gene or symptom")
    if _TASKS.search(question):
        return Screen(decline=("I only answer questions about the biomedical knowledge graph "
                               f"({SCOPE}); I can't help with that request."), reason="task")
    for pattern, topic in _OFF_TOPICS:
        if pattern.search(question):
            return Screen(decline=(f"The knowledge graph holds nothing on {topic}; I can only answer "
                                   f"questions about {SCOPE}."), reason="off_topic")
    for pattern, topic in _NOT_RECORDED:
        if pattern.search(question):
            return Screen(decline=(f"The knowledge graph records no {topic}; it holds relations between "
                                   f"{SCOPE}, so I can't answer this from it."), reason="not_recorded")
    s = Screen()
    s.dosing = bool(_DOSING.search(question))
    s.advice = bool(_ADVICE.search(question))
    s.clinical = s.dosing or s.advice or bool(_PERSONAL.search(question)) or bool(_CLINICAL_WORDS.search(question))
    if s.dosing:
        s.notes.append(NO_DOSING)
    if s.advice:
        s.notes.append(NO_ADVICE)
    return s


def is_clinical(screen: Screen, predicates: list[str]) -> bool:
    return screen.clinical or bool(CLINICAL_PREDICATES & set(predicates))


def no_entity_message() -> str:
    return ("I found no disease, drug, gene or symptom from the knowledge graph in this question, so the "
            "graph cannot answer it. Try naming the condition or drug, e.g. \"what drugs treat asthma?\".")


# After a yes/no opening, a word relating two things: "does X treat Y?", "is X a Y?", "can X cause Y?"
_RELATION_WORD = re.compile(r"\b(?:treat\w*|cause\w*|bind\w*|a|an|associated|linked|related|used|for|with|in|of|"
                            r"target\w*|lead\w*|give\w*|help\w*|affect\w*|symptom\w*|sign\w*)\b.+", re.IGNORECASE)


def asks_about_two_things(question: str) -> bool:
    """A yes/no question relating two things (a one-entity one such as "is metformin safe?" is not)."""
    start = YES_NO_START.match(question)
    return start is not None and _RELATION_WORD.search(question, start.end() + 1) is not None


def one_side_only_message(entity: Entity) -> str:
    return (f"Only {entity.name} was found in the graph; the other thing this question names was not, so the "
            "graph cannot say whether the two are related. Check the spelling, or use another name for it.")


def nothing_found_message(entities: list[Entity]) -> str:
    names = ", ".join(e.name for e in entities[:3])
    return f"The graph holds no facts about {names} that answer this question."
