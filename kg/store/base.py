"""The store interface: what retrieval, answers, triage and curation may ask of a graph.

Two implementations share it (SQLite, the embedded default; Neo4j over Bolt) and one test suite
(`tests/store/test_store_contract.py`) runs against both with the same expectations.
"""
from __future__ import annotations

import abc
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence, TypeVar

from kg.model import Entity, Fact, SourceInfo


T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to `size` items, in order: how stores stream large writes without holding them all."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class StoreError(RuntimeError):
    """The store cannot do what was asked (unreachable server, bad credentials, corrupt file ...)."""


class ConflictError(StoreError):
    """A write conflicts with the current graph (e.g. the fact it retracts is already gone)."""


@dataclass
class Neighbour:
    fact: Fact
    entity: Entity          # the entity at the other end of `fact`
    direction: str          # "out" when the given entity is the fact's subject, "in" otherwise


@dataclass
class Path:
    """A chain of facts from one entity to another; `entities` has len(facts) + 1 items."""
    entities: list[str]
    facts: list[Fact] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.facts)


@dataclass
class GraphStats:
    entities: int
    facts: int
    by_source: dict[str, dict]      # name -> {"entities", "facts", "license", "version"}
    by_type: dict[str, int]
    by_predicate: dict[str, int]

    def to_json(self) -> dict:
        return {"entities": self.entities, "facts": self.facts, "by_source": self.by_source,
                "by_type": self.by_type, "by_predicate": self.by_predicate}


class GraphStore(abc.ABC):
    """A knowledge graph store. Reads are safe from several threads; writes go through `transaction()`."""

    # ---- entities -------------------------------------------------------------------------------
    @abc.abstractmethod
    def get_entity(self, entity_id: str) -> Entity | None:
        """The entity with this preferred id, or None. (Use `resolve` for xrefs.)"""

    def get_entities(self, ids: Sequence[str]) -> dict[str, Entity]:
        out = {}
        for i in ids:
            e = self.get_entity(i)
            if e is not None:
                out[i] = e
        return out

    @abc.abstractmethod
    def resolve(self, curie: str) -> str | None:
        """The preferred id of the concept this CURIE names (itself or an xref), or None."""

    @abc.abstractmethod
    def search(self, text: str, limit: int = 20, types: Sequence[str] | None = None,
               offset: int = 0) -> list[Entity]:
        """Entities whose name or synonym matches `text` (whole words, prefix on the last word), best first."""

    @abc.abstractmethod
    def iter_entities(self, types: Sequence[str] | None = None, batch_size: int = 5000) -> Iterator[Entity]:
        """Every entity (with synonyms and xrefs), in id order."""

    # ---- facts ----------------------------------------------------------------------------------
    @abc.abstractmethod
    def get_fact(self, fact_id: str) -> Fact | None: ...

    @abc.abstractmethod
    def facts(self, entity_id: str, predicates: Sequence[str] | None = None, direction: str = "both",
              other_types: Sequence[str] | None = None, limit: int | None = 100,
              offset: int = 0) -> list[Fact]:
        """Facts touching `entity_id`. direction: "out" (entity is subject), "in" (object) or "both".
        `other_types` filters on the type of the entity at the other end. Ordered by fact id."""

    @abc.abstractmethod
    def count_facts(self, entity_id: str, predicates: Sequence[str] | None = None,
                    direction: str = "both", other_types: Sequence[str] | None = None) -> int: ...

    def neighbours(self, entity_id: str, predicates: Sequence[str] | None = None, direction: str = "both",
                   other_types: Sequence[str] | None = None, limit: int | None = 100) -> list[Neighbour]:
        facts = self.facts(entity_id, predicates, direction, other_types, limit)
        others = self.get_entities([f.object if f.subject == entity_id else f.subject for f in facts])
        out = []
        for f in facts:
            other = f.object if f.subject == entity_id else f.subject
            if other in others:
                out.append(Neighbour(f, others[other], "out" if f.subject == entity_id else "in"))
        return out

    @abc.abstractmethod
    def shortest_paths(self, source: str, target: str, max_hops: int = 3, limit: int = 10,
                       predicates: Sequence[str] | None = None) -> list[Path]:
        """Up to `limit` shortest paths (edges followed in either direction), none longer than max_hops."""

    @abc.abstractmethod
    def iter_facts(self, batch_size: int = 10000) -> Iterator[Fact]: ...

    # ---- writes ---------------------------------------------------------------------------------
    @abc.abstractmethod
    @contextmanager
    def transaction(self) -> Iterator["GraphStore"]:
        """All writes inside commit together or not at all."""

    @abc.abstractmethod
    def upsert_entities(self, entities: Iterable[Entity]) -> int:
        """Insert or replace entities (synonyms and xrefs replaced too). Returns the number written."""

    @abc.abstractmethod
    def upsert_facts(self, facts: Iterable[Fact]) -> int:
        """Insert facts; a fact whose id exists gets the new provenance records added (no duplicates)."""

    @abc.abstractmethod
    def delete_facts(self, fact_ids: Iterable[str]) -> int: ...

    @abc.abstractmethod
    def delete_entity(self, entity_id: str) -> None:
        """Remove an entity and every fact touching it."""

    # ---- sources, metadata, counts ---------------------------------------------------------------
    @abc.abstractmethod
    def set_sources(self, sources: Iterable[SourceInfo]) -> None: ...

    @abc.abstractmethod
    def sources(self) -> list[SourceInfo]: ...

    @abc.abstractmethod
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    @abc.abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abc.abstractmethod
    def stats(self) -> GraphStats: ...

    def version(self) -> str:
        """Graph version: the build id plus the curation change counter (see kg/curation)."""
        return f"{self.get_meta('build_id', 'unbuilt')}.{self.get_meta('curation_version', '0')}"

    def close(self) -> None:
        pass

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
