"""Assemble bench/RESULTS.md from the per-topic result files in bench/results/ (each benchmark writes its own)."""
from __future__ import annotations

from pathlib import Path

ORDER = ["build", "graph_queries", "store", "store_scale", "neo4j", "linking", "answers", "triage", "api", "curation"]
HERE = Path(__file__).resolve().parent


def collect() -> str:
    files = sorted((HERE / "results").glob("*.md"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    parts = ["# Benchmark and evaluation results\n",
             "Each section is written by its benchmark (`python -m bench.<name>`); this file is assembled by "
             "`python -m bench.collect_results`. Machine, medians, spread and the same-run baseline are stated "
             "in each section.\n"]
    for f in files:
        parts.append(f.read_text().strip() + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    (HERE / "RESULTS.md").write_text(collect())
    print(f"wrote {HERE / 'RESULTS.md'}")
