"""The graph commands through the real `kgqa` entry point, in subprocesses."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def kgqa(*args: str, env_extra: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), KGQA_CONFIG="/nonexistent.toml")
    env.pop("KGQA_STORE", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "kgqa.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def small_graph(tmp_path_factory, sources_dir) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'kg.sqlite'}"
    r = kgqa("--store", url, "build", "--sources", str(sources_dir), "--only", "ddxplus", "drugbank",
             "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "built" in r.stdout and "ddxplus" in r.stdout
    return url


def test_build_json_report(tmp_path, sources_dir):
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    r = kgqa("--store", url, "build", "--sources", str(sources_dir), "--only", "ddxplus", "--no-progress", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["entities"] == 272 and report["sources"][0]["license"] == "CC BY 4.0"


def test_build_errors_are_clean(tmp_path):
    r = kgqa("--store", f"sqlite:///{tmp_path / 'g.sqlite'}", "build", "--sources", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = kgqa("--store", f"sqlite:///{tmp_path / 'g.sqlite'}", "build", "--only", "nonsense")
    assert r.returncode == 2 and "unknown source" in r.stderr
    bad = tmp_path / "src" / "ddxplus"
    bad.mkdir(parents=True)
    (bad / "release_conditions.json").write_text("{\n  oops\n}")
    (bad / "release_evidences.json").write_text("{}")
    r = kgqa("--store", f"sqlite:///{tmp_path / 'g.sqlite'}", "build", "--sources", str(tmp_path / "src"),
             "--only", "ddxplus", "--no-progress")
    assert r.returncode == 2 and "release_conditions.json, line 2" in r.stderr and "Traceback" not in r.stderr


def test_stats(small_graph):
    r = kgqa("--store", small_graph, "stats", "--json")
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert set(stats) >= {"entities", "facts", "by_source", "by_type", "by_predicate"}
    assert stats["by_source"]["drugbank"]["license"].startswith("CC0")
    assert stats["by_source"]["ddxplus"]["version"]
    assert stats["entities"] == 272 + 14315
    text = kgqa("--store", small_graph, "stats")
    assert "ddxplus" in text.stdout and "entities" in text.stdout


def test_entity(small_graph):
    r = kgqa("--store", small_graph, "entity", "DDXPLUS:anaphylaxis", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["entity"]["name"] == "Anaphylaxis" and "severity 1 of 5" in data["entity"]["description"]
    assert data["facts"] and all(f["sources"][0]["source"] == "ddxplus" for f in data["facts"])
    text = kgqa("--store", small_graph, "entity", "DB00945").stdout     # Hetionet-style bare id
    assert "Acetylsalicylic acid" in text and "Aspirin" in text
    missing = kgqa("--store", small_graph, "entity", "DOID:999999999")
    assert missing.returncode == 2 and "no entity" in missing.stderr


def test_search(small_graph):
    r = kgqa("--store", small_graph, "search", "aspirin", "--json", "--limit", "3")
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert hits[0]["id"] == "DRUGBANK:DB00945"
    r = kgqa("--store", small_graph, "search", "fever", "--type", "Compound")
    assert "DDXPLUS" not in r.stdout
    bad = kgqa("--store", small_graph, "search", "x", "--type", "Spaceship")
    assert bad.returncode == 2 and "unknown type" in bad.stderr


def test_sources(sources_dir):
    r = kgqa("sources", "--sources", str(sources_dir), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    names = {s["name"] for s in data["sources"]}
    assert {"hpo", "hetionet", "disease_ontology", "do_reports", "drugbank", "ddxplus"} <= names
    assert all(f["status"] == "present" for f in data["files"])
    assert all(len(f["sha256"]) == 64 and f["url"].startswith("https://") for s in data["sources"] for f in s["files"])
    verified = kgqa("sources", "--sources", str(sources_dir), "--verify")
    assert verified.returncode == 0 and "verified" in verified.stdout and "mismatch" not in verified.stdout


def test_sources_detects_a_changed_file(tmp_path, sources_dir):
    (tmp_path / "ddxplus").mkdir()
    (tmp_path / "ddxplus" / "release_conditions.json").write_text("{}")
    r = kgqa("sources", "--sources", str(tmp_path), "--verify")
    assert r.returncode == 1 and "mismatch" in r.stdout and "absent" in r.stdout


def test_build_takes_sources_from_the_environment(tmp_path, sources_dir):
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    r = kgqa("--store", url, "build", "--only", "ddxplus", "--no-progress",
             env_extra={"KGQA_SOURCES_DIR": str(sources_dir)})
    assert r.returncode == 0, r.stderr
    assert "272 entity records" in r.stdout
    r = kgqa("--store", url, "build", "--only", "ddxplus", "--no-progress", env_extra={"KGQA_SOURCES_DIR": ""})
    assert r.returncode == 2 and "no source could be imported" in r.stderr
