"""The build pipeline on real sources: sizes, sources with license and version, determinism, atomicity."""
from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.importers import Importer, ImportFormatError
from kg.model import Entity, SourceInfo
from kg.store import open_store
from kgqa import build as build_mod
from kgqa.build import BuildError, build_graph

REPO = Path(__file__).resolve().parents[2]


def test_full_graph_size_and_sources(full_graph):
    with open_store(full_graph) as store:
        stats = store.stats()
        assert stats.entities >= 60_000
        assert stats.facts >= 300_000
        licensed = {name: d for name, d in stats.by_source.items() if d["license"] and d["version"] and d["facts"] + d["entities"]}
        assert len(licensed) >= 5, stats.by_source
        assert {"hpo", "hetionet", "disease_ontology", "do_reports", "drugbank", "ddxplus"} <= set(licensed)
        assert stats.by_predicate["treats"] >= 700
        assert store.get_meta("build_id") and store.get_meta("built_at")
        assert "hetionet" in store.get_meta("sources")
        infos = {s.name: s for s in store.sources()}
        assert infos["hpo"].attribution and infos["hetionet"].url.startswith("https://")


def test_build_id_is_a_content_hash(tmp_path, sources_dir):
    a = build_graph(f"sqlite:///{tmp_path / 'a.sqlite'}", sources_dir, ["ddxplus"], progress=False)
    b = build_graph(f"sqlite:///{tmp_path / 'b.sqlite'}", sources_dir, ["ddxplus"], progress=False)
    c = build_graph(f"sqlite:///{tmp_path / 'c.sqlite'}", sources_dir, ["ddxplus", "drugbank"], progress=False)
    assert a.build_id == b.build_id != c.build_id
    assert a.entities == 272 and a.facts == 888


def test_absent_sources_are_skipped_with_a_message(tmp_path, sources_dir):
    src = tmp_path / "src"
    src.mkdir()
    (src / "ddxplus").symlink_to(sources_dir / "ddxplus")
    messages = []
    report = build_graph(f"sqlite:///{tmp_path / 'g.sqlite'}", src, ["ddxplus", "hetionet"],
                         progress=False, log=messages.append)
    assert {s.name: s.status for s in report.sources} == {"ddxplus": "built", "hetionet": "skipped"}
    assert any("hetionet" in m and "missing" in m for m in messages)
    with pytest.raises(BuildError, match="no source could be imported"):
        build_graph(f"sqlite:///{tmp_path / 'h.sqlite'}", src, ["hetionet"], progress=False, log=messages.append)


def test_skipped_rows_are_reported(monkeypatch, tmp_path):
    from kg.importers import hpo
    hpoa = tmp_path / "phenotype.hpoa"
    header = ("database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\t"
              "modifier\taspect\tbiocuration\n")
    row = "OMIM:1\tD\t{q}\tHP:000000{n}\tPMID:1\tPCS\t\t\t\t\tP\tx\n"
    hpoa.write_text(header + row.format(q="", n=1) + row.format(q="NOT", n=2) + row.format(q="NOT", n=3))
    monkeypatch.setattr(hpo.IMPORTER, "locate", lambda d: {"hpoa": hpoa})
    monkeypatch.setattr(hpo.IMPORTER, "records",
                        lambda files, skipped: hpo.iter_annotations(files["hpoa"], hpo.Provenance("hpo"), skipped))
    monkeypatch.setattr(hpo.IMPORTER, "info", lambda files: SourceInfo("hpo"))
    _, facts, _, reports = build_mod.import_sources([hpo.IMPORTER], None, False, log=lambda m: None)
    assert reports[0].notes == {"NOT-qualified annotations": 2}
    assert [(f.subject, f.object) for f in facts] == [("OMIM:1", "HP:0000001")]


def test_unknown_source_name(tmp_path):
    with pytest.raises(BuildError, match="unknown source"):
        build_graph(f"sqlite:///{tmp_path / 'g.sqlite'}", None, ["nope"], progress=False)


def test_importer_failing_midstream_leaves_old_graph(tmp_path, sources_dir, monkeypatch):
    target = tmp_path / "kg.sqlite"
    old = build_graph(f"sqlite:///{target}", sources_dir, ["ddxplus"], progress=False)

    def broken_records(files):
        yield Entity("DOID:1", "Disease", "one", sources=["broken"])
        raise ImportFormatError("broken.tsv", 2, "expected 4 fields, found 1")

    broken = Importer("broken", "a broken source", locate=lambda d: {}, info=lambda f: SourceInfo("broken"),
                      records=broken_records)
    monkeypatch.setattr(build_mod, "get_importers", lambda: {"broken": broken})
    with pytest.raises(ImportFormatError, match="broken.tsv, line 2"):
        build_graph(f"sqlite:///{target}", sources_dir, None, progress=False)
    with open_store(f"sqlite:///{target}") as store:
        assert store.get_meta("build_id") == old.build_id
        assert store.stats().entities == old.entities


def test_build_killed_midway_leaves_old_graph_readable(tmp_path, sources_dir):
    target = tmp_path / "kg.sqlite"
    old = build_graph(f"sqlite:///{target}", sources_dir, ["ddxplus"], progress=False)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = ("import sys; from kgqa.build import build_graph; "
            f"build_graph({f'sqlite:///{target}'!r}, {str(sources_dir)!r}, ['hetionet'], progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pattern = str(tmp_path / ".kg.sqlite.building-*.sqlite")
    deadline = time.monotonic() + 240
    try:
        while not glob.glob(pattern):            # wait until it is writing the new database file
            assert proc.poll() is None, "the build finished before it could be killed"
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.02)
        time.sleep(0.1)                          # mid-load: entities and facts going in
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with open_store(f"sqlite:///{target}") as store:                 # the old graph, intact
        assert store.get_meta("build_id") == old.build_id
        assert store.stats().entities == old.entities
        assert store.get_entity("DDXPLUS:anaphylaxis") is not None
    # the next build cleans up the killed build's temporary file
    build_graph(f"sqlite:///{target}", sources_dir, ["ddxplus"], progress=False)
    assert not glob.glob(pattern)


def test_kgx_graph_from_the_docs_merges_with_drugbank(tmp_path, sources_dir):
    src = tmp_path / "src"
    (src / "kgx").mkdir(parents=True)
    (src / "drugbank").symlink_to(sources_dir / "drugbank")
    (src / "kgx" / "nodes.tsv").write_text(
        "id\tcategory\tname\tsynonym\txref\n"
        "MONDO:0005044\tbiolink:Disease\thypertension\thigh blood pressure\tUMLS:C0020538\n"
        "CHEBI:15365\tbiolink:SmallMolecule\taspirin\tacetylsalicylic acid\tDRUGBANK:DB00945\n")
    (src / "kgx" / "edges.tsv").write_text(
        "subject\tpredicate\tobject\tpublications\n"
        "CHEBI:15365\tbiolink:ameliorates_condition\tMONDO:0005044\tPMID:123\n")
    url = f"sqlite:///{tmp_path / 'g.sqlite'}"
    build_graph(url, src, ["drugbank", "kgx"], progress=False)
    with open_store(url) as store:
        assert store.resolve("CHEBI:15365") == "DRUGBANK:DB00945"
        facts = store.facts("DRUGBANK:DB00945", predicates=["palliates"])
        assert [(f.object, f.provenance[0].evidence["pmids"]) for f in facts] == [("MONDO:0005044", ["123"])]
        assert store.stats().by_source["kgx"]["facts"] == 1
