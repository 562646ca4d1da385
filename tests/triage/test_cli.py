"""`kgqa triage` and `kgqa eval triage` through the real command line."""
from __future__ import annotations

import io
import json

import pytest

from kgqa.cli import main
from tests.conftest import TEST_HOME


def test_bad_answer_flag_is_a_user_error(capsys):
    assert main(["triage", "cough", "--answer", "HP:0001945=maybe"]) == 2
    assert "yes or no" in capsys.readouterr().err


def test_missing_text_is_a_user_error(capsys):
    assert main(["triage"]) == 2
    assert "give a TEXT" in capsys.readouterr().err


@pytest.mark.slow
def test_triage_jsonl_and_json(full_graph, monkeypatch, capsys):
    monkeypatch.setenv("KGQA_HOME", str(TEST_HOME))      # reuse the session's linker cache
    monkeypatch.setattr("sys.stdin", io.StringIO(
        'I have crushing chest pain and sweating\n{"text": "sore throat", "answers": {"HP:0001945": true}}\n'))
    assert main(["--store", full_graph, "triage", "--jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    assert lines[0]["urgency"] == "emergency" and lines[0]["red_flags"]
    assert any(f["entity"]["id"] == "HP:0001945" and f["present"] for f in lines[1]["findings"])
    assert all(x["disclaimer"] for x in lines)


def test_jsonl_bad_line_names_the_line(tmp_path, monkeypatch, capsys):
    # the context loads lazily, so a malformed first line is reported before any graph is opened
    monkeypatch.setenv("KGQA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO('\n{"answers": {}}\ncough\n'))
    assert main(["--store", str(tmp_path / "none.sqlite"), "triage", "--jsonl"]) == 2
    assert "stdin line 2" in capsys.readouterr().err
