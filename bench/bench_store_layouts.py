"""Which table layout loads facts fastest in SQLite? Raw SQL on the same rows, no store code.

    .venv/bin/python -m bench.bench_store_layouts            # 2.25M facts, 2 rounds (about 4 minutes)

The rows are bench_store's synthetic Hetionet-shaped graph as plain tuples (fact id, subject, predicate,
object) and (fact id, source, version, license, evidence), made before any timing. Each layout is loaded
into a fresh file with the bulk load's settings (journal in memory, no syncing, 16 MiB page cache) and
ends with the same read paths: a fact by id, covering (subject, predicate, id, object) and
(object, predicate, id, subject) indexes, provenance unique on (fact id, source, curator).

- `rowid + provenance table` (schema 1, the store's layout until session 3): rowid tables appended in
  arrival order, then four indexes built (fact id unique, the two covering ones, the provenance key);
  also with the previous 512 MiB cache.
- `rowid, provenance inline` (schema 2, the store's layout now): one rowid table whose rows carry their
  provenance records as a JSON list (made before timing, like every other layout's rows), then three
  indexes (fact id unique, the two covering ones); no provenance table, no provenance key.
- `without rowid, arrival order`: facts keyed by id and provenance keyed by (fact id, source, curator)
  as WITHOUT ROWID tables, so no separate id and key indexes; rows inserted as they come, with a
  512 MiB cache for those inserts (the tables must stay in cache), 16 MiB for the index builds.
- `without rowid, sorted in Python`: the same, rows sorted by fact id first (numpy argsort, timed)
  (same caches).
- `without rowid, via staging`: rows appended to rowid staging tables, then copied with
  INSERT ... SELECT ... ORDER BY (SQLite sorts), staging dropped.
Results go to bench/results/store_layouts.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bench_store import HETIONET_FACTS, Graph, _machine, _remove_db
from kg.model import Provenance, fact_id
from kg.store.provenance import RecordEncoder

CACHE_KIB = 16384
RANDOM_INSERT_CACHE_KIB = 524288
_CHUNK = 20000

ROWID_SCHEMA = """
CREATE TABLE facts (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL,
                    object TEXT NOT NULL);
CREATE TABLE provenance (rowid INTEGER PRIMARY KEY, fact_id TEXT NOT NULL, source TEXT NOT NULL,
                         version TEXT NOT NULL DEFAULT '', license TEXT NOT NULL DEFAULT '',
                         evidence TEXT NOT NULL DEFAULT '{}', curator TEXT NOT NULL DEFAULT '', created_at TEXT,
                         change_id TEXT);
