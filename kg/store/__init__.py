"""Graph stores behind one interface; `open_store(url)` picks the implementation from the URL."""
from __future__ import annotations

from kg.store.base import ConflictError, GraphStats, GraphStore, Neighbour, Path, StoreError

__all__ = ["open_store", "GraphStore", "StoreError", "ConflictError", "GraphStats", "Neighbour", "Path"]


def open_store(url: str, *, user: str | None = None, password: str | None = None,
               database: str | None = None, create: bool = False) -> GraphStore:
    """Open a store by URL: `sqlite:///path/kg.sqlite` (or a plain path), `bolt://` / `neo4j://host:port`."""
    if url.startswith(("bolt://", "bolt+s://", "neo4j://", "neo4j+s://")):
        from kg.store.neo4j import Neo4jStore
        return Neo4jStore(url, user=user, password=password, database=database)
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
    if path.startswith("sqlite:"):
        raise StoreError(f"store URL {url!r}: use sqlite:///path/to/kg.sqlite (three slashes)")
    from kg.store.sqlite import SQLiteStore
    return SQLiteStore(path, create=create)
