"""Triage benchmark: latency of one triage call (p50/p95), what triage adds on top of linking, and accuracy.

    KGQA_HOME=/work/fullhome .venv/bin/python -m bench.bench_triage        # the built graph of that home
    .venv/bin/python -m bench.bench_triage --store sqlite:///var/kg.sqlite --rounds 3 --out /tmp/triage.md
    .venv/bin/python -m bench.bench_triage --split test                   # adds the held-out test split

Latency: the hand-written tuning vignettes (dev, seen, seen2) and the generated seed-1 vignettes, `--rounds` times
after one warm-up round; per call, p50/p95/max. Rows measured in the same run on the same texts:
- triage, all of it (linking included);
- baseline: linking only (`linker.link`), the floor every triage call pays;
- triage beyond linking: the same call with the linker's mentions replayed (findings, patterns, scoring,
  urgency, next questions): what triage adds on top of linking;
- baseline: scoring the same findings by querying the store per call (what the in-memory table avoids).
Accuracy: the dev, seen and seen2 splits (all used for tuning: seen and seen2 are session 1's and session 2's
test sets, error-analysed after they were reported); the held-out test split only with `--split test` (never
used while tuning). Results go to bench/results/triage.md, which names the tuning and held-out splits.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, p50_p95  # noqa: E402
from qa.triage_eval import VIGNETTE_FILES  # noqa: E402


def fmt(values: list[float]) -> str:
    p50, p95 = p50_p95(values)
    return f"{p50:.1f} | {p95:.1f} | {max(values):.1f}"


def store_scoring_baseline(store, finding_ids: list[str]) -> list[tuple[str, int]]:
    """Rank conditions by how many findings they list, reading the store on every call (no table)."""
    counts: dict[str, int] = defaultdict(int)
    for fid in finding_ids:
        for f in store.facts(fid, predicates=["has_phenotype", "presents_symptom"], direction="in", limit=None):
            counts[f.subject] += 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:10]


TUNING_SPLITS = tuple(s for s in VIGNETTE_FILES if s != "test")   # every hand-written split but the held-out one
# Triage at the start of session 11 (commit 7c94d4f, same graph), measured with `kgqa eval triage --split ...`:
# (top-1, top-3, urgency, emergencies under-triaged). The tuning splits' figures are the red-flag rules alone,
# measured at the start of session 10 (98ac8d2); the rules and the ranking did not change in session 10. seen12
# (session 11's held-out set) was run at 7c94d4f as a baseline with session 10's learned reader (the rules alone
# gave the same urgency). The held-out test split (written at the start of session 12) was run once at the start
# of session 12 (3cbbe82) as a baseline, before any change, with session 11's learned reader and its guard rails
# (the rules alone: urgency 70.8%, 1 emergency under-triaged).
BEFORE = {
    "hand-written dev (42)": ("84.6%", "100.0%", "95.2%", "0 of 10"),
    "hand-written seen (62)": ("77.8%", "96.3%", "88.7%", "0 of 22"),
    "hand-written seen2 (65)": ("80.0%", "94.0%", "89.2%", "0 of 19"),
    "hand-written seen3 (70)": ("63.6%", "81.8%", "88.6%", "0 of 20"),
    "hand-written seen4 (72)": ("55.0%", "86.7%", "87.5%", "0 of 20"),
    "hand-written seen5 (72)": ("68.3%", "90.0%", "90.3%", "0 of 20"),
    "hand-written seen6 (72)": ("66.7%", "85.0%", "97.2%", "0 of 20"),
    "hand-written seen7 (72)": ("73.3%", "83.3%", "93.1%", "0 of 20"),
    "hand-written seen8 (72)": ("80.0%", "85.0%", "90.3%", "0 of 20"),
    "hand-written seen9 (72)": ("65.0%", "86.7%", "97.2%", "0 of 20"),
    "hand-written seen10 (72)": ("70.0%", "90.0%", "69.4%", "1 of 20"),
    "hand-written train (240)": ("66.9%", "83.4%", "89.6%", "0 of 80"),
    "hand-written train2 (216)": ("66.1%", "82.8%", "85.6%", "0 of 60"),
    "hand-written seen11 (72)": ("70.0%", "88.3%", "76.4%", "0 of 20"),
    "hand-written seen12 (72)": ("68.3%", "85.0%", "76.4%", "1 of 20"),
    "hand-written test (72, held out)": ("65.0%", "80.0%", "84.7%", "0 of 20"),
}


class _Replay:
    """A linker that returns mentions found earlier: timing triage without linking again."""

    def __init__(self, mentions):
        self.mentions = mentions

    def link(self, *_args, **_kwargs):
        return self.mentions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", help="store URL (default: KGQA_STORE, else a graph built into a temp folder)")
    ap.add_argument("--sources", default=os.environ.get("KGQA_SOURCES_DIR") or str(REPO.parent / "shared" / "data"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "triage.md"))
    ap.add_argument("--split", choices=["tuning", "test"], default="tuning",
                    help="tuning: every hand-written split but test, and generated seed 1 (default); test: also the held-out test split")
    args = ap.parse_args(argv)
    os.environ.setdefault("KGQA_SOURCES_DIR", args.sources)

    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    from qa.triage_eval import (generator_seed, evaluate, generate_vignettes,
                                load_vignettes, report_markdown)
    from qa.triage_findings import FINDING_TYPES

    store_url = args.store or os.environ.get("KGQA_STORE")
    if not store_url and os.environ.get("KGQA_HOME"):
        store_url = load_settings().store_url
    built = ""
    if not store_url:
        from kgqa.build import build_graph
        tmp = Path(tempfile.mkdtemp(prefix="bench-triage-"))
        store_url = f"sqlite:///{tmp / 'kg.sqlite'}"
        t = time.perf_counter()
        build_graph(store_url, sources_dir=Path(args.sources), only=None, progress=False, log=lambda m: None)
        built = f"built from {args.sources} in {time.perf_counter() - t:.0f} s"
    settings = load_settings(store=store_url)
    ctx = KGContext(settings)
    t = time.perf_counter()
    linker = ctx.linker
    t_linker = time.perf_counter() - t
    t = time.perf_counter()
    triager = ctx.triager
    t_triager = time.perf_counter() - t
    ddx = Path(args.sources) / "ddxplus"
    sets = {}
    splits = list(TUNING_SPLITS) + (["test"] if args.split == "test" else [])
    for split in splits:
        sets[f"hand-written ({split})"] = load_vignettes(VIGNETTE_FILES[split])
    for seed, label in sorted({(generator_seed(s), "test" if s == "test" else "tuning") for s in splits}):
        sets[f"generated from DDXPlus (seed {seed}, {label})"] = generate_vignettes(
            ddx / "release_conditions.json", ddx / "release_evidences.json", seed, 2)
    timed = [v.text for name, vs in sets.items() if "test" not in name for v in vs]

    # warm-up round, then timed rounds
    for text in timed:
        triager.triage(text)
    lat_triage, lat_rules, lat_link, lat_beyond, lat_store = [], [], [], [], []
    reader = triager.urgency_model
    for _ in range(args.rounds):
        for text in timed:
            t0 = time.perf_counter()
            r = triager.triage(text)
            lat_triage.append((time.perf_counter() - t0) * 1000)
            if reader is not None:
                triager.urgency_model = None
                t0 = time.perf_counter()
                triager.triage(text)
                lat_rules.append((time.perf_counter() - t0) * 1000)
                triager.urgency_model = reader
            t0 = time.perf_counter()
            mentions = linker.link(text, types=list(FINDING_TYPES))
            lat_link.append((time.perf_counter() - t0) * 1000)
            triager.linker = _Replay(mentions)
            try:
                t0 = time.perf_counter()
                triager.triage(text)
                lat_beyond.append((time.perf_counter() - t0) * 1000)
            finally:
                triager.linker = linker
            ids = [f.entity.id for f in r.findings if f.present]
            t0 = time.perf_counter()
            store_scoring_baseline(ctx.store, ids)
            lat_store.append((time.perf_counter() - t0) * 1000)

    triage_p50, _ = p50_p95(lat_triage)
    beyond_p50, beyond_p95 = p50_p95(lat_beyond)
    summaries = {name: evaluate(triager, vs, name) for name, vs in sets.items()}
    load = os.getloadavg()
    tuning = [summaries[k] for k in sets if "test" not in k]
    if reader is None:
        reader_note = ("Urgency: the red-flag rules alone (no learned urgency reader in this home; "
                       "`kgqa triage-model train` trains one).")
    else:
        info = reader.info
        reader_note = (f"Urgency: the learned reader guarded by the red-flag rules (qa/triage_urgency_model.py; "
                       f"model {info['key']}, fine-tuned on {info['examples']} hand-written tuning vignettes of "
                       f"{', '.join(info['splits'])} in {info['train_seconds']:.0f} s). On the tuning splits its "
                       "figures are training accuracy; the 'rules alone' columns are the same run without it. "
                       "Held out: the test split.")
    lines = [
        "# Triage", "",
        f"Machine: {machine()}. Load average during the run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(other jobs may share these 2 cores, so absolute times are pessimistic; "
        "compare rows of the same run).",
        f"Graph: {store_url} ({built or 'given'}); linker ready in {t_linker:.1f} s, triager (condition–finding "
        f"table: {len(triager.knowledge.conditions)} conditions, {len(triager.knowledge.findings)} findings) "
        f"in {t_triager:.1f} s.", "",
        f"## Latency per call ({len(timed)} tuning texts x {args.rounds} rounds after a warm-up round; ms)", "",
        "| what | p50 | p95 | max |", "| --- | --- | --- | --- |",
        f"| triage (link + findings + scoring + urgency + next questions) | {fmt(lat_triage)} |",
        *([f"| baseline: triage with the red-flag rules alone (no learned urgency reader) | {fmt(lat_rules)} |"]
          if lat_rules else []),
        f"| baseline: linking only | {fmt(lat_link)} |",
        f"| triage beyond linking (the linker's mentions replayed) | {fmt(lat_beyond)} |",
        f"| baseline: scoring the same findings from the store per call (no table), ranking only | {fmt(lat_store)} |",
        "", f"Target: p50 under 30 ms for the whole call. Measured p50 {triage_p50:.1f} ms "
        f"({'met' if triage_p50 < 30 else 'not met'} on this shared machine), of which triage "
        f"beyond linking is {beyond_p50:.1f} ms p50 ({beyond_p95:.1f} ms p95).", "",
        "## Accuracy", "",
        f"Tuning splits: {', '.join(TUNING_SPLITS)} and generated seed 1 (the red flags, patterns, curated "
        "findings and thresholds were tuned on these; see docs/triage.md): hand-written dev (42), seen (session "
        "1's test set, 62), seen2 (session 2's, 65), seen3 (session 3's, 70), seen4 (session 4's, 72), seen5 (session 5's, 72), seen6 (session 6's, 72), seen7 (session 7's first fresh set, 72: its first run showed the lead its missed items, so it is tuning data), seen8 (session 7's held-out set, 72), seen9 (session 8's held-out set, 72), seen10 (session 9's held-out set, 72), seen11 (session 10's held-out set, 72), seen12 (session 11's held-out set, 72), train "
        "(240 written in session 4 for tuning; first-pass urgency before tuning on them: 76.7% for the first "
        "120, 70.0% for the second 120), train2 (216 written in session 9 for tuning in voices unlike the "
        "held-out sets'; first pass 73.6%), generated seed 1. Held out: the hand-written test split (written at "
        "the start of session 12) and generated seed 2 (only with --split test).", "",
        reader_note, "",
        report_markdown(tuning, ", ".join(TUNING_SPLITS) + " (all used for tuning)"), "",
        "Before (same graph; tuning splits: the rules alone at 98ac8d2, unchanged since; seen12: at the start of "
        "session 11, 7c94d4f, with session 10's reader; the held-out test split: at the start of session 12, "
        "3cbbe82, with session 11's reader): "
        + "; ".join(f"{k}: top-1 {v[0]}, top-3 {v[1]}, urgency {v[2]}, emergencies under-triaged {v[3]}"
                    for k, v in BEFORE.items()) + ".", "",
    ]
    if args.split == "test":
        lines += ["Held-out: the hand-written test vignettes and the generated seed-2 vignettes, never used "
                  "for tuning.", "", report_markdown([summaries[k] for k in sets if "test" in k], "test"), ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
