"""`ask` and `triage` give the same answers on both stores.

The HPO-only graph the session builds in SQLite (`hpo_graph`) is copied into a real Bolt server (ArcadeDB)
through the store interface (`iter_entities` / `iter_facts` -> `bulk_load`), with its sources and build
metadata, so both graphs have the same version. A KGContext is wired on each store; every question and
every patient text must give the same JSON answer (timings aside) on both.
"""
from __future__ import annotations

import pytest

from kg.store.sqlite import SQLiteStore
from tests.conftest import TEST_HOME

pytestmark = pytest.mark.neo4j

QUESTIONS = [
    "what are the symptoms of Marfan syndrome?",
    "which genes are associated with cystic fibrosis?",
    "what are the signs of Down syndrome?",
    "is seizure a kind of neurological abnormality?",
    "how is Marfan syndrome related to FBN1?",
    "what is the capital of France?",
]
# (text, whether it must rank conditions: on the HPO-only graph triage ranks none for few findings)
PATIENT_TEXTS = [
    ("tall, long fingers, loose joints and a dislocated lens", True),
    ("seizures and intellectual disability since childhood", False),
    ("my joints hurt and I am very tired, no fever", False),
    ("I have a high temperature and a cough", False),
]


@pytest.fixture(scope="module")
def neo4j_context(request, hpo_graph, hpo_context):
    from kg.store.neo4j import Neo4jStore
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    from tests.support.bolt_server import session_server
    server = session_server(request.config)
    database = "samehpo"
    server.create_database(database)
    source = SQLiteStore(hpo_graph[len("sqlite:///"):], readonly=True)
    store = Neo4jStore(server.url, user=server.user, password=server.password, database=database)
    try:
        store.bulk_load(source.iter_entities(), source.iter_facts())
        store.set_sources(source.sources())
        for key in ("build_id", "built_at", "sources", "curation_version"):
            value = source.get_meta(key)
            if value is not None:
                store.set_meta(key, value)
    finally:
        source.close()
    settings = load_settings(config_file="/nonexistent", home=str(TEST_HOME), store=server.url,
                             neo4j_user=server.user, neo4j_password=server.password, neo4j_database=database)
    ctx = KGContext(settings, store=store)
    yield ctx
    ctx.close()
    server.drop_database(database)


def test_the_copy_is_the_same_graph(neo4j_context, hpo_context):
    assert neo4j_context.store.version() == hpo_context.store.version()
    assert neo4j_context.store.stats().to_json() == hpo_context.store.stats().to_json()


@pytest.mark.parametrize("question", QUESTIONS)
def test_ask_gives_the_same_answer(neo4j_context, hpo_context, question):
    on_sqlite = hpo_context.answerer.ask(question, llm="none").to_json()
    on_neo4j = neo4j_context.answerer.ask(question, llm="none").to_json()
    assert on_neo4j == on_sqlite
    if question != QUESTIONS[-1]:
        assert not on_sqlite["abstained"] and on_sqlite["citations"], on_sqlite["answer"]


@pytest.mark.parametrize("text, ranks_conditions", PATIENT_TEXTS)
def test_triage_gives_the_same_result(neo4j_context, hpo_context, text, ranks_conditions):
    on_sqlite = hpo_context.triager.triage(text).to_json()
    on_neo4j = neo4j_context.triager.triage(text).to_json()
    assert on_neo4j == on_sqlite
    assert on_sqlite["findings"]
    if ranks_conditions:     # at least one comparison covers ranked conditions, not only findings
        assert on_sqlite["candidates"]
