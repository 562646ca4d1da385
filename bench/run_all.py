"""Run every benchmark in turn (each bounded in time), then assemble bench/RESULTS.md."""
from __future__ import annotations

import importlib
import subprocess
import sys

BENCHES = ["bench_build", "bench_graph_queries", "bench_store", "bench_neo4j", "bench_linking", "bench_answers", "bench_triage", "bench_api"]

if __name__ == "__main__":
    failed = []
    for name in BENCHES:
        try:
            importlib.util.find_spec(f"bench.{name}")
        except ModuleNotFoundError:
            continue
        print(f"== bench.{name}", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}"]) != 0:
            failed.append(name)
    from bench.collect_results import collect
    from pathlib import Path
    (Path(__file__).parent / "RESULTS.md").write_text(collect())
    sys.exit(1 if failed else 0)
