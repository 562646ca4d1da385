"""What only the SQLite store promises: the file (WAL, schema version, errors), read-only use, threads,
the bulk load and the limits of its path search."""
from __future__ import annotations

import gc
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kg.model import Fact, Provenance
from kg.store import open_store
from kg.store.base import StoreError
from kg.store.sqlite import SCHEMA_VERSION, SQLiteStore, _safe, fts_query, normalise_name
from tests.store.test_store_contract import (DM, ENTITIES, FACTS, HTN, INS, METFORMIN, PPARG, SOURCES, T2D,
                                             load_graph, _e)


@pytest.fixture
def loaded(tmp_path):
    path = tmp_path / "kg.sqlite"
    store = SQLiteStore(str(path), create=True)
    oracle = load_graph(store)
    yield store, oracle, path
    store.close()


def _indexes(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('index', 'table')")}


def test_file_is_wal_with_foreign_keys_and_schema_version(loaded):
    store, _, path = loaded
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == SCHEMA_VERSION
    assert store._conn().execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store._conn().execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_missing_file_tells_the_user_to_build(tmp_path):
    path = tmp_path / "nowhere" / "kg.sqlite"
    with pytest.raises(StoreError, match="kgqa build"):
        SQLiteStore(str(path))
    with pytest.raises(StoreError, match="kgqa build"):
        open_store(f"sqlite:///{path}")
    assert not path.exists()


def test_other_files_are_refused_clearly(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="junk.sqlite"):
        SQLiteStore(str(junk))
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a kgqa graph"):
        SQLiteStore(str(other))
    old = tmp_path / "old.sqlite"
    SQLiteStore(str(old), create=True).close()
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 0"):
        SQLiteStore(str(old))
    with pytest.raises(StoreError):
        SQLiteStore(":memory:", create=True)


def test_readonly_reads_and_refuses_writes(loaded):
    store, oracle, path = loaded
    store.close()
    ro = SQLiteStore(str(path), readonly=True)
    try:
        assert ro.get_entity(HTN).name == "hypertension"
        assert ro.count_facts(T2D) == len(oracle.touching(T2D))
        assert ro.search("sugar diabetes")[0].id == T2D
        assert ro.stats().facts == len(FACTS)
        with pytest.raises(StoreError, match="read-only"):
            ro.upsert_entities([_e("DOID:1", "Disease", "fictional disease")])
        with pytest.raises(StoreError, match="read-only"):
            ro.delete_entity(HTN)
    finally:
        ro.close()
    with pytest.raises(StoreError, match="kgqa build"):
        SQLiteStore(str(path.with_name("absent.sqlite")), readonly=True)


def test_concurrent_reads_from_threads_while_writing(loaded):
    store, oracle, _ = loaded
    expected = {eid: oracle.touching(eid) for eid in (T2D, HTN, METFORMIN, PPARG)}
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set() and i < 200:
            store.set_meta("heartbeat", str(i))
            store.upsert_entities([_e(f"DOID:{900000 + i}", "Disease", f"scratch disease {i}")])
            i += 1

    def reader(n: int) -> bool:
        for eid, ids in expected.items():
            assert [f.id for f in store.facts(eid, limit=None)] == ids
            assert store.search("sugar diabetes")[0].id == T2D
            assert store.resolve("mesh:D006973") == HTN
            assert store.shortest_paths(METFORMIN, PPARG, max_hops=3)
        return True

    w = threading.Thread(target=writer)
    w.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert all(pool.map(reader, range(64)))
    finally:
        stop.set()
        w.join()
    assert len(store._connections) >= 2        # one connection per thread


def test_nested_transaction_rolls_back_only_the_inner_part(loaded):
    store, oracle, _ = loaded
    with store.transaction():
        store.upsert_entities([_e("DOID:1", "Disease", "kept disease")])
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.upsert_entities([_e("DOID:2", "Disease", "dropped disease")])
                raise RuntimeError("inner only")
        store.upsert_facts([Fact(METFORMIN, "treats", "DOID:1", [Provenance("curation", curator="ann")])])
    assert store.get_entity("DOID:1") is not None and store.get_entity("DOID:2") is None
    assert store.count_facts("DOID:1") == 1


def test_bulk_load_builds_the_same_graph_with_indexes(loaded, tmp_path):
    store, oracle, path = loaded
    bulk_path = tmp_path / "bulk.sqlite"
    bulk = SQLiteStore(str(bulk_path), create=True)
    try:
        bulk.set_sources(SOURCES)
        # every fact twice (once per provenance record, once repeated) to exercise the de-duplication
        doubled = FACTS + [Fact(f.subject, f.predicate, f.object, [p]) for f in FACTS for p in f.provenance]
        report = bulk.bulk_load(iter(ENTITIES), iter(doubled), progress=False)
        assert (report.entities, report.facts) == (len(ENTITIES), len(FACTS))
        assert report.provenance == sum(len(f.provenance) for f in FACTS)
        assert {"facts_id", "facts_sp", "facts_op", "names_fts"} <= _indexes(bulk_path)
        plan = " ".join(str(r) for r in bulk._conn().execute(
            "EXPLAIN QUERY PLAN SELECT id, object FROM facts WHERE subject = ? AND predicate = ? ORDER BY id",
            (T2D, "treats")))
        assert "COVERING INDEX facts_sp" in plan and "TEMP B-TREE" not in plan
        assert bulk._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert bulk._conn().execute("PRAGMA foreign_keys").fetchone()[0] == 1
        for eid in (T2D, HTN, METFORMIN):
            assert [(f.id, sorted(p.source for p in f.provenance)) for f in bulk.facts(eid, limit=None)] == \
                   [(f.id, sorted(p.source for p in f.provenance)) for f in store.facts(eid, limit=None)]
        for text in ("high blood pressure", "metf", "Tylenol"):
            assert [e.id for e in bulk.search(text)] == [e.id for e in store.search(text)]
        assert bulk.stats().to_json() == store.stats().to_json()
        # the loaded file takes ordinary writes afterwards, with foreign keys enforced
        bulk.upsert_facts([Fact(METFORMIN, "treats", HTN, [Provenance("curation", curator="ann")])])
        bulk.delete_entity(HTN)
        assert bulk.count_facts(METFORMIN, predicates=["treats"]) == 1
    finally:
        bulk.close()


def test_bulk_load_into_a_store_with_data_keeps_it(loaded):
    store, oracle, path = loaded
    extra = [_e("DOID:1", "Disease", "fictional disease")]
    report = store.bulk_load(extra, [Fact(METFORMIN, "treats", "DOID:1", [Provenance("curation", curator="x")]),
                                     FACTS[0]])
    assert report.entities == len(ENTITIES) + 1 and report.facts == len(FACTS) + 1
    assert store.search("fictional")[0].id == "DOID:1"
    assert store.search("sugar diabetes")[0].id == T2D
    assert sorted(p.source for p in store.get_fact(FACTS[0].id).provenance) == ["drugbank", "hetionet"]
    assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_bulk_load_refuses_or_skips_dangling_facts(tmp_path):
    store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    try:
        dangling = Fact(METFORMIN, "treats", "DOID:0000000", [Provenance("hetionet")])
        with pytest.raises(StoreError, match="DOID:0000000"):
            store.bulk_load(ENTITIES, FACTS + [dangling])
    finally:
        store.close()
    store = SQLiteStore(str(tmp_path / "kg2.sqlite"), create=True)
    try:
        report = store.bulk_load(ENTITIES, FACTS + [dangling], skip_dangling=True)
        assert report.skipped_facts == 1 and report.facts == len(FACTS)
    finally:
        store.close()


def test_hub_cap_limits_path_search(loaded, tmp_path):
    store, oracle, path = loaded
    assert store.shortest_paths(METFORMIN, HTN, max_hops=4)
    capped = SQLiteStore(str(path), hub_degree=1)     # every node but the endpoints counts as a hub
    try:
        # both searches still meet on a hub in the middle ...
        assert {len(p) for p in capped.shortest_paths(METFORMIN, PPARG, max_hops=4)} == {2}
        # ... but a path needing a hub expanded is not found
        assert capped.shortest_paths(METFORMIN, HTN, max_hops=4) == []
    finally:
        capped.close()
    with pytest.raises(ValueError):
        store.shortest_paths(METFORMIN, HTN, max_hops=5)


def test_query_helpers():
    assert normalise_name("  Crohn's   DISEASE ") == "crohn s disease"
    assert fts_query('AND "x" NEAR*') == '"AND" "x" "NEAR"*'
    assert fts_query("-*()") is None


def test_lone_surrogates_from_decoded_json_do_not_raise(loaded):
    store, _, _ = loaded
    bad = "MESH:\ud800"
    assert _safe(bad) == "MESH:\ufffd" and _safe("\ud83d\ude00") == "\U0001f600"   # a valid pair is kept
    assert store.search("high \ud800 blood")[0].id == HTN
    assert store.resolve(bad) is None
    assert store.get_entity(bad) is None
    assert store.facts(bad) == [] and store.count_facts(bad) == 0
    assert store.shortest_paths(bad, HTN) == []


def test_cached_stats_follow_every_kind_of_write_exactly(loaded):
    """Writes carry the stats cache forward; after each one it must equal a from-scratch count."""
    from kg.model import SourceInfo
    store, oracle, _ = loaded
    conn = store._conn()
    store.stats()                                             # fill the cache

    def check():
        cached = store._current_stats(conn)
        assert cached is not None, "the write dropped the cache instead of updating it"
        assert cached == store._compute_stats(conn).to_json()

    cur = Provenance("curation", curator="ann")
    writes = [
        lambda: store.upsert_entities([_e("DOID:1", "Disease", "new disease", sources=["curation", "do"]),
                                       _e("DOID:1", "Disease", "new disease", sources=["curation"])]),
        lambda: store.upsert_entities([_e(T2D, "Phenotype", "diabetes type two", sources=["hpo", "hpo"])]),
        lambda: store.upsert_facts([Fact(METFORMIN, "treats", "DOID:1", [cur]),
                                    Fact(METFORMIN, "treats", "DOID:1", [cur, Provenance("drugbank")]),
                                    FACTS[0], Fact(FACTS[1].subject, FACTS[1].predicate, FACTS[1].object, [cur])]),
        lambda: store.upsert_facts([Fact(HTN, "resembles", "DOID:1", [Provenance("curation", curator="bob"),
                                                                      Provenance("curation", curator="ann")])]),
        lambda: store.delete_facts([FACTS[2].id, FACTS[2].id, "Fnothing"]),
        lambda: store.delete_entity(HTN),
        lambda: store.delete_entity("DOID:0000000"),
        lambda: store.set_sources([SourceInfo("curation", "Curated", "7", "CC0 1.0"),
                                   SourceInfo("hpo", "HPO", "2030", "custom")]),
        lambda: store.set_meta("build_id", "b2"),
    ]
    for write in writes:
        write()
        check()
    before = store.stats().to_json()
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.delete_entity(T2D)
            raise RuntimeError("abort")
    assert store.stats().to_json() == before
    check()


# ---- fact reads: one query per page, SQL text cached per shape -------------------------------------------

def test_every_fact_query_shape_matches_the_oracle(loaded):
    """Predicates, direction, other-end types, limit and offset in every combination: the numbered
    parameters of each cached query shape must line up with the values passed."""
    store, oracle, _ = loaded
    predicate_sets = [None, ["treats"], ["associated_with", "has_phenotype"], ["interacts_with", "treats", "binds"]]
    type_sets = [None, ["Gene"], ["Disease", "Phenotype"]]
    pages = [(None, 0), (3, 0), (2, 1), (100, 4)]
    checked = 0
    for eid in (T2D, HTN, INS, METFORMIN, PPARG):
        for preds in predicate_sets:
            for direction in ("out", "in", "both"):
                for types in type_sets:
                    want = oracle.touching(eid, preds, direction, types)
                    assert store.count_facts(eid, preds, direction, types) == len(want)
                    for limit, offset in pages:
                        got = store.facts(eid, preds, direction, types, limit=limit, offset=offset)
                        end = None if limit is None else offset + limit
                        assert [f.id for f in got] == want[offset:end], (eid, preds, direction, types, limit, offset)
                        checked += len(got)
    assert checked > 500


def test_fact_reads_keep_provenance_order_and_facts_without_records(loaded):
    store, oracle, _ = loaded
    first = [Provenance("hpo", "1", "custom", {"frequency_value": 0.5}), Provenance("hetionet", "v1.0", "CC0 1.0"),
             Provenance("curation", curator="ann", created_at="2026-01-01T00:00:00Z", change_id="c1")]
    store.upsert_facts([Fact(HTN, "resembles", T2D, first)])
    # a record for the same (source, curator) is replaced where it stands; a new one goes last
    store.upsert_facts([Fact(HTN, "resembles", T2D, [Provenance("hetionet", "v2.0", "CC0 1.0"),
                                                     Provenance("drugbank", "5.1", "CC BY-NC 4.0")])])
    store.upsert_facts([Fact(HTN, "resembles", DM, [])])
    fid = Fact(HTN, "resembles", T2D).id
    bare = Fact(HTN, "resembles", DM).id
    expected = [("hpo", "1", None), ("hetionet", "v2.0", None), ("curation", "", "ann"), ("drugbank", "5.1", None)]

    def shape(f):
        return [(p.source, p.version, p.curator) for p in f.provenance]
    assert shape(store.get_fact(fid)) == expected
    assert store.get_fact(fid).provenance[0].evidence == {"frequency_value": 0.5}
    assert store.get_fact(fid).provenance[2].change_id == "c1"
    by_id = {f.id: f for f in store.facts(HTN, ["resembles"], limit=None)}
    assert shape(by_id[fid]) == expected and by_id[bare].provenance == []
    got_bare = store.get_fact(bare)
    assert got_bare.provenance == [] and (got_bare.subject, got_bare.object) == (HTN, DM)
    streamed = {f.id: f for f in store.iter_facts(batch_size=3)}
    assert shape(streamed[fid]) == expected and streamed[bare].provenance == []
    assert len(streamed) == len(FACTS) + 2
    assert {f.id for f in store.iter_facts(batch_size=7)} == set(oracle.facts) | {fid, bare}


def test_bulk_load_settings_change_speed_not_the_graph(tmp_path):
    """The previous bulk-load settings (large cache, sorter threads) and the current ones, with facts given as
    a list or as a stream, build the same file contents; the connection gets its ordinary cache back."""
    graphs = []
    dangling = Fact(METFORMIN, "treats", "DOID:0000000", [Provenance("hetionet")])
    # duplicates (a fact and a provenance record given twice), a curated record, a dangling fact
    curated = Fact(METFORMIN, "treats", HTN, [Provenance("curation", curator="ann", change_id="c9")])
    facts = FACTS + [dangling] + FACTS[:5] + [curated]
    for name, settings, as_list in (("old", {"bulk_cache_kib": 524288, "bulk_sort_threads": 2}, True),
                                    ("new", {}, True), ("stream", {}, False)):
        store = SQLiteStore(str(tmp_path / f"{name}.sqlite"), create=True)
        for key, value in settings.items():
            setattr(store, key, value)
        store.set_sources(SOURCES)
        assert gc.isenabled()
        report = store.bulk_load(ENTITIES, facts if as_list else iter(facts), skip_dangling=True)
        assert gc.isenabled()            # the collector paused for the load only
        assert report.skipped_facts == 1 and report.facts == len(FACTS) + 1
        phases = {"entities", "facts", "indexes", "index facts_id", "index facts_sp", "index facts_op",
                  "index names"}
        assert set(report.phases) == set(report.cpu_phases) == phases
        assert report.phases["indexes"] >= report.phases["index facts_sp"] > 0
        assert store._conn().execute("PRAGMA cache_size").fetchone()[0] == -65536
        graphs.append((list(store.iter_facts(batch_size=4)), [e.id for e in store.search("diabetes")],
                       store.stats().to_json(), [f.id for f in store.facts(T2D, limit=None)]))
        store.close()
    assert graphs[0] == graphs[1] == graphs[2]
    assert len(graphs[1][0]) == len(FACTS) + 1
    assert any(p.change_id == "c9" for f in graphs[1][0] for p in f.provenance)
    # a failed load also gives the collector back, and leaves it off for a caller that had turned it off
    store = SQLiteStore(str(tmp_path / "failed.sqlite"), create=True)
    try:
        with pytest.raises(StoreError):
            store.bulk_load(ENTITIES, [dangling])
        assert gc.isenabled()
        gc.disable()
        store.bulk_load(ENTITIES, FACTS)
        assert not gc.isenabled()
    finally:
        gc.enable()
        store.close()


def test_bulk_load_failure_rolls_back_everything(tmp_path, monkeypatch):
    """An error while making the rows (evidence that is not JSON) or while building an index ends the load
    with that error and nothing written; the store still loads afterwards."""
    store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    try:
        unencodable = Fact(METFORMIN, "treats", HTN, [Provenance("hetionet", evidence={"pmids": {1, 2}})])
        with pytest.raises(TypeError):
            store.bulk_load(ENTITIES, FACTS + [unencodable])
        assert store.stats().facts == 0 and store.get_entity(HTN) is None
        original = SQLiteStore._build_index

        def failing(self, conn, step):
            if step == "facts_sp":
                raise sqlite3.OperationalError("disk full (simulated)")
            return original(self, conn, step)
        monkeypatch.setattr(SQLiteStore, "_build_index", failing)
        with pytest.raises(sqlite3.OperationalError, match="simulated"):
            store.bulk_load(ENTITIES, FACTS)
        assert store.stats().facts == 0
        monkeypatch.setattr(SQLiteStore, "_build_index", original)
        report = store.bulk_load(ENTITIES, FACTS)
        assert report.facts == len(FACTS) and store.count_facts(T2D) > 0
    finally:
        store.close()


def test_a_fresh_bulk_load_caches_the_stats_it_tallied(tmp_path):
    """The load counts facts per predicate and source as it writes them and caches the stats; they must
    equal what counting the stored file gives."""
    store = SQLiteStore(str(tmp_path / "tally.sqlite"), create=True)
    try:
        store.set_sources(SOURCES)
        dangling = Fact(METFORMIN, "treats", "DOID:0000000", [Provenance("hetionet")])
        two_sources = Fact(METFORMIN, "treats", HTN, [Provenance("hetionet"), Provenance("do"),
                                                      Provenance("hetionet", version="2")])
        store.bulk_load(ENTITIES, FACTS + [dangling, two_sources], skip_dangling=True)
        conn = store._conn()
        cached, _ = store._stats_cache(conn)
        assert cached is not None                          # no counting pass needed after the load
        counted = store._compute_stats(conn).to_json()
        assert cached == counted and counted["facts"] == len(FACTS) + 1
        assert [len(f.provenance) for f in store.facts(METFORMIN, limit=None) if f.object == HTN] == [2]
    finally:
        store.close()
