"""The graph on Neo4j (self-hosted, cluster or Aura) through the official `neo4j` driver and Cypher.

Layout in the database (every label and relationship type is a constant or a controlled predicate):
- `(:Entity {id, key, type, name, description, sources: [..], xrefs: [..], syn: JSON [[text, kind, source]]})`,
  `key` being the id with its prefix lowercased (case-insensitive `resolve`, as in SQLite)
- a fact is a relationship `(subject)-[:<predicate> {id, prov: JSON [provenance], nprov, sources: [..]}]->(object)`
  whose type is the predicate itself, so typed 1-hop and path queries are plain pattern matches;
  provenance lives on the relationship (JSON: Neo4j properties cannot hold maps).
- `(:Term {w, e, norm, words, pref, type, nlen})`: one node per distinct word stem `w` of each name or
  synonym of entity `e`; name search is an index seek on `w` (no full-text procedures, which ArcadeDB
  lacks), then a filter on `words`. Words are folded and Porter-stemmed exactly as SQLite's FTS5
  `porter unicode61 remove_diacritics 2` tokenizer does, so both stores find the same entities.
- `(:Xref {curie, key, e})` for `resolve`, `(:Source {...})` and `(:Meta {key, value})`.

Only Cypher that both Neo4j 5 and ArcadeDB's Bolt endpoint accept is used (see docs/neo4j.md).
"""
from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import asdict
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from kg.model import PREDICATES, Entity, Fact, Provenance, SourceInfo, Synonym, fact_id
from kg.store.base import GraphStats, GraphStore, Path, StoreError, batched
from kg.store.provenance import merge_records
from kg.store.sqlite import BulkLoadReport  # the same report for both stores (stdlib-only module)
from kg.store.sqlite import _safe as safe_text  # the same surrogate repair for both stores

try:  # the driver is a core dependency; the guard turns a broken install into a clear message
    import neo4j
    from neo4j import exceptions as neo4j_errors
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise StoreError("the Neo4j store needs the `neo4j` package: pip install neo4j") from exc

T = TypeVar("T")

WRITE_BATCH = 2000          # rows per UNWIND statement
PATH_CANDIDATES = 500       # paths fetched before sorting and trimming to `limit`

# Schema, created on first use. Each statement is idempotent (IF NOT EXISTS).
_SCHEMA = [
    "CREATE CONSTRAINT kg_entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE",
    "CREATE CONSTRAINT kg_meta_key IF NOT EXISTS FOR (m:Meta) REQUIRE m.key IS UNIQUE",
    "CREATE CONSTRAINT kg_source_name IF NOT EXISTS FOR (s:Source) REQUIRE s.name IS UNIQUE",
    "CREATE INDEX kg_entity_type IF NOT EXISTS FOR (e:Entity) ON (e.type)",
    "CREATE INDEX kg_entity_key IF NOT EXISTS FOR (e:Entity) ON (e.key)",
    "CREATE INDEX kg_term_word IF NOT EXISTS FOR (t:Term) ON (t.w)",
    "CREATE INDEX kg_term_entity IF NOT EXISTS FOR (t:Term) ON (t.e)",
    "CREATE INDEX kg_xref_key IF NOT EXISTS FOR (x:Xref) ON (x.key)",
    "CREATE INDEX kg_xref_entity IF NOT EXISTS FOR (x:Xref) ON (x.e)",
] + [f"CREATE INDEX kg_fact_{p} IF NOT EXISTS FOR ()-[r:`{p}`]-() ON (r.id)" for p in PREDICATES]

_RETRYABLE = (neo4j_errors.TransientError, neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired)


# ---- pure helpers ---------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+")


def normalise_name(text: str) -> str:
    """Lowercase words joined by single spaces: the form exact-name ranking compares (as in SQLite)."""
    return " ".join(_WORD_RE.findall(text.casefold()))


def curie_key(curie: str) -> str:
    """A CURIE with its prefix lowercased ("MeSH:D014839" and "MESH:D014839" share a key)."""
    prefix, sep, local = curie.strip().partition(":")
    return f"{prefix.lower()}{sep}{local}"


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    # Porter with Martin's published fixes: the variant FTS5's `porter` tokenizer implements
    # (checked word for word on the 15,518 distinct words of HPO's names and synonyms)
    from nltk.stem.porter import PorterStemmer
    stem = PorterStemmer(mode=PorterStemmer.MARTIN_EXTENSIONS).stem
    return lru_cache(maxsize=200_000)(lambda w: stem(w, to_lowercase=False))


