"""`kgqa curation` end to end through the real command on a real SQLite graph."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from kg.model import fact_id
from kg.store.sqlite import SQLiteStore
from tests.curation.test_curation_service import base_graph


def kgqa(tmp_path, *args, check=True):
    env = {**os.environ, "KGQA_HOME": str(tmp_path / "home"), "KGQA_STORE": f"sqlite:///{tmp_path / 'kg.sqlite'}",
           "KGQA_CONFIG": "/nonexistent"}
    proc = subprocess.run([sys.executable, "-m", "kgqa", *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_propose_approve_export_via_cli(tmp_path):
    store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    base_graph(store)
    store.close()
    payload = json.dumps({"subject": "DRUGBANK:DB00331", "predicate": "treats", "object": "DOID:10763"})
    proposal = json.loads(kgqa(tmp_path, "curation", "propose", "add_fact", payload, "--by", "alice",
                               "--pmid", "12345678").stdout)
    refused = kgqa(tmp_path, "curation", "approve", str(proposal["id"]), "--by", "alice", check=False)
    assert refused.returncode == 2 and "cannot approve their own" in refused.stderr
    assert "Traceback" not in refused.stderr
    approved = json.loads(kgqa(tmp_path, "curation", "approve", str(proposal["id"]), "--by", "bob").stdout)
    assert approved["graph_version"] == 1
    audit = json.loads(kgqa(tmp_path, "curation", "audit", "--entity", "DOID:10763").stdout)
    assert [c["change_id"] for c in audit] == [approved["change_id"]]
    kgqa(tmp_path, "curation", "export", str(tmp_path / "changes.jsonl"))
    assert len((tmp_path / "changes.jsonl").read_text().splitlines()) == 1
    bad = kgqa(tmp_path, "curation", "propose", "add_fact", "{not json", "--by", "x", check=False)
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr
    store = SQLiteStore(str(tmp_path / "kg.sqlite"))
    assert store.get_fact(fact_id("DRUGBANK:DB00331", "treats", "DOID:10763")) is not None
    store.close()
