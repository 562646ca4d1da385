"""The prompt for the LLM path: the question's numbered facts and the rules for citing them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from kg.model import Fact
from qa.extractive import EntityNames, render_fact

SYSTEM = (
    "You answer questions about medicine using ONLY the numbered facts from a knowledge graph. "
    "Write at most {max_sentences} short sentences. End every sentence with the numbers of the facts "
    "that support it, in square brackets, like [1] or [2][3]. Name diseases, drugs and genes exactly as "
    "the facts name them, and use the facts' own relation words (treats, is associated with, has phenotype). "
    "Do not add anything the facts do not say: no dosages, no advice, no other drugs or diseases. "
    "If the facts do not answer the question, reply exactly: The graph does not answer this."
)
NO_ANSWER = "The graph does not answer this"
# One worked example (made-up facts, not from any evaluation set): small models copy its citation form.
EXAMPLE_USER = ("Facts:\n[1] aspirin treats headache\n[2] ibuprofen treats headache\n[3] aspirin binds PTGS1\n\n"
                "Question: what treats headache?")
EXAMPLE_ANSWER = "Aspirin treats headache [1]. Ibuprofen treats headache [2]."


@dataclass
class Prompt:
    system: str
    user: str
    numbered: list[Fact]        # numbered[k - 1] is the fact the prompt calls [k]

    def messages(self):
        from llama_index.core.llms import ChatMessage, MessageRole
        return [ChatMessage(role=MessageRole.SYSTEM, content=self.system),
                ChatMessage(role=MessageRole.USER, content=EXAMPLE_USER),
                ChatMessage(role=MessageRole.ASSISTANT, content=EXAMPLE_ANSWER),
                ChatMessage(role=MessageRole.USER, content=self.user)]

    def text(self) -> str:
        """Everything the model is sent (for counting tokens)."""
        return "\n\n".join((self.system, EXAMPLE_USER, EXAMPLE_ANSWER, self.user))


def fact_lines(facts: Sequence[Fact], names: EntityNames) -> list[str]:
    return [f"[{k}] {render_fact(f, names)}" for k, f in enumerate(facts, 1)]


def build_prompt(question: str, facts: Sequence[Fact], names: EntityNames, max_facts: int = 12,
                 max_sentences: int = 3) -> Prompt:
    numbered = list(facts[:max_facts])
    user = "Facts:\n" + "\n".join(fact_lines(numbered, names)) + f"\n\nQuestion: {question.strip()}\nAnswer:"
    return Prompt(SYSTEM.format(max_sentences=max_sentences), user, numbered)
