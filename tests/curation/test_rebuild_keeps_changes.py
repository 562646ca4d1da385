"""`kgqa build` re-applies curated changes on top of the rebuilt graph and reports conflicts."""
from __future__ import annotations

import os
import subprocess
import sys

from kg.curation import CurationService
from kg.curation.log import CurationLog
from kg.model import fact_id
from kg.store.sqlite import SQLiteStore
from kgqa.build import build_graph

EVIDENCE = {"source": "PubMed", "pmids": ["31675180"], "note": "case series"}


def test_rebuild_from_sources_keeps_curated_changes(tmp_path):
    graph = tmp_path / "kg.sqlite"
    home = tmp_path / "home"
    build_graph(f"sqlite:///{graph}", None, ["hpo"], progress=False)
    store = SQLiteStore(str(graph))
    fever = store.get_entity("HP:0001945")
    disease = next(e for e in store.search("Marfan syndrome", limit=5, types=["Disease"]))
    assert store.get_fact(fact_id(disease.id, "has_phenotype", fever.id)) is None
    service = CurationService(store, CurationLog(home / "curation.sqlite"))
    added = service.approve(service.propose("add_fact", {"subject": disease.id, "predicate": "has_phenotype",
                                                         "object": fever.id}, EVIDENCE, "alice").id, "bob")
    renamed = service.approve(service.propose("edit_entity", {"id": fever.id, "add_synonyms": [
        {"text": "burning up with heat", "kind": "layperson"}]}, {"note": "patient wording"}, "alice").id, "bob")
    new_entity = service.approve(service.propose("add_entity", {"id": "KGQA:0000001", "type": "Phenotype",
                                                                "name": "curated-only finding"},
                                                 {"note": "local term"}, "alice").id, "bob")
    service.log.close()
    store.close()

    env = {**os.environ, "KGQA_HOME": str(home), "KGQA_STORE": f"sqlite:///{graph}", "KGQA_CONFIG": "/nonexistent"}
    env.pop("KGQA_SOURCES_DIR", None)
    done = subprocess.run([sys.executable, "-m", "kgqa", "build", "--only", "hpo", "--no-progress"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "curation: re-applied 3 changes, 0 conflicts" in done.stdout

    rebuilt = SQLiteStore(str(graph))
    fact = rebuilt.get_fact(added.after["id"])
    assert fact is not None and fact.provenance[0].curator == "alice"
    assert "burning up with heat" in rebuilt.get_entity(fever.id).all_names()
    assert rebuilt.get_entity("KGQA:0000001") is not None
    assert rebuilt.get_meta("curation_version") == str(new_entity.seq)
    assert renamed.seq < new_entity.seq
    rebuilt.close()
