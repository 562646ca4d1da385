"""Neo4j-specific behaviour of the Bolt store, against a real server (ArcadeDB, tests/support/bolt_server.py):
connection and credential errors, injection-looking input, schema creation, retries, transactions across
sessions, the graph layout Cypher users see. The shared expectations live in test_store_contract.py."""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import neo4j
import pytest
from neo4j import exceptions as neo4j_errors

from kg.model import Entity, Fact, Provenance, SourceInfo, Synonym
from kg.store import open_store
from kg.store.base import StoreError
from kg.store.neo4j import Neo4jStore, name_tokens, retry_transient
from kg.store.sqlite import SQLiteStore
from tests.support.bolt_server import free_port, fresh_neo4j_store, session_server, start_bolt_server

pytestmark = pytest.mark.neo4j

FEVER = Entity("HP:0001945", "Phenotype", "Fever", [Synonym("high temperature", "layperson", "hpo")],
               ["UMLS:C0015967"], "", ["hpo"])
FLU = Entity("DOID:8469", "Disease", "influenza", [Synonym("flu", "layperson", "do")], ["MESH:D007251"], "", ["do"])
OSELTAMIVIR = Entity("DRUGBANK:DB00198", "Compound", "oseltamivir", [Synonym("Tamiflu", "brand", "manual")],
                     [], "", ["drugbank"])
FLU_FEVER = Fact(FLU.id, "has_phenotype", FEVER.id, [Provenance("hpo", "2024", "HPO", {"frequency_value": 0.9})])
TREATS = Fact(OSELTAMIVIR.id, "treats", FLU.id, [Provenance("hetionet", "v1.0", "CC0 1.0", {"pmids": ["1"]})])


@pytest.fixture
def store(request):
    s = fresh_neo4j_store(request)
    yield s
    s.close()


@pytest.fixture
def small(store):
    store.upsert_entities([FEVER, FLU, OSELTAMIVIR])
    store.upsert_facts([FLU_FEVER, TREATS])
    return store


def cypher(request, store: Neo4jStore, query: str, **params) -> list[dict]:
    """Raw Cypher on the store's database, as a Neo4j user would run it."""
    server = session_server(request.config)
    with neo4j.GraphDatabase.driver(server.url, auth=(server.user, server.password)) as driver:
        with driver.session(database=store.database) as session:
            return [r.data() for r in session.run(query, params)]


# ---- connection errors ----------------------------------------------------------------------------

def test_unreachable_server_is_a_clear_store_error():
    url = f"bolt://127.0.0.1:{free_port()}"      # nothing listens there
    with pytest.raises(StoreError, match="cannot reach the graph server") as info:
        Neo4jStore(url, user="neo4j", password="x", connection_timeout=3)
    assert url in str(info.value)


def test_wrong_password_is_a_clear_store_error_without_the_password(request):
    server = session_server(request.config)
    with pytest.raises(StoreError, match="wrong user name or password") as info:
        Neo4jStore(server.url, user=server.user, password="not-the-password-42")
    assert "not-the-password-42" not in str(info.value)
    assert repr(server.user) in str(info.value)


def test_unknown_database_is_named(request):
    server = session_server(request.config)
    with pytest.raises(StoreError, match="no database 'nosuchdb'"):
        Neo4jStore(server.url, user=server.user, password=server.password, database="nosuchdb")


def test_malformed_url_is_a_store_error():
    with pytest.raises(StoreError, match="not valid"):
        Neo4jStore("bolt://host:notaport", user="neo4j", password="x")


def test_open_store_routes_bolt_urls(request, store):
    server = session_server(request.config)
    opened = open_store(server.url, user=server.user, password=server.password, database=store.database)
    try:
        assert isinstance(opened, Neo4jStore)
        opened.set_meta("probe", "1")
        assert store.get_meta("probe") == "1"
    finally:
        opened.close()


def test_server_going_away_turns_into_store_error(tmp_path):
    server = start_bolt_server(Path(tempfile.mkdtemp(prefix="kgqa-arcadedb-down-")))
    try:
        server.create_database("gone")
        s = Neo4jStore(server.url, user=server.user, password=server.password, database="gone", retries=2)
        s.upsert_entities([FEVER])
        assert s.get_entity(FEVER.id) == FEVER
        server.process.kill()                     # the server crashes
        server.process.wait()
        with pytest.raises(StoreError, match="cannot reach|failed"):
            s.get_entity(FEVER.id)
        s.close()
    finally:
        server.stop()


# ---- injection-looking input is data --------------------------------------------------------------

HOSTILE = "x'}) MATCH (n) DETACH DELETE n //"


