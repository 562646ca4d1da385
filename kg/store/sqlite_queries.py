"""SQL text for the SQLite store's fact reads, built once (per query shape) and kept.

A 1-hop query's text depends only on its shape (direction, how many predicates, whether they get one
arm each, how many other-end types); the values go in numbered parameters: ?1 is the entity, then the
predicates, then the types. Building the text of a 32-arm UNION on every call cost about a third of an
untyped 1-hop lookup, so it is built once per shape here.
"""
from __future__ import annotations

from functools import lru_cache

# the columns a fact read returns: the fact and its provenance records (a JSON list)
FACT_COLUMNS = "id, subject, predicate, object, provenance"
# facts by id (?: a JSON list of ids), and a page of every fact after id ? (LIMIT ?)
FACTS_BY_IDS = f"SELECT {FACT_COLUMNS} FROM facts WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id"
FACTS_AFTER = f"SELECT {FACT_COLUMNS} FROM facts WHERE id > ? ORDER BY id LIMIT ?"


def _numbered(first: int, n: int) -> str:
    return ",".join(f"?{i}" for i in range(first, first + n))


@lru_cache(maxsize=512)
def fact_arms(direction: str, n_preds: int, per_predicate: bool, n_types: int) -> tuple[str, ...]:
    """SELECTs of (id, rowid) that together give the facts touching ?1, each once.

    Predicates are ?2..?(n_preds+1) (none: every predicate), other-end types follow. With direction
    "both" the incoming arms leave out self-loops (the outgoing ones have them). per_predicate=True
    writes one arm per direction and predicate: each reads a covering-index range already in fact-id
    order, so SQLite merges them and a LIMIT stops early instead of sorting all the facts of a hub; the
    rows (provenance included) are then read by rowid for the page only.
    """
    if direction not in ("out", "in", "both"):
        raise ValueError(f"direction must be 'out', 'in' or 'both', not {direction!r}")
    if per_predicate and n_preds:
        groups = [f"= ?{2 + i}" for i in range(n_preds)]
    elif n_preds:
        groups = [f"IN ({_numbered(2, n_preds)})"]
    else:
        groups = [""]
    types = f"e.type IN ({_numbered(2 + n_preds, n_types)})" if n_types else ""
    arms = []
    for side, this, other in (("out", "subject", "object"), ("in", "object", "subject")):
        if direction not in (side, "both"):
            continue
        for group in groups:
            where = [f"f.{this} = ?1"]
            if side == "in" and direction == "both":
                where.append("f.subject != ?1")
            if group:
                where.append(f"f.predicate {group}")
            join = ""
            if types:
                join = f" JOIN entities e ON e.id = f.{other}"
                where.append(types)
            arms.append(f"SELECT f.id, f.rowid AS rid FROM facts f{join} "
                        f"WHERE {' AND '.join(where)}")
    return tuple(arms)


@lru_cache(maxsize=512)
def facts_page(direction: str, n_preds: int, n_types: int) -> str:
    """One page of facts touching ?1 in fact-id order, with their provenance: LIMIT and OFFSET are the two
    parameters after the types."""
    arms = fact_arms(direction, n_preds, True, n_types)
    lim = 2 + n_preds + n_types
    return (f"SELECT f.id, f.subject, f.predicate, f.object, f.provenance FROM ({' UNION ALL '.join(arms)} "
            f"ORDER BY 1 LIMIT ?{lim} OFFSET ?{lim + 1}) page JOIN facts f ON f.rowid = page.rid ORDER BY page.id")


@lru_cache(maxsize=512)
def facts_count(direction: str, n_preds: int, n_types: int) -> str:
    arms = fact_arms(direction, n_preds, False, n_types)
    return "SELECT " + " + ".join(f"(SELECT count(*) FROM ({a}))" for a in arms)
