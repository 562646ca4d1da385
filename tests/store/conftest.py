"""The `store` fixture runs the store contract suite on every store implementation.

SQLite always; Neo4j against a real Bolt server (ArcadeDB, started by tests/support/bolt_server.py),
marked `neo4j` so `pytest -m neo4j` selects those runs.
"""
from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def empty_store(request, tmp_path):
    if request.param == "sqlite":
        from kg.store.sqlite import SQLiteStore
        store = SQLiteStore(str(tmp_path / "kg.sqlite"), create=True)
    else:
        from tests.support.bolt_server import fresh_neo4j_store
        store = fresh_neo4j_store(request)
    yield store
    store.close()
