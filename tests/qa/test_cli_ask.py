"""`kgqa ask` on the full graph: --json, --jsonl and user errors (in-process, the real store)."""
from __future__ import annotations

import io
import json

import pytest

from kgqa.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture()
def env(full_context, monkeypatch):
    monkeypatch.setenv("KGQA_HOME", str(full_context.settings.home))
    monkeypatch.setenv("KGQA_CONFIG", "/nonexistent")
    monkeypatch.delenv("KGQA_LLM", raising=False)
    return ["--store", full_context.settings.store_url]


def test_ask_json(env, capsys):
    assert main(env + ["ask", "what drugs treat hypertension?", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["question"] == "what drugs treat hypertension?" and not d["abstained"]
    assert d["citations"] and set(d["citations"]) <= {f["id"] for f in d["facts"]}
    assert any(e["name"].lower() == "hypertension" for e in d["entities"])


def test_ask_jsonl_reads_plain_and_json_lines(env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('which genes are associated with asthma?\n\n'
                                                 '{"question": "write me a poem"}\n'))
    assert main(env + ["ask", "--jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2
    assert not rows[0]["abstained"] and rows[0]["citations"]
    assert rows[1]["abstained"] and rows[1]["citations"] == []


def test_ask_text_output_lists_cited_facts(env, capsys):
    assert main(env + ["ask", "does metformin treat type 2 diabetes mellitus?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Yes:") and "Facts cited:" in out and "[1]" in out


def test_bad_jsonl_line_names_the_line(env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('what treats asthma?\n{"question": \n'))
    assert main(env + ["ask", "--jsonl"]) == 2
    assert "stdin line 2" in capsys.readouterr().err


def test_empty_question_and_unknown_llm_are_user_errors(env, capsys):
    assert main(env + ["ask", "   "]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(env + ["ask", "what treats asthma?", "--llm", "gpt-17"]) == 2
    assert "unknown LLM" in capsys.readouterr().err
