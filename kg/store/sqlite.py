"""The embedded graph store: one SQLite file (standard library `sqlite3`), WAL mode, FTS5 name search.

Layout (see docs/store.md):
- `entities` (id, prefix-folded id key, type, name, description, sources JSON)
- `synonyms` every name of an entity, one row each: the preferred name (kind "name") and its synonyms,
  with a normalised lowercase form; `names_fts` (FTS5, porter + unicode61) indexes them by the same rowid
- `xrefs` (curie, prefix-folded key, entity id), used by `resolve()`
- `facts` (id, subject, predicate, object, provenance) with covering indexes (subject, predicate, id, object)
  and (object, predicate, id, subject): 1-hop lookups read one index range already ordered by fact id.
  A fact's provenance records (one per source + curator) are a compact JSON list in its own row
  (kg/store/provenance.py): a fact is read with one row lookup, and a build writes one row and no
  second table and index per fact (schema version 2; version 1 had a `provenance` table)
- `sources`, `meta` (schema version, stats cache)

Reads use one connection per thread; every write method runs in a transaction (nested calls use
savepoints), so curation can group writes with `with store.transaction(): ...`.
"""
from __future__ import annotations

import gc
import json
import os
import re
import sqlite3
import sys
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Iterable, Iterator, Sequence

from kg.model import PREDICATES, Entity, Fact, SourceInfo, Synonym, dumps
from kg.store.base import GraphStats, GraphStore, Path, StoreError, batched
from kg.store.provenance import RecordEncoder, decode_records, encode_records, merge_records
from kg.store.sqlite_queries import FACTS_AFTER, FACTS_BY_IDS, facts_count, facts_page