def name_tokens(text: str) -> list[str]:
    """Search words of a name: accents removed, lower case, runs of letters and digits, Porter stems."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    stem = _stemmer()
    return [stem(w) for w in _WORD_RE.findall(folded)]


def retry_transient(work: Callable[[], T], attempts: int = 6, backoff_s: float = 0.05,
                    sleep: Callable[[float], None] = time.sleep,
                    on_retry: Callable[[Exception], None] | None = None) -> T:
    """Run `work`, again after a transient failure (deadlock, leader switch, dropped connection),
    with exponential back-off (capped at 2 s) and jitter; the last failure propagates."""
    for attempt in range(attempts):
        try:
            return work()
        except _RETRYABLE as exc:
            retryable = not isinstance(exc, neo4j_errors.Neo4jError) or exc.is_retryable()
            if not retryable or attempt == attempts - 1:
                raise
            if on_retry is not None:
                on_retry(exc)
            sleep(min(2.0, backoff_s * (2 ** attempt)) * (1 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def _type_pattern(predicates: Sequence[str] | None) -> str | None:
    """`:treats|palliates` for a relationship pattern; None when no known predicate is asked for.
    Only names from the controlled vocabulary reach the query text."""
    chosen = list(PREDICATES) if predicates is None else [p for p in PREDICATES if p in set(predicates)]
    if not chosen:
        return None
    return ":" + "|".join(f"`{p}`" for p in chosen)


def _xrefs(e: Entity) -> list[str]:
    """Stored xrefs: distinct, sorted, never the entity's own id (as SQLite keeps them)."""
    return sorted({x for x in e.xrefs if x and x != e.id})


# The property rows the store writes; `kgqa export neo4j` writes the same rows as CSV.
def entity_row(e: Entity) -> dict[str, Any]:
    return {"id": e.id, "key": curie_key(e.id), "type": e.type, "name": e.name,
            "description": e.description or "", "sources": list(e.sources), "xrefs": _xrefs(e),
            "syn": json.dumps([[s.text, s.kind, s.source] for s in e.synonyms], ensure_ascii=False)}


def term_rows(e: Entity) -> list[dict[str, Any]]:
    """One row per distinct word stem of each distinct name (the preferred name wins ties)."""
    names: dict[tuple[str, tuple[str, ...]], int] = {}
    for pref, name in [(0, e.name)] + [(1, s.text) for s in e.synonyms]:
        words = tuple(name_tokens(name))
        if words:
            key = (normalise_name(name), words)
            names[key] = min(pref, names.get(key, pref))
    rows = []
    for (norm, words), pref in names.items():
        for w in dict.fromkeys(words):
            rows.append({"w": w, "e": e.id, "norm": norm, "words": list(words), "pref": pref,
                         "type": e.type, "nlen": len(e.name)})
    return rows


def xref_rows(e: Entity) -> list[dict[str, Any]]:
    return [{"curie": x, "key": curie_key(x), "e": e.id} for x in _xrefs(e)]


def fact_properties(f: Fact) -> dict[str, Any]:
    """Relationship properties of a new fact (its provenance one record per source and curator)."""
    prov = merge_records([], f.provenance)
    return {"id": f.id, "prov": _prov_json(prov), "n": len(prov), "sources": sorted({p.source for p in prov})}


def _entity_from(props: dict[str, Any]) -> Entity:
    return Entity(
        id=props["id"], type=props["type"], name=props.get("name") or "",
        synonyms=[Synonym(t, k, s) for t, k, s in json.loads(props.get("syn") or "[]")],
        xrefs=list(props.get("xrefs") or []), description=props.get("description") or "",
        sources=list(props.get("sources") or []),
    )


def _fact_from(fid: str, predicate: str, subject: str, obj: str, prov: str | None) -> Fact:
    return Fact(subject, predicate, obj, [Provenance(**p) for p in json.loads(prov or "[]")], id=fid)


def _prov_json(prov: list[Provenance]) -> str:
    return json.dumps([asdict(p) for p in prov], ensure_ascii=False, sort_keys=True)