def test_hostile_ids_names_and_text_are_stored_and_found_as_data(request, small):
    odd = Entity("X:" + HOSTILE, "Disease", HOSTILE + " `]-() RETURN 1", [Synonym('" OR 1=1 --', "exact", "$x")],
                 ["Y:{id: 1}"], "desc } RETURN n", ["src'"])
    small.upsert_entities([odd])
    assert small.get_entity(odd.id) == odd
    assert small.resolve("Y:{id: 1}") == odd.id
    assert [e.id for e in small.search("detach delete")] == [odd.id]
    small.upsert_facts([Fact(odd.id, "resembles", FLU.id, [Provenance("s'; DROP", evidence={"note": HOSTILE})])])
    assert small.count_facts(odd.id) == 1
    # everything else is still there
    assert small.stats().entities == 4 and small.stats().facts == 3
    assert cypher(request, small, "MATCH (e:Entity) RETURN count(e) AS n")[0]["n"] == 4


def test_lone_surrogates_in_lookups_do_not_raise(small):
    bad = "MESH:\ud800"
    assert small.search("high \ud800 temperature")[0].id == FEVER.id
    assert small.resolve(bad) is None and small.get_entity(bad) is None
    assert small.facts(bad) == [] and small.count_facts(bad) == 0
    assert small.shortest_paths(bad, FLU.id) == []


def test_hostile_predicates_and_types_never_reach_the_query(small):
    evil = "treats]->() DETACH DELETE a //"
    assert small.facts(FLU.id, predicates=[evil]) == []
    assert small.count_facts(FLU.id, predicates=[evil]) == 0
    assert small.facts(FLU.id, other_types=[evil]) == []
    assert small.shortest_paths(FLU.id, FEVER.id, predicates=[evil]) == []
    assert [f.id for f in small.facts(FLU.id, predicates=[evil, "treats"])] == [TREATS.id]
    assert small.stats().facts == 2


# ---- schema -------------------------------------------------------------------------------------

def test_constraints_and_indexes_created_once_on_open_and_enforced(request, store):
    server = session_server(request.config)
    name = f"{store.database}schema"
    server.create_database(name)
    try:
        def show(what: str) -> list[str]:
            with neo4j.GraphDatabase.driver(server.url, auth=(server.user, server.password)) as driver:
                rows = driver.execute_query(f"SHOW {what}", database_=name).records
            return [r["name"] for r in rows if r["name"].startswith("kg_")]
        assert show("CONSTRAINTS") == []
        first = Neo4jStore(server.url, user=server.user, password=server.password, database=name)
        first.upsert_entities([FEVER])
        second = Neo4jStore(server.url, user=server.user, password=server.password, database=name)
        second.upsert_entities([FLU])
        first.close()
        second.close()
        assert sorted(show("CONSTRAINTS")) == ["kg_entity_id", "kg_meta_key", "kg_source_name"]
        indexes = show("INDEXES")
        assert len(indexes) == len(set(indexes))
        assert {"kg_term_word", "kg_fact_treats", "kg_xref_key", "kg_entity_key"} <= set(indexes)
        with neo4j.GraphDatabase.driver(server.url, auth=(server.user, server.password)) as driver:
            with pytest.raises(neo4j_errors.ConstraintError):   # uniqueness holds for raw writes too
                driver.execute_query("CREATE (e:Entity {id: $id})", id=FEVER.id, database_=name)
    finally:
        server.drop_database(name)


# ---- retries ------------------------------------------------------------------------------------