SCHEMA_VERSION = "2"
_CHUNK = 5000                 # rows per executemany batch
_NAME_KIND = "name"           # synonyms.kind of the row holding an entity's preferred name
DEFAULT_HUB_DEGREE = 2000     # path search does not expand nodes with more edges than this (see shortest_paths)
DEFAULT_PATH_EDGE_BUDGET = 2_000_000  # path search stops after reading this many edges

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', version TEXT NOT NULL DEFAULT '',
    license TEXT NOT NULL DEFAULT '', url TEXT NOT NULL DEFAULT '', attribution TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entities (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,                 -- id with its prefix lowercased: case-insensitive resolve()
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '[]'  -- JSON list of source names
);
CREATE INDEX IF NOT EXISTS entities_key ON entities(key);
CREATE INDEX IF NOT EXISTS entities_type ON entities(type, id);
CREATE TABLE IF NOT EXISTS synonyms (
    rowid INTEGER PRIMARY KEY,         -- shared with names_fts
    entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    norm TEXT NOT NULL,                -- lowercase words joined by one space
    kind TEXT NOT NULL,                -- 'name' (the preferred name) or a kg.model.SYNONYM_KINDS value
    source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS synonyms_entity ON synonyms(entity_id);
CREATE TABLE IF NOT EXISTS xrefs (
    entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    curie TEXT NOT NULL,
    key TEXT NOT NULL,                 -- curie with its prefix lowercased
    PRIMARY KEY (entity_id, curie)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS xrefs_key ON xrefs(key);
CREATE TABLE IF NOT EXISTS facts (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    subject TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    predicate TEXT NOT NULL,
    object TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    provenance TEXT NOT NULL DEFAULT '[]'  -- JSON list, one record per (source, curator)
);
"""

# Secondary indexes the bulk load drops and rebuilds after inserting (name -> CREATE statement).
_BULK_INDEXES = {
    "facts_id": "CREATE UNIQUE INDEX IF NOT EXISTS facts_id ON facts(id)",
    "facts_sp": "CREATE INDEX IF NOT EXISTS facts_sp ON facts(subject, predicate, id, object)",
    "facts_op": "CREATE INDEX IF NOT EXISTS facts_op ON facts(object, predicate, id, subject)",
}
# facts per source: a fact counts once for each source among its records ({where}: "" or a WHERE clause)
_FACTS_PER_SOURCE = ("SELECT source, count(*) FROM (SELECT DISTINCT f.rowid, p.value ->> 'source' AS source "
                     "FROM facts f, json_each(f.provenance) p {where}) GROUP BY source")
_FTS = ("CREATE VIRTUAL TABLE IF NOT EXISTS names_fts USING fts5("
        "text, tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')")

_WORD_RE = re.compile(r"[^\W_]+")


def normalise_name(text: str) -> str:
    """Lowercase words joined by single spaces: the form exact-name matching compares."""
    return " ".join(_WORD_RE.findall(text.casefold()))


def curie_key(curie: str) -> str:
    """A CURIE with its prefix lowercased ("MeSH:D014839" and "MESH:D014839" share a key)."""
    curie = curie.strip()
    prefix, sep, local = curie.partition(":")
    return f"{prefix.lower()}{sep}{local}"


def fts_query(text: str) -> str | None:
    """An FTS5 query for user text: every word quoted (so AND/NEAR/*/-/quotes are plain words), all
    words required, the last one as a prefix. None when the text has no words."""
    words = _WORD_RE.findall(text.replace("\x00", ""))
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


@dataclass
class FactCounts:
    """The bulk load's tally of the facts it wrote, for the stats cache."""
    facts: int = 0
    by_predicate: Counter = field(default_factory=Counter)
    by_source: Counter = field(default_factory=Counter)     # facts with at least one record of the source


@dataclass
class BulkLoadReport:
    entities: int
    facts: int                 # distinct facts in the store after the load
    provenance: int            # provenance records in the store after the load
    skipped_facts: int         # facts dropped because an endpoint is not an entity (skip_dangling=True)
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)      # wall seconds per phase (see bulk_load)
    cpu_phases: dict[str, float] = field(default_factory=dict)  # CPU seconds of this process, same phases


class _PhaseClock:
    """Wall and CPU seconds (this process, all threads) of each named phase of a bulk load."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = time.perf_counter() - wall
            self.cpu[name] = time.process_time() - cpu


@dataclass
class _StatsDelta:
    """How one write changes the counts of `stats()`, so a current cache can be carried forward."""
    entities: int = 0
    facts: int = 0
    by_type: Counter = field(default_factory=Counter)
    by_predicate: Counter = field(default_factory=Counter)
    source_entities: Counter = field(default_factory=Counter)
    source_facts: Counter = field(default_factory=Counter)


def _safe(text: str) -> str:
    """Text SQLite can take: lone surrogates (possible in decoded JSON input) become U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        # UTF-16 keeps a lone surrogate as a code unit, which decoding with "replace" turns into U+FFFD
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _json_list(ids: Iterable[str]) -> str:
    return json.dumps(list(ids))


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


class SQLiteStore(GraphStore):
    """A graph in one SQLite file. `create=True` makes the file (and its folder) when missing."""

    # bulk_load's page cache (KiB; it also caps the sorter's in-memory runs) and sorter helper threads.
    # Session 1 used 512 MiB and 2 threads; the benchmark can set those back on an instance to compare.
    bulk_cache_kib: int = 4096
    bulk_sort_threads: int = 0

    def __init__(self, path: str, create: bool = False, readonly: bool = False,
                 hub_degree: int = DEFAULT_HUB_DEGREE):
        if path in ("", ":memory:") or path.startswith("file::memory:"):
            raise StoreError("SQLiteStore needs a file path (an in-memory database is not shared between "
                             "threads); use a temporary file")
        self.path = str(FsPath(path).expanduser())
        self.readonly = readonly
        self.hub_degree = hub_degree
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        exists = os.path.exists(self.path)
        if not exists and (not create or readonly):
            raise StoreError(f"no graph at {self.path}: run `kgqa build` to build one "
                             "(or point KGQA_STORE / --store at an existing graph)")
        if create and not readonly:
            FsPath(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        if create and not readonly:
            self._create_schema(conn)
        self._check_schema(conn)

    # ---- connections --------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                uri = FsPath(self.path).resolve().as_uri() + "?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA cache_size = -65536")      # 64 MiB page cache per connection
            conn.execute("PRAGMA mmap_size = 268435456")     # read pages through a 256 MiB map
            if not self.readonly:
                conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe with WAL
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the graph {self.path}: {exc}") from exc
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"the store {self.path} is closed")
            conn = self._open()
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._connections = self._connections, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"cannot switch {self.path} to WAL mode (got {mode})")
            conn.executescript(_SCHEMA)
            for ddl in _BULK_INDEXES.values():
                conn.execute(ddl)
            conn.execute(_FTS)
            conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot create a graph in {self.path}: {exc}") from exc

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a kgqa graph ({exc}): run `kgqa build` to build one") from exc
        if row is None:
            raise StoreError(f"{self.path} is not a kgqa graph (no schema version): run `kgqa build`")
        if row[0] != SCHEMA_VERSION:
            raise StoreError(f"{self.path} has graph schema version {row[0]}, this kgqa reads version "
                             f"{SCHEMA_VERSION}: rebuild it with `kgqa build`")

    def _write_conn(self) -> sqlite3.Connection:
        if self.readonly:
            raise StoreError(f"the store {self.path} is open read-only")
        return self._conn()

    # ---- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator["SQLiteStore"]:
        conn = self._write_conn()
        depth = self._local.depth
        name = f"sp{depth}"
        conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
        self._local.depth = depth + 1
        try:
            yield self
        except BaseException:
            self._local.depth = depth
            if depth == 0:
                conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        else:
            self._local.depth = depth
            conn.execute("COMMIT" if depth == 0 else f"RELEASE {name}")

    def _finish_write(self, conn: sqlite3.Connection, delta: _StatsDelta) -> None:
        """Bump the write generation; when the stats cache was current, carry it over with `delta` applied
        (so `stats()` stays instant through curation), else leave it stale for `stats()` to recompute."""
        st = self._current_stats(conn)
        generation = self._bump_generation(conn)
        if st is None:
            return
        st["entities"] += delta.entities
        st["facts"] += delta.facts
        for key, change in (("by_type", delta.by_type), ("by_predicate", delta.by_predicate)):
            counts = Counter(st[key])
            counts.update(change)
            st[key] = {k: v for k, v in sorted(counts.items()) if v > 0}
        old = st["by_source"]
        entities = Counter({name: row["entities"] for name, row in old.items()})
        facts = Counter({name: row["facts"] for name, row in old.items()})
        entities.update(delta.source_entities)
        facts.update(delta.source_facts)
        st["by_source"] = _by_source(entities, facts, _source_infos(conn))
        self._store_stats(conn, GraphStats(**st), generation)

    def _current_stats(self, conn: sqlite3.Connection) -> dict | None:
        """The cached stats (as JSON) when no write happened since they were computed, else None."""
        return self._stats_cache(conn)[0]

    @staticmethod
    def _stats_cache(conn: sqlite3.Connection) -> tuple[dict | None, str]:
        """(the cached stats if current, else None; the write generation they must be stored under)."""
        row = conn.execute("SELECT (SELECT value FROM meta WHERE key = 'stats_cache'), "
                           "(SELECT value FROM meta WHERE key = 'write_generation')").fetchone()
        generation = row[1] or "0"
        if not row[0]:
            return None, generation
        data = json.loads(row[0])
        return (data["stats"] if data.get("generation") == generation else None), generation

    def _store_stats(self, conn: sqlite3.Connection, stats: GraphStats, generation: str) -> None:
        """Cache `stats` as the counts of write generation `generation` (read before they were counted)."""
        conn.execute("INSERT INTO meta(key, value) VALUES ('stats_cache', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (dumps({"generation": generation, "stats": stats.to_json()}),))

    def _bump_generation(self, conn: sqlite3.Connection) -> str:
        """Every write that changes counts bumps this, which invalidates the cached stats; returns the new one."""
        return conn.execute("INSERT INTO meta(key, value) VALUES ('write_generation', '1') "
                            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 "
                            "RETURNING value").fetchone()[0]

    # ---- entities -----------------------------------------------------------------------------
    def get_entity(self, entity_id: str) -> Entity | None:
        return self.get_entities([entity_id]).get(entity_id)

    def get_entities(self, ids: Sequence[str]) -> dict[str, Entity]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        conn = self._conn()
        rows = conn.execute(
            "SELECT id, type, name, description, sources FROM entities "
            "WHERE id IN (SELECT value FROM json_each(?))", (_json_list(ids),)).fetchall()
        return {e.id: e for e in self._hydrate(conn, rows)}

    def _hydrate(self, conn: sqlite3.Connection, rows: list[tuple]) -> list[Entity]:
        """Entities from (id, type, name, description, sources) rows, synonyms and xrefs fetched in bulk."""
        if not rows:
            return []
        key = _json_list(r[0] for r in rows)
        synonyms: dict[str, list[Synonym]] = defaultdict(list)
        for eid, text, kind, source in conn.execute(
                "SELECT entity_id, text, kind, source FROM synonyms "
                "WHERE entity_id IN (SELECT value FROM json_each(?)) AND kind != ? ORDER BY rowid",
                (key, _NAME_KIND)):
            synonyms[eid].append(Synonym(text, kind, source))
        xrefs: dict[str, list[str]] = defaultdict(list)
        for eid, curie in conn.execute(
                "SELECT entity_id, curie FROM xrefs WHERE entity_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY entity_id, curie", (key,)):
            xrefs[eid].append(curie)
        return [Entity(id=r[0], type=r[1], name=r[2], description=r[3], sources=json.loads(r[4]),
                       synonyms=synonyms.get(r[0], []), xrefs=xrefs.get(r[0], [])) for r in rows]

    def resolve(self, curie: str) -> str | None:
        if not curie or not curie.strip():
            return None
        conn = self._conn()
        curie = _safe(curie.strip())
        row = conn.execute("SELECT id FROM entities WHERE id = ?", (curie,)).fetchone()
        if row:
            return row[0]
        key = curie_key(curie)
        row = conn.execute("SELECT id FROM entities WHERE key = ? ORDER BY id LIMIT 1", (key,)).fetchone()
        if row:
            return row[0]
        row = conn.execute("SELECT entity_id FROM xrefs WHERE key = ? ORDER BY entity_id LIMIT 1", (key,)).fetchone()
        return row[0] if row else None

    def search(self, text: str, limit: int = 20, types: Sequence[str] | None = None,
               offset: int = 0) -> list[Entity]:
        query = fts_query(text or "")
        if query is None or limit <= 0:
            return []
        norm = normalise_name(text)
        type_filter, params = "", [norm, norm, query]
        if types:
            type_filter = f"AND e.type IN ({_placeholders(len(types))})"
            params += list(types)
        params += [limit, max(offset, 0)]
        # Rank: exact match on the preferred name, then on a synonym, then bm25 (FTS5 `rank`, lower is
        # better), shorter names before longer ones, then id so the order is stable.
        sql = f"""
            SELECT e.id, e.type, e.name, e.description, e.sources,
                   min(CASE WHEN s.norm = ? AND s.kind = '{_NAME_KIND}' THEN 0
                            WHEN s.norm = ? THEN 1 ELSE 2 END) AS exact,
                   min(names_fts.rank) AS score
            FROM names_fts JOIN synonyms s ON s.rowid = names_fts.rowid JOIN entities e ON e.id = s.entity_id
            WHERE names_fts MATCH ? {type_filter}
            GROUP BY e.id
            ORDER BY exact, score, length(e.name), e.id
            LIMIT ? OFFSET ?"""
        conn = self._conn()
        try:
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:   # should not happen: every word is quoted
            raise StoreError(f"search for {text!r} failed: {exc}") from exc
        return self._hydrate(conn, [r[:5] for r in rows])

    def iter_entities(self, types: Sequence[str] | None = None, batch_size: int = 5000) -> Iterator[Entity]:
        conn = self._conn()
        last = ""
        type_filter = f"AND type IN ({_placeholders(len(types))})" if types else ""
        while True:
            rows = conn.execute(
                f"SELECT id, type, name, description, sources FROM entities WHERE id > ? {type_filter} "
                "ORDER BY id LIMIT ?", [last, *(types or []), batch_size]).fetchall()
            if not rows:
                return
            yield from self._hydrate(conn, rows)
            last = rows[-1][0]

    # ---- facts --------------------------------------------------------------------------------
    @staticmethod
    def _facts_from_rows(rows: Iterable[tuple]) -> list[Fact]:
        """Facts from rows of (id, subject, predicate, object, provenance JSON)."""
        return [Fact(subject=subject, predicate=predicate, object=obj, id=fid, provenance=decode_records(prov))
                for fid, subject, predicate, obj, prov in rows]

    def get_fact(self, fact_id: str) -> Fact | None:
        facts = self.get_facts([fact_id])
        return facts.get(fact_id)

    def get_facts(self, fact_ids: Sequence[str]) -> dict[str, Fact]:
        """Facts by id (missing ids are left out)."""
        rows = self._conn().execute(FACTS_BY_IDS, (_json_list(fact_ids),))
        return {f.id: f for f in self._facts_from_rows(rows)}

    def facts(self, entity_id: str, predicates: Sequence[str] | None = None, direction: str = "both",
              other_types: Sequence[str] | None = None, limit: int | None = 100,
              offset: int = 0) -> list[Fact]:
        # one arm per predicate (all of them when none is given), so every arm is in fact-id order
        preds = list(dict.fromkeys(predicates)) if predicates else list(PREDICATES)
        types = list(other_types or [])
        sql = facts_page(direction, len(preds), len(types))
        lim = -1 if limit is None else max(int(limit), 0)
        if lim == 0:
            return []
        rows = self._conn().execute(sql, [_safe(entity_id), *preds, *types, lim, max(int(offset), 0)])
        return self._facts_from_rows(rows)

    def count_facts(self, entity_id: str, predicates: Sequence[str] | None = None,
                    direction: str = "both", other_types: Sequence[str] | None = None) -> int:
        preds = list(dict.fromkeys(predicates or []))
        types = list(other_types or [])
        sql = facts_count(direction, len(preds), len(types))
        return self._conn().execute(sql, [_safe(entity_id), *preds, *types]).fetchone()[0]

    def iter_facts(self, batch_size: int = 10000) -> Iterator[Fact]:
        conn = self._conn()
        last = ""
        while True:
            rows = conn.execute(FACTS_AFTER, (last, batch_size)).fetchall()
            if not rows:
                return
            yield from self._facts_from_rows(rows)
            last = rows[-1][0]

    # ---- path search --------------------------------------------------------------------------
    def _edges_of(self, conn: sqlite3.Connection, node: str, predicates: Sequence[str] | None,
                  cap: int | None) -> list[tuple[str, str]] | None:
        """(fact id, other end) of every fact touching node, or None when it has more than `cap`."""
        pred = f" AND predicate IN ({_placeholders(len(predicates))})" if predicates else ""
        preds = list(predicates or [])
        lim = -1 if cap is None else cap + 1
        rows = conn.execute(
            f"SELECT id, object FROM facts WHERE subject = ?{pred} LIMIT ?", [node, *preds, lim]).fetchall()
        if cap is not None and len(rows) > cap:
            return None
        rows += conn.execute(
            f"SELECT id, subject FROM facts WHERE object = ?{pred} LIMIT ?",
            [node, *preds, -1 if cap is None else cap + 1 - len(rows)]).fetchall()
        if cap is not None and len(rows) > cap:
            return None
        return rows

    def shortest_paths(self, source: str, target: str, max_hops: int = 3, limit: int = 10,
                       predicates: Sequence[str] | None = None) -> list[Path]:
        """Bidirectional breadth-first search over the indexed 1-hop lookups, edges followed either way.

        Returns only paths of the shortest length found (at most `limit`). Bounded work: a node with more
        than `hub_degree` facts (matching `predicates`) is not expanded unless it is an endpoint; such a
        hub can still sit in the middle of a path, where both searches meet (s-hub-t, s-a-hub-b-t), but
        a path through two adjacent hubs is not found. The search also stops after reading
        DEFAULT_PATH_EDGE_BUDGET edges.
        """
        if not 1 <= max_hops <= 4:
            raise ValueError(f"max_hops must be between 1 and 4, not {max_hops}")
        if limit <= 0 or source == target:
            return []
        source, target = _safe(source), _safe(target)
        conn = self._conn()
        if conn.execute("SELECT count(*) FROM entities WHERE id IN (?, ?)", (source, target)).fetchone()[0] < 2:
            return []
        # per side: distance from its root, parents[node] = [(previous node, fact id)], current frontier
        dist = ({source: 0}, {target: 0})
        parents: tuple[dict, dict] = ({source: []}, {target: []})
        frontier = ([source], [target])
        depth = [0, 0]
        budget = DEFAULT_PATH_EDGE_BUDGET
        meet: list[str] = []
        while depth[0] + depth[1] < max_hops and frontier[0] and frontier[1] and budget > 0:
            side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
            d_here, d_there, par = dist[side], dist[1 - side], parents[side]
            new_depth = depth[side] + 1
            nxt: list[str] = []
            for node in frontier[side]:
                is_root = node in (source, target)
                edges = self._edges_of(conn, node, predicates, None if is_root else self.hub_degree)
                if edges is None:
                    continue            # a hub: may be a meeting point, never expanded
                budget -= len(edges)
                if budget <= 0:
                    break
                for fid, other in edges:
                    seen = d_here.get(other)
                    if seen is None:
                        d_here[other] = new_depth
                        par[other] = [(node, fid)]
                        nxt.append(other)
                    elif seen == new_depth:
                        par[other].append((node, fid))
            depth[side] = new_depth
            frontier = (nxt, frontier[1]) if side == 0 else (frontier[0], nxt)
            meet = [n for n in nxt if n in d_there]
            if meet:
                best = min(d_there[n] for n in meet)
                meet = sorted(n for n in meet if d_there[n] == best)
                break
        if not meet:
            return []
        return self._assemble_paths(conn, meet, parents, limit)

    def _assemble_paths(self, conn: sqlite3.Connection, meet: list[str], parents: tuple[dict, dict],
                        limit: int) -> list[Path]:
        def chains(node: str, par: dict) -> Iterator[list[tuple[str, str]]]:
            """Every chain of (node, fact id into it) from the root to node, root first."""
            if not par[node]:
                yield [(node, "")]
                return
            for prev, fid in par[node]:
                for chain in chains(prev, par):
                    yield chain + [(node, fid)]

        found: list[tuple[list[str], list[str]]] = []
        for node in meet:
            for head in chains(node, parents[0]):
                for tail in chains(node, parents[1]):
                    # head: source ... node; tail: target ... node (reversed below)
                    nodes = [n for n, _ in head] + [n for n, _ in reversed(tail[:-1])]
                    fids = [f for _, f in head[1:]] + [f for _, f in reversed(tail[1:])]
                    found.append((nodes, fids))
                    if len(found) >= limit:
                        break
                if len(found) >= limit:
                    break
            if len(found) >= limit:
                break
        facts = self.get_facts(sorted({f for _, fids in found for f in fids}))
        return [Path(entities=nodes, facts=[facts[f] for f in fids]) for nodes, fids in found]

    # ---- writes -------------------------------------------------------------------------------
    def upsert_entities(self, entities: Iterable[Entity]) -> int:
        n = 0
        with self.transaction():
            conn = self._conn()
            delta = _StatsDelta()
            for chunk in batched(entities, _CHUNK):
                self._write_entities(conn, chunk, fts=True, delta=delta)
                n += len(chunk)
            self._finish_write(conn, delta)
        return n

    def _write_entities(self, conn: sqlite3.Connection, chunk: list[Entity], fts: bool,
                        delta: _StatsDelta | None = None) -> None:
        """Insert or update entities; their names, synonyms and xrefs are replaced."""
        chunk = list({e.id: e for e in chunk}.values())     # an id given twice: the last one wins
        ids = _json_list(e.id for e in chunk)
        if delta is not None:
            old = {r[0]: (r[1], set(json.loads(r[2]))) for r in conn.execute(
                "SELECT id, type, sources FROM entities WHERE id IN (SELECT value FROM json_each(?))", (ids,))}
            for e in chunk:
                if e.id in old:
                    delta.by_type[old[e.id][0]] -= 1
                    delta.source_entities.subtract(old[e.id][1])
                else:
                    delta.entities += 1
                delta.by_type[e.type] += 1
                delta.source_entities.update(set(e.sources))
        if fts:
            conn.execute("DELETE FROM names_fts WHERE rowid IN (SELECT rowid FROM synonyms "
                         "WHERE entity_id IN (SELECT value FROM json_each(?)))", (ids,))
        conn.execute("DELETE FROM synonyms WHERE entity_id IN (SELECT value FROM json_each(?))", (ids,))
        conn.execute("DELETE FROM xrefs WHERE entity_id IN (SELECT value FROM json_each(?))", (ids,))
        conn.executemany(
            "INSERT INTO entities(id, key, type, name, description, sources) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET key = excluded.key, type = excluded.type, name = excluded.name, "
            "description = excluded.description, sources = excluded.sources",
            [(e.id, curie_key(e.id), e.type, e.name, e.description or "", json.dumps(list(e.sources)))
             for e in chunk])
        names = []
        for e in chunk:
            names.append((e.id, e.name, normalise_name(e.name), _NAME_KIND, ""))
            names.extend((e.id, s.text, normalise_name(s.text), s.kind, s.source) for s in e.synonyms)
        first = conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM synonyms").fetchone()[0]
        conn.executemany("INSERT INTO synonyms(rowid, entity_id, text, norm, kind, source) VALUES (?, ?, ?, ?, ?, ?)",
                         [(first + i, *row) for i, row in enumerate(names)])
        if fts:
            conn.executemany("INSERT INTO names_fts(rowid, text) VALUES (?, ?)",
                             [(first + i, row[1]) for i, row in enumerate(names)])
        conn.executemany("INSERT OR IGNORE INTO xrefs(entity_id, curie, key) VALUES (?, ?, ?)",
                         [(e.id, x, curie_key(x)) for e in chunk for x in e.xrefs if x and x != e.id])

    def upsert_facts(self, facts: Iterable[Fact]) -> int:
        n = 0
        with self.transaction():
            conn = self._conn()
            delta = _StatsDelta()
            for chunk in batched(facts, _CHUNK):
                self._check_endpoints(conn, chunk)
                merged = self._merged_with_stored(conn, chunk, delta)
                conn.executemany("INSERT INTO facts(id, subject, predicate, object, provenance) "
                                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET provenance = excluded.provenance",
                                 [(f.id, f.subject, f.predicate, f.object, encode_records(f.provenance))
                                  for f in merged])
                n += len(chunk)
            self._finish_write(conn, delta)
        return n

    @staticmethod
    def _merged_with_stored(conn: sqlite3.Connection, chunk: list[Fact], delta: _StatsDelta) -> list[Fact]:
        """The facts of `chunk` once each, their provenance merged into what the store holds (a record for a
        (source, curator) pair already there replaces it); counts the facts and (fact, source) pairs that
        are new to the graph into `delta`."""
        ids = _json_list({f.id for f in chunk})
        stored = {fid: decode_records(prov) for fid, prov in conn.execute(
            "SELECT id, provenance FROM facts WHERE id IN (SELECT value FROM json_each(?))", (ids,))}
        merged: dict[str, Fact] = {}
        for f in chunk:
            old = merged[f.id].provenance if f.id in merged else stored.get(f.id)
            if old is None:
                delta.facts += 1
                delta.by_predicate[f.predicate] += 1
                old = []
            had = {p.source for p in old}
            records = merge_records(old, f.provenance)
            for source in dict.fromkeys(p.source for p in records):
                if source not in had:
                    delta.source_facts[source] += 1
            merged[f.id] = Fact(f.subject, f.predicate, f.object, records, id=f.id)
        return list(merged.values())

    @staticmethod
    def _deletion_delta(conn: sqlite3.Connection, ids_json: str, delta: _StatsDelta) -> None:
        """Subtract the facts listed in ids_json (a JSON list), before they are deleted."""
        for pred, n in conn.execute("SELECT predicate, count(*) FROM facts WHERE id IN "
                                    "(SELECT value FROM json_each(?)) GROUP BY predicate", (ids_json,)):
            delta.facts -= n
            delta.by_predicate[pred] -= n
        listed = _FACTS_PER_SOURCE.format(where="WHERE f.id IN (SELECT value FROM json_each(?))")
        for source, n in conn.execute(listed, (ids_json,)):
            delta.source_facts[source] -= n

    def _check_endpoints(self, conn: sqlite3.Connection, chunk: list[Fact]) -> None:
        ends = {f.subject for f in chunk} | {f.object for f in chunk}
        found = {r[0] for r in conn.execute("SELECT id FROM entities WHERE id IN (SELECT value FROM json_each(?))",
                                            (_json_list(ends),))}
        for f in chunk:
            for end in (f.subject, f.object):
                if end not in found:
                    raise StoreError(f"fact {f.id} ({f.subject} {f.predicate} {f.object}): "
                                     f"{end} is not an entity of the graph; add the entity first")

    def delete_facts(self, fact_ids: Iterable[str]) -> int:
        ids = _json_list(fact_ids)
        with self.transaction():
            conn = self._conn()
            delta = _StatsDelta()
            self._deletion_delta(conn, ids, delta)
            n = conn.execute("DELETE FROM facts WHERE id IN (SELECT value FROM json_each(?))", (ids,)).rowcount
            self._finish_write(conn, delta)
        return n

    def delete_entity(self, entity_id: str) -> None:
        with self.transaction():
            conn = self._conn()
            delta = _StatsDelta()
            row = conn.execute("SELECT type, sources FROM entities WHERE id = ?", (entity_id,)).fetchone()
            if row is None:
                return
            delta.entities, delta.by_type[row[0]] = -1, -1
            delta.source_entities.subtract(set(json.loads(row[1])))
            touching = [r[0] for r in conn.execute("SELECT id FROM facts WHERE subject = ? UNION "
                                                   "SELECT id FROM facts WHERE object = ?", (entity_id, entity_id))]
            self._deletion_delta(conn, _json_list(touching), delta)
            conn.execute("DELETE FROM names_fts WHERE rowid IN (SELECT rowid FROM synonyms WHERE entity_id = ?)",
                         (entity_id,))
            # facts (with their provenance), synonyms and xrefs go by ON DELETE CASCADE
            conn.execute("DELETE FROM entities WHERE id = ?", (entity_id,))
            self._finish_write(conn, delta)

    # ---- bulk load ----------------------------------------------------------------------------
    def bulk_load(self, entities: Iterable[Entity], facts: Iterable[Fact], progress: bool = False,
                  skip_dangling: bool = False) -> BulkLoadReport:
        """Fast path for the build: load entities then facts, with secondary indexes and the name index
        dropped during the load and rebuilt after.

        On an empty store (the build's fresh temporary file) it also turns syncing off and keeps the
        rollback journal in memory for the load: a crash leaves the file unusable, which is fine for a file
        renamed into place only after a successful build. On a store with data, it runs in one ordinary transaction instead.
        A fact whose subject or object is not an entity raises StoreError, or is counted and skipped with
        skip_dangling=True. A fact given twice is stored once; a provenance record given twice (same fact,
        source and curator) keeps the last one.
        """
        from tqdm import tqdm

        conn = self._write_conn()
        if self._local.depth:
            raise StoreError("bulk_load cannot run inside a transaction")
        start = time.perf_counter()
        fresh = conn.execute("SELECT NOT EXISTS(SELECT 1 FROM entities) AND NOT EXISTS(SELECT 1 FROM facts)"
                             ).fetchone()[0] == 1
        show = progress and sys.stderr.isatty()
        skipped = 0
        # The index builds sort with SQLite's sorter, whose in-memory runs are as large as the page cache:
        # runs of 4 MiB (fit in the CPU's caches) sort faster than runs of 16 MiB and about twice as fast as
        # one run of 512 MiB (measured, bench/results/store.md), and one sorter thread beats two on 2 shared
        # cores (the second thread added CPU, not speed).
        conn.execute(f"PRAGMA cache_size = -{int(self.bulk_cache_kib)}")
        conn.execute(f"PRAGMA threads = {int(self.bulk_sort_threads)}")
        # foreign keys off: endpoints are checked here, in Python, and facts.id has no index mid-load
        conn.execute("PRAGMA foreign_keys = OFF")
        if fresh:
            # a rollback journal in memory costs next to nothing on a fresh file (new pages need no
            # journal) but still lets a failed statement (a unique index meeting duplicates) roll back
            conn.execute("PRAGMA journal_mode = MEMORY")
            conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        # The row tuples made here hold only strings and are freed chunk by chunk; the cyclic collector would
        # still run thousands of times over them (about 3% of a 2.25M-fact load), so it waits until the end.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        clock = _PhaseClock()
        try:
            for name in _BULK_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            conn.execute("DROP TABLE IF EXISTS names_fts")
            known = {r[0] for r in conn.execute("SELECT id FROM entities")}
            with clock("entities"), tqdm(desc="entities", unit=" entities", disable=not show,
                                         file=sys.stderr) as bar:
                for chunk in batched(entities, _CHUNK):
                    self._write_entities(conn, chunk, fts=False)
                    known.update(e.id for e in chunk)
                    bar.update(len(chunk))
            fact_sql = "INSERT INTO facts(id, subject, predicate, object, provenance) VALUES (?, ?, ?, ?, ?)"
            encode = RecordEncoder()
            tally = FactCounts(by_source=encode.fact_sources)
            with clock("facts"), tqdm(desc="facts", unit=" facts", disable=not show, file=sys.stderr) as bar:
                for chunk in batched(facts, 20000):
                    fact_rows = _bulk_rows(chunk, known, encode)
                    tally.facts += len(fact_rows)
                    tally.by_predicate.update(row[2] for row in fact_rows)
                    if len(fact_rows) != len(chunk):
                        if not skip_dangling:
                            bad = next(f for f in chunk if f.subject not in known or f.object not in known)
                            end = bad.subject if bad.subject not in known else bad.object
                            raise StoreError(f"fact {bad.id} ({bad.subject} {bad.predicate} {bad.object}): "
                                             f"{end} is not an entity of the graph")
                        skipped += len(chunk) - len(fact_rows)
                    conn.executemany(fact_sql, fact_rows)
                    bar.update(len(chunk))
            with clock("indexes"):
                merged = self._build_indexes(conn, show, clock)
            generation = self._bump_generation(conn)
            if fresh and not merged:     # the tally is the graph: cache the stats now, not on first use
                self._store_stats(conn, self._compute_stats(conn, tally), generation)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if gc_was_enabled:
                gc.enable()
            self._local.depth = 0
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA foreign_keys = ON")
            if fresh:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA optimize")
        counts = conn.execute("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM facts)").fetchone()
        # the records written are the records stored unless rows were merged (a scan of every row's JSON)
        records = (encode.records if fresh and not merged else
                   conn.execute("SELECT sum(json_array_length(provenance)) FROM facts").fetchone()[0] or 0)
        return BulkLoadReport(entities=counts[0], facts=counts[1], provenance=records, skipped_facts=skipped,
                              seconds=time.perf_counter() - start, phases=clock.wall, cpu_phases=clock.cpu)

    def _build_indexes(self, conn: sqlite3.Connection, show: bool, clock: "_PhaseClock") -> bool:
        """Build the dropped indexes and the name index, each timed as phase "index <name>". True when
        facts given more than once had to be merged first."""
        from tqdm import tqdm

        merged = False
        for step in tqdm([*_BULK_INDEXES, "names"], desc="indexes", disable=not show, file=sys.stderr):
            with clock(f"index {step}"):
                merged = self._build_index(conn, step) or merged
        return merged

    def _build_index(self, conn: sqlite3.Connection, step: str) -> bool:
        if step == "facts_id":
            try:
                conn.execute(_BULK_INDEXES[step])
            except sqlite3.IntegrityError:
                self._merge_duplicates(conn)
                conn.execute(_BULK_INDEXES[step])
                return True
        elif step == "names":
            conn.execute(_FTS)
            conn.execute("INSERT INTO names_fts(rowid, text) SELECT rowid, text FROM synonyms")
        else:
            conn.execute(_BULK_INDEXES[step])
        return False

    @staticmethod
    def _merge_duplicates(conn: sqlite3.Connection) -> None:
        """A fact given twice (or already in the store) keeps its first row, with the provenance of every
        row merged in row order: a later record for the same (source, curator) replaces the earlier one."""
        conn.execute("CREATE INDEX temp_dupes ON facts(id)")
        rows = conn.execute("SELECT rowid, id, provenance FROM facts WHERE id IN "
                            "(SELECT id FROM facts GROUP BY id HAVING count(*) > 1) ORDER BY id, rowid").fetchall()
        keep: dict[str, tuple[int, list]] = {}
        drop: list[tuple[int]] = []
        for rowid, fid, prov in rows:
            if fid in keep:
                first, records = keep[fid]
                keep[fid] = (first, merge_records(records, decode_records(prov)))
                drop.append((rowid,))
            else:
                keep[fid] = (rowid, decode_records(prov))
        conn.executemany("UPDATE facts SET provenance = ? WHERE rowid = ?",
                         [(encode_records(records), rowid) for rowid, records in keep.values()])
        conn.executemany("DELETE FROM facts WHERE rowid = ?", drop)
        conn.execute("DROP INDEX temp_dupes")

    # ---- sources, metadata, counts ------------------------------------------------------------
    def set_sources(self, sources: Iterable[SourceInfo]) -> None:
        """Insert or update sources by name (others are kept)."""
        with self.transaction():
            conn = self._conn()
            conn.executemany(
                "INSERT INTO sources(name, title, version, license, url, attribution) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET title = excluded.title, version = excluded.version, "
                "license = excluded.license, url = excluded.url, attribution = excluded.attribution",
                [(s.name, s.title, s.version, s.license, s.url, s.attribution) for s in sources])
            self._finish_write(conn, _StatsDelta())

    def sources(self) -> list[SourceInfo]:
        rows = self._conn().execute(
            "SELECT name, title, version, license, url, attribution FROM sources ORDER BY name").fetchall()
        return [SourceInfo(*r) for r in rows]

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._conn().execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, str(value)))

    def stats(self) -> GraphStats:
        """Counts per the `kgqa stats --json` contract. Cached in meta: writes carry the cache forward with
        their own changes applied; after a bulk load (or on a file without a cache) they are recomputed."""
        conn = self._conn()
        cached, generation = self._stats_cache(conn)
        if cached is not None:
            return GraphStats(**cached)
        stats = self._compute_stats(conn)
        if not self.readonly and not self._local.depth:
            # caching is an optimisation only: never wait long for another thread's write lock
            conn.execute("PRAGMA busy_timeout = 50")
            try:
                self._store_stats(conn, stats, generation)
            except sqlite3.OperationalError:
                pass
            finally:
                conn.execute("PRAGMA busy_timeout = 30000")
        return stats

    def _compute_stats(self, conn: sqlite3.Connection, fact_counts: "FactCounts | None" = None) -> GraphStats:
        """Count everything, or only the entities when `fact_counts` (the bulk load's tally) are given: the
        facts' part reads every fact's provenance JSON, seconds on millions of facts."""
        entities = conn.execute("SELECT count(*) FROM entities").fetchone()[0]
        by_type = dict(conn.execute("SELECT type, count(*) FROM entities GROUP BY type ORDER BY type"))
        ent_by_source = dict(conn.execute(
            "SELECT j.value, count(DISTINCT entities.id) FROM entities, json_each(entities.sources) j GROUP BY j.value"))
        if fact_counts is None:
            facts = conn.execute("SELECT count(*) FROM facts").fetchone()[0]
            by_predicate = dict(conn.execute(
                "SELECT predicate, count(*) FROM facts GROUP BY predicate ORDER BY predicate"))
            fact_by_source = dict(conn.execute(_FACTS_PER_SOURCE.format(where="")))
        else:
            facts = fact_counts.facts
            by_predicate = dict(sorted(fact_counts.by_predicate.items()))
            fact_by_source = dict(fact_counts.by_source)
        by_source = _by_source(ent_by_source, fact_by_source, _source_infos(conn))
        return GraphStats(entities=entities, facts=facts, by_source=by_source, by_type=by_type,
                          by_predicate=by_predicate)


def _source_infos(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """(license, version) of each registered source."""
    return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT name, license, version FROM sources")}


def _by_source(entities: dict[str, int], facts: dict[str, int],
               infos: dict[str, tuple[str, str]]) -> dict[str, dict]:
    """The `by_source` part of the stats: every registered source, and every other source that still
    has entities or facts, in name order."""
    by_source = {}
    for name in sorted(set(infos) | set(entities) | set(facts)):
        ents, n_facts = entities.get(name, 0), facts.get(name, 0)
        if ents > 0 or n_facts > 0 or name in infos:
            lic, ver = infos.get(name, ("", ""))
            by_source[name] = {"entities": ents, "facts": n_facts, "license": lic, "version": ver}
    return by_source




def _bulk_rows(chunk: list[Fact], known: set[str], encode: RecordEncoder) -> list[tuple]:
    """Insert rows (id, subject, predicate, object, provenance JSON) for the facts of `chunk` whose endpoints
    are both in `known`. One pass, no per-row helper calls but the encoder: this runs once per fact of a build."""
    rows: list[tuple] = []
    add = rows.append
    for f in chunk:
        s, o = f.subject, f.object
        if s in known and o in known:
            add((f.id, s, f.predicate, o, encode(f.provenance)))
    return rows
