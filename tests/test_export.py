"""`kgqa export neo4j DIR`: CSV files for neo4j-admin import, checked against the graph they came from.

The first test reads the files back with the csv module (headers, row counts, values). The second plays
neo4j-admin's part on a real Bolt server (ArcadeDB): it creates nodes and relationships from the files by
their header types, then opens the Neo4j store on the result and finds the same graph as in SQLite.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import neo4j
import pytest

from kg.model import PREDICATES, Entity, Synonym
from kg.store.sqlite import SQLiteStore
from kgqa.cli import main
from kgqa.commands.export import HEADERS, NODE_FILES
from tests.store.test_store_contract import ENTITIES, FACTS, SOURCES

ODD = Entity("DOID:0000001", "Disease", 'the "odd", one', [Synonym("line one\nline two", "related", "x")],
             ["MESH:D000001", "DOID:0000001"], 'a description with "quotes", commas,\nand a newline', ["do"])


@pytest.fixture
def exported(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kg.sqlite'}"
    store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    store.set_sources(SOURCES)
    store.upsert_entities(ENTITIES + [ODD])
    store.upsert_facts(FACTS)
    store.set_meta("build_id", "test-build")
    store.close()
    out = tmp_path / "neo4j-import"
    assert main(["--store", url, "export", "neo4j", str(out), "--no-progress"]) == 0
    return url, out, capsys.readouterr().out


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_export_writes_headers_rows_and_the_import_command(exported):
    url, out, printed = exported
    for name, header in HEADERS.items():
        got, _ = _read(out / name)
        assert got == header
    assert _read(out / "entities.csv")[0][:2] == ["id:ID(Entity)", ":LABEL"]
    assert _read(out / "facts.csv")[0][:3] == [":START_ID(Entity)", ":END_ID(Entity)", ":TYPE"]

    _, entities = _read(out / "entities.csv")
    by_id = {e.id: e for e in ENTITIES + [ODD]}
    assert sorted(r[0] for r in entities) == sorted(by_id)
    odd = next(r for r in entities if r[0] == ODD.id)
    assert odd[4:6] == [ODD.name, ODD.description]                        # quotes, commas, newline survive
    assert odd[7].split(";") == ["MESH:D000001"]                          # own id is not an xref
    assert [s[0] for s in json.loads(odd[8])] == ["line one\nline two"]

    _, facts = _read(out / "facts.csv")
    expected = {f.id: f for f in FACTS}
    assert len(facts) == len(expected)
    for start, end, type_, fid, prov, nprov, sources in facts:
        f = expected[fid]
        assert (start, type_, end) == (f.subject, f.predicate, f.object)
        records = json.loads(prov)
        assert int(nprov) == len(records) == len(f.provenance)
        assert sorted(sources.split(";")) == sorted({p.source for p in f.provenance})
        assert [r["evidence"] for r in records] == [p.evidence for p in f.provenance]

    _, xrefs = _read(out / "xrefs.csv")
    assert len(xrefs) == sum(len({x for x in e.xrefs if x != e.id}) for e in by_id.values())
    _, terms = _read(out / "terms.csv")
    assert {r[3] for r in terms} == set(by_id)                            # every entity can be searched
    assert len(_read(out / "sources.csv")[1]) == len(SOURCES)
    assert ["build_id", "test-build"] in [r[2:] for r in _read(out / "meta.csv")[1]]

    assert "neo4j-admin database import full" in printed
    for name in NODE_FILES:
        assert f"--nodes={out.resolve() / name}" in printed
    assert f"--relationships={out.resolve() / 'facts.csv'} neo4j" in printed


def test_export_json_report(exported, capsys):
    url, out, _ = exported
    assert main(["--store", url, "export", "neo4j", str(out), "--json", "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"]["entities.csv"] == len(ENTITIES) + 1
    assert report["rows"]["facts.csv"] == len(FACTS)
    assert report["command"].startswith("neo4j-admin database import full")


def _cast(kind: str, raw: str):
    if kind == "int":
        return int(raw)
    if kind == "string[]":
        return raw.split(";")
    return raw


def _import_like_neo4j_admin(driver, database: str, directory: Path) -> None:
    """Create what neo4j-admin would from the files: properties typed by the header, empty fields absent."""
    for name in NODE_FILES:
        header, rows = _read(directory / name)
        label_col = header.index(":LABEL")
        props = [(i, *(h.split(":", 1) + ["string"])[:2]) for i, h in enumerate(header)
                 if i != label_col and not h.startswith(":")]
        by_label: dict[str, list[dict]] = {}
        for row in rows:
            values = {}
            for i, key, kind in props:
                key = key.split(":")[0]
                kind = "string" if kind.startswith("ID") else kind
                if row[i] != "":
                    values[key] = _cast(kind, row[i])
            by_label.setdefault(row[label_col], []).append(values)
        for label, items in by_label.items():
            assert label in {"Entity", "Term", "Xref", "Source", "Meta"}
            driver.execute_query(f"UNWIND $rows AS row CREATE (n:{label}) SET n = row", rows=items, database_=database)
    header, rows = _read(directory / "facts.csv")
    by_type: dict[str, list[dict]] = {}
    for start, end, type_, fid, prov, nprov, sources in rows:
        by_type.setdefault(type_, []).append({"s": start, "o": end, "id": fid, "prov": prov, "nprov": int(nprov),
                                              "sources": sources.split(";")})
    for type_, items in by_type.items():
        assert type_ in PREDICATES
        driver.execute_query(f"UNWIND $rows AS row MATCH (a:Entity {{id: row.s}}) MATCH (b:Entity {{id: row.o}}) "
                             f"CREATE (a)-[r:{type_}]->(b) SET r.id = row.id, r.prov = row.prov, "
                             "r.nprov = row.nprov, r.sources = row.sources", rows=items, database_=database)


@pytest.mark.neo4j
def test_exported_files_give_the_same_graph_on_a_bolt_server(request, exported):
    from kg.store.neo4j import Neo4jStore
    from tests.support.bolt_server import session_server
    url, out, _ = exported
    server = session_server(request.config)
    database = f"export{abs(hash(str(out))) % 10**8}"
    server.create_database(database)
    try:
        with neo4j.GraphDatabase.driver(server.url, auth=(server.user, server.password)) as driver:
            _import_like_neo4j_admin(driver, database, out)
        imported = Neo4jStore(server.url, user=server.user, password=server.password, database=database)
        original = SQLiteStore(url[len("sqlite:///"):])
        try:
            assert list(imported.iter_entities()) == list(original.iter_entities())
            assert list(imported.iter_facts()) == list(original.iter_facts())
            for text in ("high blood", "sugar diabetes", "tylenol", "odd one", "line two", "angiotensin"):
                assert [e.id for e in imported.search(text)] == [e.id for e in original.search(text)], text
            assert imported.resolve("MESH:D006973") == original.resolve("MESH:D006973")
            assert imported.stats().to_json() == original.stats().to_json()
            assert imported.version() == original.version()
        finally:
            imported.close()
            original.close()
    finally:
        server.drop_database(database)