def test_retry_transient_retries_then_succeeds():
    calls, sleeps, seen = [], [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise neo4j_errors.TransientError("deadlock")
        return "ok"
    assert retry_transient(flaky, attempts=5, sleep=sleeps.append, on_retry=seen.append) == "ok"
    assert len(calls) == 3 and len(sleeps) == 2 and len(seen) == 2
    assert sleeps[1] > sleeps[0] * 0.9 / 2            # back-off grows (with jitter)


def test_retry_transient_gives_up_and_never_retries_client_errors():
    calls = []

    def always():
        calls.append(1)
        raise neo4j_errors.ServiceUnavailable("down")
    with pytest.raises(neo4j_errors.ServiceUnavailable):
        retry_transient(always, attempts=3, sleep=lambda s: None)
    assert len(calls) == 3
    calls.clear()

    def bad_query():
        calls.append(1)
        raise neo4j_errors.CypherSyntaxError("bad")
    with pytest.raises(neo4j_errors.CypherSyntaxError):
        retry_transient(bad_query, attempts=3, sleep=lambda s: None)
    assert len(calls) == 1


def test_concurrent_writers_on_one_fact_all_succeed(store):
    """Writers racing on the same node make the server report transient conflicts; retries absorb them."""
    store.upsert_entities([FEVER, FLU])
    errors: list[Exception] = []

    def writer(i: int) -> None:
        try:
            for j in range(8):
                store.upsert_entities([Entity(FLU.id, "Disease", f"influenza {i}.{j}")])
                store.upsert_facts([Fact(FLU.id, "has_phenotype", FEVER.id, [Provenance(f"source{i}")])])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.get_fact(FLU_FEVER.id).sources == [f"source{i}" for i in range(5)]
    assert len(store.search("influenza")) == 1


# ---- transactions ------------------------------------------------------------------------------

def test_transaction_is_invisible_to_other_sessions_until_commit(request, small):
    other = Neo4jStore(small.url, user=small.user, password=session_server(request.config).password,
                       database=small.database)
    try:
        with small.transaction():
            small.delete_facts([TREATS.id])
            small.upsert_entities([Entity("DOID:1", "Disease", "new disease")])
            assert small.get_fact(TREATS.id) is None               # own writes are seen
            assert other.get_fact(TREATS.id) is not None           # not by others before commit
            assert other.get_entity("DOID:1") is None
        assert other.get_fact(TREATS.id) is None
        assert other.get_entity("DOID:1").name == "new disease"
    finally:
        other.close()


def test_transaction_is_per_thread(small):
    seen = {}
    with small.transaction():
        small.delete_entity(FEVER.id)
        t = threading.Thread(target=lambda: seen.update(fever=small.get_entity(FEVER.id)))
        t.start()
        t.join()
    assert seen["fever"] == FEVER           # another thread read outside the uncommitted transaction
    assert small.get_entity(FEVER.id) is None


def test_bulk_load_report_duplicates_and_dangling(store):
    store.set_sources([SourceInfo("hpo", version="2024", license="HPO")])
    later = Fact(FLU.id, "has_phenotype", FEVER.id, [Provenance("hpo", "2025", "HPO", {"frequency_value": 0.5})])
    dangling = Fact("DOID:404", "treats", FLU.id, [Provenance("x")])
    report = store.bulk_load([FEVER, FLU, OSELTAMIVIR], [FLU_FEVER, TREATS, later, dangling], skip_dangling=True)
    assert (report.entities, report.facts, report.provenance, report.skipped_facts) == (3, 2, 2, 1)
    assert store.get_fact(FLU_FEVER.id).provenance[0].version == "2025"   # the last record wins
    with pytest.raises(StoreError, match="DOID:404 is not an entity"):
        store.bulk_load([], [dangling])
    with pytest.raises(StoreError, match="inside a transaction"):
        with store.transaction():
            store.bulk_load([], [])


# ---- what Cypher users see ----------------------------------------------------------------------

def test_facts_are_typed_relationships_with_provenance_properties(request, small):
    rows = cypher(request, small, "MATCH (a:Entity)-[r:treats]->(b:Entity) "
                                  "RETURN a.id AS s, b.id AS o, r.id AS id, r.sources AS sources, r.prov AS prov")
    assert len(rows) == 1
    assert (rows[0]["s"], rows[0]["o"], rows[0]["id"], rows[0]["sources"]) == (
        OSELTAMIVIR.id, FLU.id, TREATS.id, ["hetionet"])
    assert '"pmids": ["1"]' in rows[0]["prov"]
    hops = cypher(request, small, "MATCH (d:Entity {id: $id})-[:has_phenotype]->(p:Entity) RETURN p.name AS n",
                  id=FLU.id)
    assert hops == [{"n": "Fever"}]


def test_search_words_are_stemmed_like_fts5(small):
    assert name_tokens("Fevers, HIGH temperatures") == ["fever", "high", "temperatur"]
    assert [e.id for e in small.search("temperatures")] == [FEVER.id]
    assert [e.id for e in small.search("high temp")] == [FEVER.id]
    assert small.search("emperature") == []


def test_closed_store_refuses_work(store):
    store.close()
    with pytest.raises(StoreError):
        store.get_entity(FEVER.id)


# ---- kgqa build --store bolt:// -------------------------------------------------------------------

def test_kgqa_build_loads_a_bolt_server_directly(request, store, tmp_path, monkeypatch):
    """The same sources built into SQLite and, through the command line, into the Bolt server."""
    from kg.importers.kgx import write_kgx
    from kgqa.cli import main
    from tests.store.test_store_contract import ENTITIES, FACTS
    src = tmp_path / "src"
    (src / "kgx").mkdir(parents=True)
    write_kgx(ENTITIES, FACTS, src / "kgx" / "nodes.tsv", src / "kgx" / "edges.tsv")
    server = session_server(request.config)
    monkeypatch.setenv("KGQA_NEO4J_USER", server.user)
    monkeypatch.setenv("KGQA_NEO4J_PASSWORD", server.password)
    monkeypatch.setenv("KGQA_NEO4J_DATABASE", store.database)
    monkeypatch.setenv("KGQA_CONFIG", str(tmp_path / "none.toml"))
    lite = f"sqlite:///{tmp_path / 'kg.sqlite'}"
    for url in (lite, server.url):
        assert main(["--store", url, "build", "--sources", str(src), "--only", "kgx", "--no-progress"]) == 0
    reference = SQLiteStore(str(tmp_path / "kg.sqlite"))
    try:
        assert store.stats().entities == len(ENTITIES) and store.stats().facts > 50
        assert store.stats().to_json() == reference.stats().to_json()
        assert list(store.iter_facts()) == list(reference.iter_facts())
        assert list(store.iter_entities()) == list(reference.iter_entities())
        assert store.version() == reference.version() != "unbuilt.0"
    finally:
        reference.close()
