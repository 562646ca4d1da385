"""Typed 1-hop, 2-hop and shortest-path latency on the BUILT graph (the real merged sources), next to a
baseline measured in the same run: the same lookups on a Python dict adjacency held in memory.

    python -m bench.bench_graph_queries [--store sqlite:///var/kg.sqlite] [--n 300]

Writes bench/results/graph_queries.md. (The synthetic 2.25M-fact graph is bench/bench_store.py's job.)
"""
from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from pathlib import Path

from bench.bench_store import _dict_bfs, _pct
from bench.common import machine, time_calls
from kg.store import open_store
from kgqa.settings import load_settings

OUT = Path(__file__).resolve().parent / "results" / "graph_queries.md"
# Hubs a clinician's questions touch; their degrees are printed with the results.
HUBS = [("DOID:10763", "treats"), ("DOID:2841", "associated_with"), ("HP:0001945", "has_phenotype")]


def _row(name: str, ms: list[float]) -> str:
    return f"| {name} | {_pct(ms)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    store = open_store(args.store or load_settings().store_url)
    rng = random.Random(7)

    t = time.perf_counter()
    adjacency: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for f in store.iter_facts():
        adjacency[f.subject].append((f.predicate, f.object))
        adjacency[f.object].append((f.predicate, f.subject))
    dict_build_s = time.perf_counter() - t
    nodes = sorted(adjacency)
    sample = [rng.choice(nodes) for _ in range(args.n)]
    typed = [(n, [rng.choice(adjacency[n])[0]]) for n in sample]
    diseases = [n for n in nodes if n.startswith("DOID:")]
    genes = [n for n in nodes if n.startswith("NCBIGene:")]
    pairs = [(rng.choice(diseases), rng.choice(genes)) for _ in range(max(20, args.n // 5))]

    def two_hop(node: str) -> None:
        for nb in store.neighbours(node, limit=20):
            store.facts(nb.entity.id, limit=10)

    def dict_two_hop(node: str) -> None:
        for _, other in adjacency[node][:20]:
            _ = adjacency[other][:10]

    rows = [
        "| query | p50 ms | p95 ms | n |", "| --- | --- | --- | --- |",
        _row("typed 1-hop from a random node, limit 100 (store API, Facts with provenance)",
             time_calls(lambda n, p: store.facts(n, predicates=p, limit=100), typed)),
        _row("  baseline: the same typed lookup in the in-memory dict",
             time_calls(lambda n, p: [o for q, o in adjacency[n] if q == p[0]][:100], typed)),
    ]
    for hub, predicate in HUBS:
        if store.get_entity(hub) is None:
            continue
        degree = store.count_facts(hub)
        rows.append(_row(f"typed 1-hop from hub {hub} ({predicate}; degree {degree:,}), limit 100",
                         time_calls(lambda: store.facts(hub, predicates=[predicate], limit=100), [()] * 100)))
    rows += [
        _row("2-hop with a limit (20 neighbours x 10 facts, store API)", time_calls(two_hop, [(n,) for n in sample[:100]])),
        _row("  baseline: the same 2-hop in the dict", time_calls(dict_two_hop, [(n,) for n in sample[:100]])),
        _row("shortest paths disease -> gene, max_hops 3, limit 5 (store API)",
             time_calls(lambda a, b: store.shortest_paths(a, b, max_hops=3, limit=5), pairs)),
        _row("  baseline: BFS over the dict, first hit only, no hub cap",
             time_calls(lambda a, b: _dict_bfs(adjacency, a, b, 3), pairs)),
    ]
    stats = store.stats()
    text = "\n".join([
        "# Graph queries on the built graph", "",
        f"Machine: {machine()}. Graph: {stats.entities:,} entities, {stats.facts:,} facts "
        f"(version {store.version()}), the full build from ../shared/data. Dict adjacency built in "
        f"{dict_build_s:.1f} s from iter_facts(). Random nodes and pairs drawn with seed 7.", "",
        *rows, "",
        "The store's rows include reading provenance and building Fact objects; the dict rows only touch ids, so "
        "they bound what an in-memory adjacency could save.", ""])
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