def _safe(value: Any) -> Any:
    """Lookup values Bolt can carry: lone surrogates (possible in decoded JSON input) become
    replacement characters instead of failing to encode, as in the SQLite store."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


_FACT_COLUMNS = "r.id AS id, type(r) AS p, startNode(r).id AS s, endNode(r).id AS o, r.prov AS prov"


# ---- the store ------------------------------------------------------------------------------------

class Neo4jStore(GraphStore):
    """A GraphStore on a Neo4j-compatible Bolt server. Thread-safe for reads; `transaction()` is per thread."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 database: str | None = None, *, retries: int = 6, connection_timeout: float = 10.0):
        self.url = url
        self.user = user or "neo4j"
        self.database = database or None
        self.retries = retries
        self.retried = 0            # transient failures retried so far (observability, tests)
        self._local = threading.local()
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        try:
            self._driver = neo4j.GraphDatabase.driver(
                url, auth=(self.user, password or ""), connection_timeout=connection_timeout,
                max_transaction_retry_time=5.0)
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise StoreError(f"graph server URL {url!r} is not valid: {exc}") from exc
        try:
            try:
                # a server that is down when the store opens is reported at once, not after back-offs
                self._call(lambda: self._driver.verify_connectivity(), attempts=min(2, self.retries))
            except ValueError as exc:   # the driver's word for an address it cannot parse or resolve
                raise StoreError(f"graph server URL {url!r} is not valid: {exc}") from exc
            self._read(lambda tx: tx.run("RETURN 1").consume())
            self._ensure_schema()
        except StoreError:
            self._driver.close()
            raise

    # ---- plumbing -----------------------------------------------------------------------------
    def _explain(self, exc: Exception) -> StoreError:
        where = f"graph server at {self.url}" + (f" (database {self.database!r})" if self.database else "")
        if isinstance(exc, neo4j_errors.AuthError):
            return StoreError(f"the {where} rejected user {self.user!r}: wrong user name or password "
                              f"(set KGQA_NEO4J_USER / KGQA_NEO4J_PASSWORD)")
        if isinstance(exc, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError)):
            return StoreError(f"cannot reach the {where}: is it running and is the URL right? ({exc})")
        if isinstance(exc, neo4j_errors.Neo4jError) and (exc.code or "").endswith("DatabaseNotFound"):
            return StoreError(f"the {where} has no database {self.database!r}: create it or set "
                              f"KGQA_NEO4J_DATABASE ({exc.message})")
        if isinstance(exc, neo4j_errors.ConstraintError):
            return StoreError(f"the {where} refused a write that breaks a constraint: {exc.message}")
        if isinstance(exc, neo4j_errors.Neo4jError):
            return StoreError(f"the {where} failed: {exc.code}: {exc.message}")
        return StoreError(f"the {where} failed: {exc}")

    def _call(self, work: Callable[[], T], attempts: int | None = None) -> T:
        try:
            return retry_transient(work, attempts=attempts or self.retries, on_retry=self._count_retry)
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._explain(exc) from exc

    def _count_retry(self, exc: Exception) -> None:
        self.retried += 1

    def _session(self, write: bool):
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _in_tx(self, work: Callable[[Any], T], write: bool) -> T:
        tx = getattr(self._local, "tx", None)
        if tx is not None:  # inside transaction(): no retry of a single statement, the block decides
            try:
                return work(tx)
            except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
                raise self._explain(exc) from exc

        def attempt() -> T:
            with self._session(write) as session:
                with session.begin_transaction() as t:
                    out = work(t)
                    t.commit()
                    return out
        return self._call(attempt)

    def _read(self, work: Callable[[Any], T]) -> T:
        return self._in_tx(work, write=False)

    def _write(self, work: Callable[[Any], T]) -> T:
        self._ensure_schema()
        return self._in_tx(work, write=True)

    def _rows(self, query: str, **params) -> list[dict[str, Any]]:
        params = {k: _safe(v) for k, v in params.items()}
        return self._read(lambda tx: [r.data() for r in tx.run(query, params)])

    def _stream(self, query: str, **params) -> Iterator[dict[str, Any]]:
        """Rows of one query, fetched lazily (one sort on the server for a whole scan: keyset paging
        would make ArcadeDB scan and sort the whole type once per page)."""
        tx = getattr(self._local, "tx", None)
        try:
            if tx is not None:
                yield from [r.data() for r in tx.run(query, params)]
                return
            with self._session(False) as session:
                for record in session.run(query, params):
                    yield record.data()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._explain(exc) from exc

    def _ensure_schema(self) -> None:
        """Constraints and indexes, created when the store is first opened on a database (a graph
        imported with neo4j-admin gets them here). A read-only user cannot create them: reads still work."""
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            # schema changes cannot share a transaction with data writes: each runs on its own
            def create() -> None:
                with self._session(True) as session:
                    for statement in _SCHEMA:
                        session.run(statement).consume()
            try:
                self._call(create)
            except StoreError as exc:
                if not isinstance(exc.__cause__, neo4j_errors.Forbidden):
                    raise
            self._schema_ready = True

    def close(self) -> None:
        self._driver.close()

    # ---- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator["Neo4jStore"]:
        if getattr(self._local, "tx", None) is not None:  # nested: join the outer transaction
            yield self
            return
        self._ensure_schema()
        try:
            session = self._session(True)
            tx = session.begin_transaction()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._explain(exc) from exc
        self._local.tx = tx
        try:
            yield self
        except BaseException:
            self._local.tx = None
            try:
                tx.rollback()
            finally:
                session.close()
            raise
        self._local.tx = None
        try:
            tx.commit()
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
            raise self._explain(exc) from exc
        finally:
            session.close()

    # ---- entities -----------------------------------------------------------------------------
    def get_entity(self, entity_id: str) -> Entity | None:
        return self.get_entities([entity_id]).get(entity_id)

    def get_entities(self, ids: Sequence[str]) -> dict[str, Entity]:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        rows = self._rows("UNWIND $ids AS x MATCH (e:Entity {id: x}) RETURN properties(e) AS p", ids=ids)
        return {r["p"]["id"]: _entity_from(r["p"]) for r in rows}

    def resolve(self, curie: str) -> str | None:
        if not curie or not curie.strip():
            return None
        curie = curie.strip()
        rows = self._rows(
            "OPTIONAL MATCH (e:Entity {id: $c}) WITH e "
            "OPTIONAL MATCH (k:Entity {key: $key}) WITH e, k ORDER BY k.id LIMIT 1 "
            "OPTIONAL MATCH (x:Xref {key: $key}) WITH e, k, x ORDER BY x.e LIMIT 1 "
            "RETURN e.id AS own, k.id AS folded, x.e AS other", c=curie, key=curie_key(curie))
        if not rows:
            return None
        return rows[0]["own"] or rows[0]["folded"] or rows[0]["other"]

    def search(self, text: str, limit: int = 20, types: Sequence[str] | None = None,
               offset: int = 0) -> list[Entity]:
        words = name_tokens(text or "")
        if not words or limit <= 0:
            return []
        whole, last = words[:-1], words[-1]
        # seek on the longest whole word when there is one (most selective), else on the prefix
        anchor_clause = "t.w = $anchor" if whole else "t.w STARTS WITH $anchor"
        anchor = max(whole, key=len) if whole else last
        # Ranked as SQLite ranks: exact preferred name, exact synonym, then the best-matching name (FTS5's
        # bm25 favours short names; here: fewest words), the preferred name's length, the id.
        query = (
            f"MATCH (t:Term) WHERE {anchor_clause} "
            + ("AND t.type IN $types " if types else "")
            + "AND all(w IN $whole WHERE w IN t.words) "
            "AND any(w IN t.words WHERE w STARTS WITH $last) "
            "WITH t.e AS id, t.nlen AS nlen, min(CASE WHEN t.norm = $norm AND t.pref = 0 THEN 0 "
            "WHEN t.norm = $norm THEN 1000 ELSE 2000 END + size(t.words)) AS score "
            "RETURN id ORDER BY score, nlen, id SKIP $offset LIMIT $limit")
        rows = self._rows(query, anchor=anchor, whole=whole, last=last, norm=normalise_name(text),
                          types=list(types or []), offset=max(int(offset), 0), limit=int(limit))
        ids = [r["id"] for r in rows]
        found = self.get_entities(ids)
        return [found[i] for i in ids if i in found]

    def iter_entities(self, types: Sequence[str] | None = None, batch_size: int = 5000) -> Iterator[Entity]:
        """Every entity in id order. Read in one unsorted scan and sorted here: a server-side ORDER BY
        over a whole label holds it all in the server's query heap (ArcadeDB caps that at 512 MB), and
        keyset pages make ArcadeDB scan and sort the label once per page."""
        type_filter = "WHERE e.type IN $types " if types else ""
        rows = [r["p"] for r in self._stream(f"MATCH (e:Entity) {type_filter}RETURN properties(e) AS p",
                                             types=list(types or []))]
        rows.sort(key=lambda p: p["id"])
        for props in rows:
            yield _entity_from(props)

    # ---- facts --------------------------------------------------------------------------------
    def get_fact(self, fact_id: str) -> Fact | None:
        return self.get_facts([fact_id]).get(fact_id)

    def get_facts(self, fact_ids: Sequence[str]) -> dict[str, Fact]:
        """Facts by id (missing ids are left out); one index seek per predicate, as relationship
        indexes are per type."""
        ids = list(dict.fromkeys(fact_ids))
        if not ids:
            return {}
        query = " UNION ALL ".join(
            f"MATCH ()-[r:`{p}`]->() WHERE r.id IN $ids RETURN {_FACT_COLUMNS}" for p in PREDICATES)
        rows = self._rows(query, ids=ids)
        return {r["id"]: _fact_from(r["id"], r["p"], r["s"], r["o"], r["prov"]) for r in rows}

    def _match_facts(self, direction: str, predicates: Sequence[str] | None,
                     other_types: Sequence[str] | None) -> str | None:
        types = _type_pattern(predicates or None)
        if types is None:
            return None
        arrows = {"out": ("-", "->"), "in": ("<-", "-"), "both": ("-", "-")}
        if direction not in arrows:
            raise ValueError(f"direction {direction!r} is not one of 'out', 'in', 'both'")
        left, right = arrows[direction]
        where = " WHERE b.type IN $other_types" if other_types else ""
        return f"MATCH (a:Entity {{id: $id}}){left}[r{types}]{right}(b:Entity){where} WITH DISTINCT r "

    def facts(self, entity_id: str, predicates: Sequence[str] | None = None, direction: str = "both",
              other_types: Sequence[str] | None = None, limit: int | None = 100,
              offset: int = 0) -> list[Fact]:
        match = self._match_facts(direction, predicates, other_types)
        if match is None or (limit is not None and limit <= 0):
            return []
        page = " SKIP $offset" + (" LIMIT $limit" if limit is not None else "")
        rows = self._rows(f"{match}RETURN {_FACT_COLUMNS} ORDER BY id{page}", id=entity_id,
                          other_types=list(other_types or []), offset=int(offset),
                          limit=int(limit) if limit is not None else 0)
        return [_fact_from(r["id"], r["p"], r["s"], r["o"], r["prov"]) for r in rows]

    def count_facts(self, entity_id: str, predicates: Sequence[str] | None = None,
                    direction: str = "both", other_types: Sequence[str] | None = None) -> int:
        match = self._match_facts(direction, predicates, other_types)
        if match is None:
            return 0
        rows = self._rows(f"{match}RETURN count(r) AS n", id=entity_id, other_types=list(other_types or []))
        return int(rows[0]["n"]) if rows else 0

    def shortest_paths(self, source: str, target: str, max_hops: int = 3, limit: int = 10,
                       predicates: Sequence[str] | None = None) -> list[Path]:
        """Paths of the shortest length (at most `limit`, at most `max_hops` edges, 1 to 4), edges followed
        either way; sorted by entity ids then fact ids so that every run gives the same answer."""
        if not 1 <= max_hops <= 4:
            raise ValueError(f"max_hops must be between 1 and 4, not {max_hops}")
        types = _type_pattern(predicates or None)
        if types is None or limit <= 0 or source == target:
            return []
        rows = self._rows(
            f"MATCH (a:Entity {{id: $s}}), (b:Entity {{id: $t}}) "
            f"MATCH p = allShortestPaths((a)-[{types}*..{int(max_hops)}]-(b)) "
            "RETURN [n IN nodes(p) | n.id] AS nodes, "
            "[r IN relationships(p) | [r.id, type(r), startNode(r).id, endNode(r).id, r.prov]] AS rels "
            "LIMIT $cap", s=source, t=target, cap=PATH_CANDIDATES)
        paths = [Path(list(r["nodes"]), [_fact_from(*rel) for rel in r["rels"]]) for r in rows]
        paths.sort(key=lambda p: (p.entities, [f.id for f in p.facts]))
        return paths[:limit]

    def iter_facts(self, batch_size: int = 10000) -> Iterator[Fact]:
        """Every fact in id order: each predicate's relationships read in one unsorted scan, one after the
        other (bounded server memory, see iter_entities), the raw rows sorted here. Client memory grows
        with the graph (about 0.4 KB a fact); whole-graph iteration is for export, copies and tables."""
        rows: list[tuple] = []
        for predicate in PREDICATES:
            rows.extend((r["id"], predicate, r["s"], r["o"], r["prov"]) for r in self._stream(
                f"MATCH (a)-[r:`{predicate}`]->(b) RETURN r.id AS id, a.id AS s, b.id AS o, r.prov AS prov"))
        rows.sort(key=lambda row: row[0])
        for row in rows:
            yield _fact_from(*row)

    # ---- writes -------------------------------------------------------------------------------
    def upsert_entities(self, entities: Iterable[Entity]) -> int:
        written = 0
        for batch in batched(entities, WRITE_BATCH):
            latest = list({e.id: e for e in batch}.values())  # an id given twice: the last one wins
            self._write(lambda tx, chunk=latest: self._write_entities(tx, chunk))
            written += len(latest)
        return written

    @staticmethod
    def _write_entities(tx, chunk: list[Entity]) -> None:
        """Insert or update entities; their names, synonyms and xrefs are replaced."""
        ids = [e.id for e in chunk]
        terms = [t for e in chunk for t in term_rows(e)]
        xrefs = [x for e in chunk for x in xref_rows(e)]
        existing = {r["id"] for r in tx.run("UNWIND $ids AS x MATCH (e:Entity {id: x}) RETURN e.id AS id", ids=ids)}
        if existing:
            tx.run("UNWIND $ids AS x MATCH (t:Term {e: x}) DELETE t", ids=list(existing)).consume()
            tx.run("UNWIND $ids AS x MATCH (r:Xref {e: x}) DELETE r", ids=list(existing)).consume()
            tx.run("UNWIND $rows AS row MATCH (e:Entity {id: row.id}) "
                   "SET e.key = row.key, e.type = row.type, e.name = row.name, e.description = row.description, "
                   "e.sources = row.sources, e.xrefs = row.xrefs, e.syn = row.syn",
                   rows=[entity_row(e) for e in chunk if e.id in existing]).consume()
        new = [entity_row(e) for e in chunk if e.id not in existing]
        if new:  # CREATE with an inline map: about twice as fast as CREATE then SET on ArcadeDB
            tx.run("UNWIND $rows AS row CREATE (:Entity {id: row.id, key: row.key, type: row.type, name: row.name, "
                   "description: row.description, sources: row.sources, xrefs: row.xrefs, syn: row.syn})",
                   rows=new).consume()
        for part in batched(terms, WRITE_BATCH * 4):
            tx.run("UNWIND $rows AS row CREATE (:Term {w: row.w, e: row.e, norm: row.norm, words: row.words, "
                   "pref: row.pref, type: row.type, nlen: row.nlen})", rows=part).consume()
        if xrefs:
            tx.run("UNWIND $rows AS row CREATE (:Xref {curie: row.curie, key: row.key, e: row.e})",
                   rows=xrefs).consume()

    def upsert_facts(self, facts: Iterable[Fact]) -> int:
        """Insert facts; provenance is one record per (source, curator): a record for a pair the fact
        already has replaces it, others are added. A fact whose subject or object is not an entity raises
        StoreError before anything of its batch is written."""
        return sum(self._write(lambda tx, b=batch: self._write_facts(tx, b)) for batch in batched(facts, WRITE_BATCH))

    def _write_facts(self, tx, batch: list[Fact], skip_dangling: bool = False) -> int:
        merged: dict[str, Fact] = {}
        for f in batch:  # the same fact twice in one batch: one fact, provenance of both
            if f.id in merged:
                merged[f.id].provenance = merge_records(merged[f.id].provenance, f.provenance)
            else:
                merged[f.id] = Fact(f.subject, f.predicate, f.object, merge_records([], f.provenance), id=f.id)
        ends = sorted({f.subject for f in merged.values()} | {f.object for f in merged.values()})
        present = {r["id"] for r in tx.run("UNWIND $ids AS x MATCH (e:Entity {id: x}) RETURN e.id AS id", ids=ends)}
        for f in list(merged.values()):
            for end in (f.subject, f.object):
                if end not in present:
                    if skip_dangling:
                        merged.pop(f.id, None)
                        break
                    raise StoreError(f"fact {f.id} ({f.subject} {f.predicate} {f.object}): "
                                     f"{end} is not an entity of the graph; add the entity first")
        if not merged:
            return 0
        # one typed index lookup per predicate, each with only its own facts' ids
        ids_by_predicate: dict[str, list[str]] = {}
        for f in merged.values():
            ids_by_predicate.setdefault(f.predicate, []).append(f.id)
        arms = sorted(ids_by_predicate)
        query = " UNION ALL ".join(
            f"MATCH ()-[r:`{p}`]->() WHERE r.id IN $ids{k} RETURN r.id AS id, r.prov AS prov, "
            "startNode(r).id AS s, endNode(r).id AS o" for k, p in enumerate(arms))
        existing = {r["id"]: r for r in tx.run(query, {f"ids{k}": ids_by_predicate[p] for k, p in enumerate(arms)})}
        # an id stored under another predicate: possible only for ids not derived from the triple
        missing = [i for i, f in merged.items() if i not in existing and i != fact_id(f.subject, f.predicate, f.object)]
        if missing:
            other = " UNION ALL ".join(
                f"MATCH ()-[r:`{p}`]->() WHERE r.id IN $ids RETURN r.id AS id, r.prov AS prov, type(r) AS p, "
                "startNode(r).id AS s, endNode(r).id AS o"
                for p in PREDICATES if p not in {f.predicate for f in merged.values()})
            if other:
                for r in tx.run(other, ids=missing):
                    existing[r["id"]] = r
                    merged[r["id"]].predicate = r["p"]  # the stored triple wins, as in SQLite
        by_predicate: dict[str, tuple[list, list]] = {}
        for f in merged.values():
            updates, creates = by_predicate.setdefault(f.predicate, ([], []))
            if f.id in existing:
                stored = existing[f.id]
                old = [Provenance(**p) for p in json.loads(stored["prov"] or "[]")]
                prov = merge_records(old, f.provenance)
                updates.append({"id": f.id, "s": stored["s"], "o": stored["o"], "prov": _prov_json(prov),
                                "n": len(prov), "sources": sorted({p.source for p in prov})})
            else:
                creates.append({"s": f.subject, "o": f.object, **fact_properties(f)})
        for predicate, (updates, creates) in by_predicate.items():
            if updates:
                # reached from the indexed endpoint: a per-row relationship-property lookup scans on ArcadeDB
                tx.run(f"UNWIND $rows AS row MATCH (:Entity {{id: row.s}})-[r:`{predicate}`]->(:Entity {{id: row.o}}) "
                       "WHERE r.id = row.id SET r.prov = row.prov, r.nprov = row.n, r.sources = row.sources",
                       rows=updates).consume()
            if creates:
                tx.run(f"UNWIND $rows AS row MATCH (a:Entity {{id: row.s}}) MATCH (b:Entity {{id: row.o}}) "
                       f"CREATE (a)-[:`{predicate}` {{id: row.id, prov: row.prov, nprov: row.n, sources: row.sources}}]->(b)",
                       rows=creates).consume()
        return len(merged)

    def delete_facts(self, fact_ids: Iterable[str]) -> int:
        deleted = 0
        for batch in batched(dict.fromkeys(fact_ids), WRITE_BATCH):
            def work(tx, ids=batch) -> int:
                query = " UNION ALL ".join(
                    f"MATCH ()-[r:`{p}`]->() WHERE r.id IN $ids RETURN r.id AS id, type(r) AS p, "
                    "startNode(r).id AS s, endNode(r).id AS o" for p in PREDICATES)
                found: dict[str, list[dict]] = {}
                for r in tx.run(query, ids=ids):
                    found.setdefault(r["p"], []).append({"id": r["id"], "s": r["s"], "o": r["o"]})
                for predicate, rows in found.items():
                    tx.run(f"UNWIND $rows AS row MATCH (:Entity {{id: row.s}})-[r:`{predicate}`]->(:Entity {{id: row.o}}) "
                           "WHERE r.id = row.id DELETE r", rows=rows).consume()
                return sum(len(v) for v in found.values())
            deleted += self._write(work)
        return deleted

    def delete_entity(self, entity_id: str) -> None:
        def work(tx) -> None:
            tx.run("MATCH (t:Term {e: $id}) DELETE t", id=entity_id).consume()
            tx.run("MATCH (x:Xref {e: $id}) DELETE x", id=entity_id).consume()
            tx.run("MATCH (e:Entity {id: $id}) DETACH DELETE e", id=entity_id).consume()
        self._write(work)

    def bulk_load(self, entities: Iterable[Entity], facts: Iterable[Fact], progress: bool = False,
                  skip_dangling: bool = False) -> BulkLoadReport:
        """Load a graph in batched UNWIND writes: entities first, then facts. Each batch commits on its own
        and is retried on transient errors (a failed load leaves the batches before it). Same contract as
        SQLiteStore.bulk_load: a dangling fact raises StoreError, or is counted and skipped with
        skip_dangling=True; a fact given twice is stored once, a provenance record given twice (same fact,
        source and curator) keeps the last one."""
        if getattr(self._local, "tx", None) is not None:
            raise StoreError("bulk_load cannot run inside a transaction")
        from tqdm import tqdm
        start = time.perf_counter()
        show = progress and sys.stderr.isatty()
        given = written = 0
        with tqdm(desc="entities", unit=" entities", disable=not show, file=sys.stderr) as bar:
            for batch in batched(entities, WRITE_BATCH):
                self.upsert_entities(batch)
                bar.update(len(batch))
        with tqdm(desc="facts", unit=" facts", disable=not show, file=sys.stderr) as bar:
            for batch in batched(facts, WRITE_BATCH):
                given += len({f.id for f in batch})
                written += self._write(lambda tx, b=batch: self._write_facts(tx, b, skip_dangling))
                bar.update(len(batch))
        counts = self._rows("MATCH (e:Entity) WITH count(e) AS n "
                            "OPTIONAL MATCH ()-[r]->() RETURN n, count(r) AS f, sum(r.nprov) AS p")[0]
        return BulkLoadReport(entities=int(counts["n"]), facts=int(counts["f"]), provenance=int(counts["p"] or 0),
                              skipped_facts=given - written, seconds=time.perf_counter() - start)

    # ---- sources, metadata, counts ------------------------------------------------------------
    def set_sources(self, sources: Iterable[SourceInfo]) -> None:
        rows = [asdict(s) for s in sources]
        self._write(lambda tx: tx.run(
            "UNWIND $rows AS row MERGE (s:Source {name: row.name}) SET s.title = row.title, "
            "s.version = row.version, s.license = row.license, s.url = row.url, s.attribution = row.attribution",
            rows=rows).consume())

    def sources(self) -> list[SourceInfo]:
        rows = self._rows("MATCH (s:Source) RETURN properties(s) AS p ORDER BY s.name")
        fields = ("name", "title", "version", "license", "url", "attribution")
        return [SourceInfo(**{k: r["p"].get(k) or "" for k in fields}) for r in rows]

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._rows("MATCH (m:Meta {key: $k}) RETURN m.value AS v", k=key)
        return rows[0]["v"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        self._write(lambda tx: tx.run("MERGE (m:Meta {key: $k}) SET m.value = $v", k=key, v=str(value)).consume())

    def stats(self) -> GraphStats:
        by_type = {r["k"]: r["n"] for r in self._rows("MATCH (e:Entity) RETURN e.type AS k, count(*) AS n")}
        by_predicate = {r["k"]: r["n"] for r in self._rows("MATCH ()-[r]->() RETURN type(r) AS k, count(*) AS n")}
        ent_by_source = {r["k"]: r["n"] for r in self._rows(
            "MATCH (e:Entity) UNWIND e.sources AS k RETURN k, count(*) AS n")}
        fact_by_source = {r["k"]: r["n"] for r in self._rows(
            "MATCH ()-[r]->() UNWIND r.sources AS k RETURN k, count(*) AS n")}
        info = {s.name: s for s in self.sources()}
        by_source = {}
        for name in sorted(set(info) | set(ent_by_source) | set(fact_by_source)):
            s = info.get(name)
            by_source[name] = {"entities": ent_by_source.get(name, 0), "facts": fact_by_source.get(name, 0),
                               "license": s.license if s else "", "version": s.version if s else ""}
        return GraphStats(entities=sum(by_type.values()), facts=sum(by_predicate.values()),
                          by_source=by_source, by_type=dict(sorted(by_type.items())),
                          by_predicate=dict(sorted(by_predicate.items())))