"""
WITHOUT_ROWID_SCHEMA = """
CREATE TABLE facts (id TEXT PRIMARY KEY, subject TEXT NOT NULL, predicate TEXT NOT NULL, object TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE provenance (fact_id TEXT NOT NULL, source TEXT NOT NULL, curator TEXT NOT NULL DEFAULT '',
                         seq INTEGER NOT NULL, version TEXT NOT NULL DEFAULT '', license TEXT NOT NULL DEFAULT '',
                         evidence TEXT NOT NULL DEFAULT '{}', created_at TEXT, change_id TEXT,
                         PRIMARY KEY (fact_id, source, curator)) WITHOUT ROWID;
"""
COVERING = ["CREATE INDEX facts_sp ON facts(subject, predicate, id, object)",
            "CREATE INDEX facts_op ON facts(object, predicate, id, subject)"]
ROWID_INDEXES = ["CREATE UNIQUE INDEX facts_id ON facts(id)", *COVERING,
                 "CREATE UNIQUE INDEX provenance_key ON provenance(fact_id, source, curator)"]
INLINE_SCHEMA = """
CREATE TABLE facts (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, subject TEXT NOT NULL, predicate TEXT NOT NULL,
                    object TEXT NOT NULL, provenance TEXT NOT NULL DEFAULT '[]');
"""
INLINE_INDEXES = ["CREATE UNIQUE INDEX facts_id ON facts(id)", *COVERING]
INLINE_INSERT = "INSERT INTO facts(id, subject, predicate, object, provenance) VALUES (?, ?, ?, ?, ?)"
FACT_INSERT = "INSERT INTO facts(id, subject, predicate, object) VALUES (?, ?, ?, ?)"
PROV_INSERT = "INSERT INTO provenance(fact_id, source, version, license, evidence) VALUES (?, ?, ?, ?, ?)"
# seq keeps the records of a fact in the order they came (WITHOUT ROWID has no rowid to order by)
PROV_INSERT_SEQ = ("INSERT OR REPLACE INTO provenance(fact_id, source, seq, version, license, evidence) "
                   "VALUES (?, ?, ?, ?, ?, ?)")


def inline_rows(facts: list[tuple], prov: list[tuple]) -> list[tuple]:
    """The fact rows with their one provenance record as the store's JSON list, written by the store's own
    encoder (kg/store/provenance.py)."""
    encode = RecordEncoder()
    return [(*f, encode([Provenance(p[1], p[2], p[3], json.loads(p[4]))])) for f, p in zip(facts, prov)]


def make_rows(n_facts: int) -> tuple[list[tuple], list[tuple]]:
    g = Graph(n_facts)
    facts, prov = [], []
    for k, (s, p, o) in enumerate(zip(g.s.tolist(), g.p.tolist(), g.o.tolist())):
        subject, predicate, obj = g.ids[s], g.predicates[p], g.ids[o]
        fid = fact_id(subject, predicate, obj)
        facts.append((fid, subject, predicate, obj))
        evidence = f'{{"pmids":["{10_000_000 + k % 9_000_000}"]}}' if k % 3 == 0 else "{}"
        prov.append((fid, "synthetic", "1", "CC0 1.0", evidence))
    return facts, prov


class Timer:
    def __init__(self) -> None:
        self.steps: dict[str, tuple[float, float]] = {}

    def __call__(self, name: str, fn) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        self.steps[name] = (time.perf_counter() - wall, time.process_time() - cpu)


def _insert(conn: sqlite3.Connection, sql: str, rows: list[tuple]) -> None:
    for i in range(0, len(rows), _CHUNK):
        conn.executemany(sql, rows[i:i + _CHUNK])


def _run_sql(conn: sqlite3.Connection, statements: list[str], timer: Timer) -> None:
    for ddl in statements:
        timer(ddl.split(" ON ")[0].split()[-1], lambda ddl=ddl: conn.execute(ddl))


def load(layout: str, facts: list[tuple], prov: list[tuple], tmp: str | None, cache_kib: int,
         inline: list[tuple]) -> Timer:
    folder = tempfile.mkdtemp(prefix="bench_layouts_", dir=tmp)
    path = Path(folder) / "kg.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    timer = Timer()
    try:
        # inserts into a B-tree keyed by fact id get the large cache they need; every sort gets cache_kib
        insert_cache = RANDOM_INSERT_CACHE_KIB if layout in ("arrival", "sorted") else cache_kib
        for pragma in ("journal_mode = MEMORY", "synchronous = OFF", f"cache_size = -{insert_cache}", "threads = 0"):
            conn.execute(f"PRAGMA {pragma}")
        conn.executescript({"rowid": ROWID_SCHEMA, "inline": INLINE_SCHEMA}.get(layout, WITHOUT_ROWID_SCHEMA))
        conn.execute("BEGIN")
        if layout == "inline":
            timer("facts inserts (provenance inline)", lambda: _insert(conn, INLINE_INSERT, inline))
            _run_sql(conn, INLINE_INDEXES, timer)
        elif layout == "rowid":
            timer("facts inserts", lambda: _insert(conn, FACT_INSERT, facts))
            timer("provenance inserts", lambda: _insert(conn, PROV_INSERT, prov))
            _run_sql(conn, ROWID_INDEXES, timer)
        else:
            with_seq = [(r[0], r[1], i, *r[2:]) for i, r in enumerate(prov)]
            if layout == "sorted":
                order: list[int] = []

                def sort() -> None:
                    order.extend(np.argsort(np.array([r[0] for r in facts], dtype="S32"), kind="stable").tolist())
                timer("sort by fact id (numpy)", sort)
                facts = [facts[i] for i in order]
                with_seq = [with_seq[i] for i in order]      # one record per fact here: same order
            if layout == "staging":
                conn.execute("CREATE TEMP TABLE stage_facts (id, subject, predicate, object)")
                conn.execute("CREATE TEMP TABLE stage_prov (fact_id, source, seq, version, license, evidence)")
                timer("staging inserts", lambda: (
                    _insert(conn, "INSERT INTO stage_facts VALUES (?, ?, ?, ?)", facts),
                    _insert(conn, "INSERT INTO stage_prov VALUES (?, ?, ?, ?, ?, ?)", with_seq)))
                timer("facts from staging", lambda: conn.execute(
                    "INSERT OR IGNORE INTO facts SELECT * FROM stage_facts ORDER BY id"))
                timer("provenance from staging", lambda: conn.execute(
                    "INSERT OR REPLACE INTO provenance(fact_id, source, seq, version, license, evidence) "
                    "SELECT * FROM stage_prov ORDER BY fact_id, seq"))
                conn.execute("DROP TABLE stage_facts")
                conn.execute("DROP TABLE stage_prov")
            else:
                timer("facts inserts", lambda: _insert(conn, FACT_INSERT.replace("INSERT", "INSERT OR IGNORE"), facts))
                timer("provenance inserts", lambda: _insert(conn, PROV_INSERT_SEQ, with_seq))
            conn.execute(f"PRAGMA cache_size = -{cache_kib}")
            _run_sql(conn, COVERING, timer)
        conn.execute("COMMIT")
        records = ("SELECT sum(json_array_length(provenance)) FROM facts" if layout == "inline"
                   else "SELECT count(*) FROM provenance")
        n = conn.execute(f"SELECT (SELECT count(*) FROM facts), ({records})").fetchone()
        assert n == (len(facts), len(prov)), n
        size = sum(f.stat().st_size for f in Path(folder).iterdir())
        timer.steps["_size_mib"] = (size / 2**20, 0.0)
    finally:
        conn.close()
        _remove_db(path)
    return timer


LAYOUTS = [("rowid + provenance table (schema 1), 512 MiB cache (session 1 setting)", "rowid", 524288),
           ("rowid + provenance table (schema 1), 16 MiB cache", "rowid", CACHE_KIB),
           ("rowid, provenance inline as JSON (schema 2, the store's layout), 16 MiB cache", "inline", CACHE_KIB),
           ("without rowid, arrival order", "arrival", CACHE_KIB),
           ("without rowid, sorted in Python", "sorted", CACHE_KIB),
           ("without rowid, via staging", "staging", CACHE_KIB)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facts", type=int, default=HETIONET_FACTS)
    ap.add_argument("--rounds", type=int, default=2, help="loads per layout, alternating (default 2)")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "store_layouts.md")
    args = ap.parse_args(argv)
    load_start = os.getloadavg()[0]
    facts, prov = make_rows(args.facts)
    inline = inline_rows(facts, prov)
    print(f"{len(facts):,} fact rows made", flush=True)
    results: dict[str, list[Timer]] = {name: [] for name, _, _ in LAYOUTS}
    for r in range(args.rounds):
        for name, layout, cache in (LAYOUTS if r % 2 == 0 else LAYOUTS[::-1]):
            t = load(layout, facts, prov, args.tmp, cache, inline)
            results[name].append(t)
            total = sum(c for k, (_, c) in t.steps.items() if not k.startswith("_"))
            print(f"{name}: {total:.1f} CPU-s, load average {os.getloadavg()[0]:.1f}", flush=True)
    lines = [f"# Table layouts for the bulk load, raw SQL ({len(facts):,} facts)", "",
             "Run: `.venv/bin/python -m bench.bench_store_layouts` on "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{args.rounds} loads per layout, alternating order. Machine: {_machine()}; 1-minute load average "
             f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (other engineers share the machine, "
             "so CPU seconds are the steadier measure).", "",
             "Every layout ends with the same read paths (fact by id, two covering 1-hop indexes, provenance "
             "unique per fact, source and curator). Seconds of CPU per step, median over the loads; wall "
             "clock total in the last column.", "",
             "| layout | steps (CPU s) | total CPU s | total wall s | file MiB |", "| --- | --- | --- | --- | --- |"]
    for name, _, _ in LAYOUTS:
        timers = results[name]
        keys = [k for k in timers[0].steps if not k.startswith("_")]
        steps = ", ".join(f"{k} {statistics.median(t.steps[k][1] for t in timers):.2f}" for k in keys)
        cpu = statistics.median(sum(t.steps[k][1] for k in keys) for t in timers)
        wall = statistics.median(sum(t.steps[k][0] for k in keys) for t in timers)
        size = timers[0].steps["_size_mib"][0]
        lines.append(f"| {name} | {steps} | {cpu:.2f} | {wall:.2f} | {size:,.0f} |")
    cpu_of = {name: statistics.median(sum(c for k, (_, c) in t.steps.items() if not k.startswith("_"))
                                      for t in results[name]) for name, _, _ in LAYOUTS}
    best = min(cpu_of, key=cpu_of.get)
    lines += ["", f"Lowest total CPU in this run: {best} ({cpu_of[best]:.2f} s)."]
    if best.startswith("rowid"):
        lines.append("Provenance inline drops the second table, its inserts and its unique key index: each fact "
                     "is one appended row. ")
        lines.append("A WITHOUT ROWID table saves the separate id and key indexes, but filling a B-tree keyed by "
                     "a hash-like fact id costs more than appending rows and building the index afterwards with "
                     "the sorter (arrival order: random inserts; sorted: the sort plus ordered inserts; staging: "
                     "a second copy of every row).")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
