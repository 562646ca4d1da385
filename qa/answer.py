"""Answers grounded in the graph: retrieve facts, compose (extractively or with an LLM), cite, check.

    answerer = Answerer.from_settings(retriever, settings)
    answer = answerer.ask("what drugs treat hypertension?")          # extractive unless settings.llm is set
    answer = answerer.ask("does metformin treat hypertension?", llm="smollm2")
    answer.to_json()   # the `kgqa ask` contract (DESIGN.md)

Every sentence carries fact ids; `[n]` in the text is `citations[n - 1]` and `facts[n - 1]` (cited facts
come first in `facts`, in citation order, then the other retrieved facts). The LLM never blocks an answer:
when it is unreachable, slow, or says nothing the cited facts support, the extractive answer is returned
with a warning.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kg.model import Entity, Fact
from kgqa.settings import Settings
from qa import abstain
from qa.citations import Citer, check_sentence, parse_cited_text
from qa.extractive import EntityNames, ExtractiveComposer, Sentence, _strength
from qa.llm import LLMError, LLMSpec, build_llm, chat_with_timeout, parse_llm_name
from qa.prompt import NO_ANSWER, build_prompt
from retrieval.types import RetrievalResult, ScoredFact


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    entities: list[Entity] = field(default_factory=list)
    facts: list[ScoredFact] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    mode: str = "extractive"                 # extractive | llm
    llm_name: str | None = None
    disclaimer: str | None = None
    warnings: list[str] = field(default_factory=list)
    verdict: str | None = None               # yes | no for yes/no questions
    abstain_reason: str | None = None        # task | off_topic | not_recorded | no_entity | partial_entity | no_facts
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "entities": [e.to_json() for e in self.entities],
            "facts": [sf.to_json() for sf in self.facts],
            "citations": list(self.citations),
            "mode": self.mode,
            "llm": self.llm_name,
            "sentences": [s.to_json() for s in self.sentences],
            "verdict": self.verdict,
            "disclaimer": self.disclaimer,
            "warnings": list(self.warnings),
            "abstain_reason": self.abstain_reason,
        }


class Answerer:
    def __init__(self, retriever, settings: Settings | None = None, *, max_items: int = 10,
                 llm_max_new_tokens: int = 200, llm_prompt_facts: int = 12):
        self.retriever = retriever
        self.settings = settings or Settings()
        self.store = getattr(retriever, "store", None)
        self.linker = getattr(retriever, "linker", None)
        self.composer = ExtractiveComposer(self.store, max_items=max_items)
        self.llm_max_new_tokens = llm_max_new_tokens
        self.llm_prompt_facts = llm_prompt_facts
        self._llms: dict[LLMSpec, Any] = {}
        self._llm_lock = threading.Lock()

    @classmethod
    def from_settings(cls, retriever, settings: Settings) -> "Answerer":
        return cls(retriever, settings)

    # ---- the LLM backends, loaded once -----------------------------------------------------------
    def _llm_for(self, spec: LLMSpec):
        with self._llm_lock:
            if spec not in self._llms:
                tokens = 80 if spec.kind == "local" else self.llm_max_new_tokens
                try:
                    self._llms[spec] = build_llm(spec, self.settings, max_new_tokens=tokens)
                except LLMError:
                    raise
                except Exception as exc:  # a bad option for the backend (e.g. a malformed URL)
                    raise LLMError(f"could not set up {spec.name!r}: {exc}") from exc
            return self._llms[spec]

    # ---- answering --------------------------------------------------------------------------------
    def ask(self, question: str, llm: str | None = None, limit: int = 20) -> Answer:
        started = time.perf_counter()
        question = (question or "").strip()
        screen = abstain.screen_question(question)           # raises EmptyQuestionError on ""
        spec = parse_llm_name(llm, self.settings)            # raises UnknownLLMError on a bad name
        if screen.decline:
            return Answer(question, screen.decline, True, abstain_reason=screen.reason,
                          timings_ms={"total": _ms(started)})
        result: RetrievalResult = self.retriever.retrieve(question, limit=limit)
        retrieved = time.perf_counter()
        entities = result.entities
        timings = {"retrieve": _ms(started, retrieved)}
        if not entities:
            return Answer(question, abstain.no_entity_message(), True, abstain_reason="no_entity",
                          timings_ms={**timings, "total": _ms(started)})
        disclaimer = abstain.DISCLAIMER if abstain.is_clinical(screen, result.intent.predicates) else None
        if len(entities) == 1 and abstain.asks_about_two_things(question):
            # "does metformin treat zorblax disease?": answering about metformin alone would guess
            return Answer(question, abstain.one_side_only_message(entities[0]), True, entities=entities,
                          disclaimer=disclaimer, abstain_reason="partial_entity",
                          timings_ms={**timings, "total": _ms(started)})
        names = EntityNames(result, self.store)
        citer = Citer()
        composition = self.composer.compose(result, citer, names)
        if not composition.sentences or (not composition.cited and composition.verdict is None):
            return Answer(question, abstain.nothing_found_message(entities), True, entities=entities,
                          facts=list(result.facts), disclaimer=disclaimer, abstain_reason="no_facts",
                          timings_ms={**timings, "total": _ms(started)})
        answer = Answer(question, "", False, entities=entities, disclaimer=disclaimer,
                        verdict=composition.verdict)
        final_citer, sentences = citer, composition.sentences
        if spec is not None and composition.verdict == "no":
            answer.llm_name = spec.name   # a "no" rests on an absence no fact can be cited for
            answer.warnings.append("yes/no question answered 'no' from the graph; the LLM was not asked")
        elif spec is not None and result.facts:
            answer.llm_name = spec.name
            llm_started = time.perf_counter()
            try:
                llm_citer, llm_sentences = self._llm_sentences(spec, question, result, names, answer.warnings)
            except LLMError as exc:
                answer.warnings.append(f"LLM {spec.name!r} unavailable: {exc}; answered from the graph "
                                       "without it (extractive)")
                llm_sentences = []
            timings["llm"] = _ms(llm_started)
            kept = [s for s in llm_sentences if s.supported]
            if composition.verdict == "yes" and not set(composition.cited) & {f for s in kept for f in s.citations}:
                if kept:
                    answer.warnings.append("the LLM's answer did not cite the fact that answers the yes/no "
                                           "question; showing the extractive answer")
                kept, llm_sentences = [], []
            if kept:
                answer.mode = "llm"
                final_citer, sentences = llm_citer, llm_sentences
            elif llm_sentences:
                answer.warnings.append("no sentence of the LLM's answer was supported by the facts it cited; "
                                       "showing the extractive answer")
        for note in screen.notes:
            sentences = sentences + [Sentence(note, [])]
        answer.sentences = sentences
        answer.answer = " ".join(s.text for s in sentences if s.supported)
        answer.citations = list(dict.fromkeys(f for s in sentences if s.supported for f in s.citations))
        answer.facts = _order_facts(result.facts, final_citer.order, self.store)
        timings["total"] = _ms(started)
        answer.timings_ms = timings
        return answer

    def _llm_sentences(self, spec: LLMSpec, question: str, result: RetrievalResult, names: EntityNames,
                       warnings: list[str]) -> tuple[Citer, list[Sentence]]:
        llm = self._llm_for(spec)
        ranked = [sf.fact for sf in sorted(result.facts, key=_strength)]
        prompt = build_prompt(question, ranked, names, max_facts=self.llm_prompt_facts)
        timeout = max(5.0, float(self.settings.llm_timeout)) * 3
        text = chat_with_timeout(llm, prompt.messages(), timeout=timeout)
        citer = Citer()
        sentences: list[Sentence] = []
        link = self._sentence_linker()
        # the question's entities, and the narrower concepts retrieval answered for (subclass fallback)
        anchors = {e.id for e in result.entities}
        answer_types = set(result.intent.answer_types)
        for sf in result.facts:
            for end in (sf.fact.subject, sf.fact.object):
                if answer_types and names.type(end) not in answer_types:
                    anchors.add(end)
        for parsed in parse_cited_text(text):
            if parsed.text.strip().rstrip(".").lower().startswith(NO_ANSWER.lower()):
                continue
            bad = [n for n in parsed.numbers if not 1 <= n <= len(prompt.numbered)]
            cited: list[Fact] = [prompt.numbered[n - 1] for n in parsed.numbers if 1 <= n <= len(prompt.numbered)]
            check = check_sentence(parsed.text, cited, names.by_id | _ends(cited, names), link)
            if check.supported and anchors and not any({f.subject, f.object} & anchors for f in cited):
                check.supported, check.reason = False, "cites only facts about other entities than the question's"
            if bad:
                check.supported, check.reason = False, f"cites facts {bad} that the prompt does not list"
            body = parsed.text.rstrip(".!? ")
            if check.supported:
                marks = citer.mark(*[f.id for f in cited])
                text_out = f"{body} {marks}."
            else:
                text_out = f"{body}."
            sentences.append(Sentence(text_out, [f.id for f in cited] if check.supported else [],
                                      supported=check.supported))
            if not check.supported:
                warnings.append(f"dropped an unsupported LLM sentence ({check.reason}): {body!r}")
        return citer, sentences

    def _sentence_linker(self):
        linker = self.linker
        if linker is None or not hasattr(linker, "link"):
            return None

        def link(text: str) -> list[Entity]:
            return [m.entity for m in linker.link(text) if not m.negated]
        return link


def _ends(facts: list[Fact], names: EntityNames) -> dict[str, Entity]:
    out = {}
    for f in facts:
        for e in (f.subject, f.object):
            ent = names.get(e)
            if ent is not None:
                out[e] = ent
    return out


def _order_facts(facts: list[ScoredFact], cited_order: list[str], store) -> list[ScoredFact]:
    """Cited facts first, in citation order (so [n] is facts[n - 1]), then the other retrieved facts."""
    by_id = {sf.fact.id: sf for sf in facts}
    out = []
    for fid in cited_order:
        sf = by_id.get(fid)
        if sf is None and store is not None:  # cited from the store (yes/no check, path search)
            fact = store.get_fact(fid)
            if fact is not None:
                sf = ScoredFact(fact, 0.0, store.get_entity(fact.subject), store.get_entity(fact.object))
        if sf is not None:
            out.append(sf)
    seen = set(cited_order)
    out.extend(sf for sf in facts if sf.fact.id not in seen)
    return out


def _ms(start: float, end: float | None = None) -> float:
    return round(((end or time.perf_counter()) - start) * 1000, 2)

