"""The Neo4j store over Bolt next to the SQLite store, on the same synthetic graph.

    .venv/bin/python -m bench.bench_neo4j                    # 200k facts (a few minutes)
    .venv/bin/python -m bench.bench_neo4j --facts 50000      # quicker

The graph is bench/bench_store.py's Hetionet-shaped synthetic graph, scaled down (47k entities, --facts
facts): transactional loading over Bolt is far slower than SQLite's bulk path, so the full 2.25M facts
would take much longer than a benchmark should. The Bolt server is ArcadeDB (arcadedb-embedded, the
server the tests use) in a child process on this machine; with Neo4j itself the numbers will differ.
Both stores are loaded with `bulk_load` and queried through the same GraphStore calls; the baseline in
the same run is the SQLite store, plus the bare Bolt round trip (`RETURN 1`) as the floor of any query.
Results go to bench/results/neo4j.md (or --out).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bench_store import SOURCE, Graph, _machine
from bench.common import p50_p95, time_calls
from kg.store.neo4j import Neo4jStore
from kg.store.sqlite import SQLiteStore
from tests.support.bolt_server import start_bolt_server


def _cell(ms: list[float]) -> str:
    p50, p95 = p50_p95(ms)
    return f"{p50:.2f} / {p95:.2f}"


def _load(store, g: Graph) -> tuple[float, float]:
    t = time.perf_counter()
    store.set_sources([SOURCE])
    store.bulk_load(g.entities(), [], progress=True)
    ent_s = time.perf_counter() - t
    t = time.perf_counter()
    store.bulk_load([], g.facts(), progress=True)
    return ent_s, time.perf_counter() - t


def _queries(store, g: Graph, queries: int, path_queries: int) -> tuple[dict[str, list[float]], int]:
    rnd = random.Random(11)
    deg = g.degree
    genes = set(g.types["Gene"].tolist())
    hub = next(int(i) for i in np.argsort(-deg) if int(i) in genes)
    hub_id = g.ids[hub]
    connected = [g.ids[int(i)] for i in rnd.sample(list(np.nonzero(deg > 0)[0]), queries)]
    pairs = [(rnd.choice(connected), rnd.choice(connected)) for _ in range(path_queries)]

    def two_hop(e):
        out = []
        for n in store.neighbours(e, limit=20):
            out += store.facts(n.entity.id, limit=10)
        return out
    found = [0]

    def paths(a, b):
        if store.shortest_paths(a, b, max_hops=3, limit=10):
            found[0] += 1
    out = {
        "get_entity (random)": time_calls(store.get_entity, [(e,) for e in connected]),
        "search (one word prefix), limit 20": time_calls(lambda: store.search("gene 1"), [()] * max(queries // 4, 10)),
        "typed 1-hop from the top gene hub (interacts_with), limit 100":
            time_calls(lambda: store.facts(hub_id, ["interacts_with"], "both", limit=100), [()] * queries),
        "typed 1-hop from a random node (interacts_with, both directions), limit 100":
            time_calls(lambda e: store.facts(e, ["interacts_with"], "both", limit=100), [(e,) for e in connected]),
        "untyped 1-hop from a random connected node, limit 100":
            time_calls(lambda e: store.facts(e, limit=100), [(e,) for e in connected]),
        "count_facts on the hub, typed": time_calls(lambda: store.count_facts(hub_id, ["interacts_with"]), [()] * 20),
        "2-hop with a limit (20 neighbours x 10 facts each, 22 calls)":
            time_calls(two_hop, [(e,) for e in connected[: max(queries // 4, 10)]]),
        "shortest paths between random connected nodes, max_hops 3, limit 10": time_calls(paths, pairs),
    }
    return out, found[0]


def run(n_facts: int, out: Path, queries: int, path_queries: int) -> str:
    load_before = os.getloadavg()[0]
    g = Graph(n_facts)
    print(f"graph: {len(g.ids):,} entities, {len(g):,} facts", flush=True)
    root = Path(tempfile.mkdtemp(prefix="bench_neo4j_"))
    t = time.perf_counter()
    server = start_bolt_server(root / "arcadedb", heap="3g")
    start_s = time.perf_counter() - t
    try:
        server.create_database("bench")
        neo = Neo4jStore(server.url, user=server.user, password=server.password, database="bench")
        lite = SQLiteStore(str(root / "kg.sqlite"), create=True)
        loads = {"SQLite": _load(lite, g)}
        print(f"SQLite loaded in {sum(loads['SQLite']):.1f} s", flush=True)
        loads["Neo4j (ArcadeDB over Bolt)"] = _load(neo, g)
        print(f"Bolt store loaded in {sum(loads['Neo4j (ArcadeDB over Bolt)']):.1f} s", flush=True)
        assert neo.stats().facts == lite.stats().facts == len(g)
        floor = time_calls(lambda: neo._rows("RETURN 1 AS x"), [()] * queries)
        results = {}
        for name, store in (("SQLite", lite), ("Neo4j (ArcadeDB over Bolt)", neo)):
            _queries(store, g, min(queries, 20), 3)                      # warm-up (JIT, caches)
            results[name] = _queries(store, g, queries, path_queries)
            print(f"{name}: queries done", flush=True)
        # a Cypher-native 2-hop in one round trip, for what a Neo4j user would write instead of 22 calls
        rnd = random.Random(5)
        sample = [g.ids[int(i)] for i in rnd.sample(list(np.nonzero(g.degree > 0)[0]), max(queries // 4, 10))]
        native2 = time_calls(lambda e: neo._rows(
            "MATCH (a:Entity {id: $id})-[r1]-(b:Entity) WITH b LIMIT 20 "
            "MATCH (b)-[r2]-(c:Entity) WITH b, r2, c LIMIT 200 RETURN r2.id AS id, c.id AS c", id=e),
            [(e,) for e in sample])
        neo.close()
        lite.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    load_after = os.getloadavg()[0]
    lines: list[str] = []
    say = lines.append
    say(f"# Neo4j store (Bolt) next to SQLite, synthetic Hetionet-shaped graph ({len(g):,} facts)")
    say("")
    say(f"Run: `.venv/bin/python -m bench.bench_neo4j{'' if n_facts == 200_000 else f' --facts {n_facts}'}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.")
    say(f"Machine: {_machine()}. The Bolt server (ArcadeDB {_arcadedb_version()}, 3 GiB heap) runs on the same "
        "two cores as the client. Other engineers were using the machine during the run (1-minute load "
        f"average {load_before:.1f} at the start, {load_after:.1f} at the end, on 2 cores), so absolute timings "
        "carry their noise; both stores ran in the same conditions, one after the other.")
    say("")
    say(f"Graph: {len(g.ids):,} entities (2 names each), {len(g):,} facts (bench/bench_store.py's generator, "
        "scaled down from Hetionet's 2.25M facts to keep the Bolt load short). Server start-up: "
        f"{start_s:.1f} s.")
    say("")
    say("## Load (bulk_load, through each store's own write path)")
    say("")
    say("| store | entities (s) | facts (s) | entities/s | facts/s |")
    say("| --- | --- | --- | --- | --- |")
    for name, (ent_s, fact_s) in loads.items():
        say(f"| {name} | {ent_s:.1f} | {fact_s:.1f} | {len(g.ids) / ent_s:,.0f} | {len(g) / fact_s:,.0f} |")
    say("")
    say("SQLite's bulk load drops its indexes and rebuilds them after; the Bolt store writes batched `UNWIND` "
        "transactions of 2,000 rows with its indexes live (entities also get one search-term node per word "
        "of each name). For big graphs on real Neo4j, `kgqa export neo4j DIR` + `neo4j-admin database "
        "import` is the fast path (docs/neo4j.md).")
    say("")
    say("## Queries through the GraphStore API (milliseconds, p50 / p95)")
    say("")
    names = list(results)
    say("| query | " + " | ".join(names) + " | n |")
    say("| --- | " + " | ".join("---" for _ in names) + " | --- |")
    for q in results[names[0]][0]:
        say(f"| {q} | " + " | ".join(_cell(results[n][0][q]) for n in names) + f" | {len(results[names[0]][0][q])} |")
    say(f"| bare Bolt round trip (`RETURN 1`), the floor of any Bolt query | - | {_cell(floor)} | {len(floor)} |")
    say(f"| 2-hop in one Cypher query (20 neighbours, 200 facts) | - | {_cell(native2)} | {len(native2)} |")
    say("")
    found = {n: results[n][1] for n in names}
    say(f"Paths found: {', '.join(f'{n} {k}/{path_queries}' for n, k in found.items())} (SQLite's search does not "
        "expand hubs above 2,000 facts; the Cypher `allShortestPaths` has no such cap).")
    say("")
    say("Reading: every Bolt call pays a network round trip and a transaction on the server, so single "
        "lookups cost about a millisecond where SQLite answers in microseconds in-process; the multi-call "
        "2-hop pays it 22 times, where a Cypher-native query pays it once. Paging a hub's facts sorts all of "
        "them on the server (SQLite reads them in index order), and ArcadeDB's `allShortestPaths` is far slower "
        "than SQLite's bidirectional search with its hub cap. Loading is transactional with live indexes. The "
        "Bolt store is for graphs that outgrow one machine or live in an existing Neo4j, not for speed on a laptop.")
    text = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    return text


def _arcadedb_version() -> str:
    try:
        from importlib.metadata import version
        return version("arcadedb-embedded")
    except Exception:  # noqa: BLE001 - only a label
        return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--facts", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=100, help="queries per 1-hop measure")
    ap.add_argument("--path-queries", type=int, default=30)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "neo4j.md")
    args = ap.parse_args(argv)
    run(args.facts, args.out, args.queries, args.path_queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
