"""Does fine-tuning the sentence model on the graph's own pairs help dense linking? (issue 3)

    KGQA_SOURCES_DIR=/work/shared/data .venv/bin/python -m bench.bench_finetune --home /tmp/ft_home [--model DIR]

`--home` is a graph home of its own (kg.sqlite; its cache/ receives the fine-tuned model and both dense
indexes); never point it at a shared home. In one run, for the raw packaged model and for the model
fine-tuned by retrieval/finetune.py (`kgqa tune-embeddings`; trained here unless the home's cache has it, or
given by --model):
- training time (from the model's record), linker build time (dictionary + dense index, embeddings of
  the names not cached for the fine-tuned model the first time);
- `kgqa eval linking` on the lay tuning sets lay_seen3..lay_seen11 (never training pairs: the fine-tune reads
  only graph synonyms and the lay vocabulary), hpo_lay (held-out HPO layperson synonyms: never a training
  pair), non_medical and kg_rag;
- link latency p50/p95 over lay tuning phrases whose vectors are not memoised.
Writes bench/results/finetune.md (or --out).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.common import machine, p50_p95
from retrieval.finetune import INFO_FILE

HERE = Path(__file__).resolve().parent
SETS = ["lay_seen3", "lay_seen4", "lay_seen5", "lay_seen6", "lay_seen7", "lay_seen8", "lay_seen9", "lay_seen10", "lay_seen11", "hpo_lay", "non_medical", "kg_rag"]


def _load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def run_variant(home: Path, finetuned: bool, sets: list[str], latency_n: int, model: str | None = None) -> dict:
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    from retrieval.evaluation import EVAL_DIR, read_phrase_set, run_linking_eval
    out: dict = {"variant": "fine-tuned" if finetuned else "raw", "load_before": _load_average()}
    base = load_settings(home=str(home))
    if finetuned and not model:
        # train (or find in the home's cache) the model fine-tuned on this graph's pairs
        model = str(base.cache_dir / "finetune" / "minilm-lay")
        if not (Path(model) / INFO_FILE).exists():
            from retrieval.finetune import fine_tune, training_pairs
            raw_ctx = KGContext(base)
            started = time.perf_counter()
            fine_tune(training_pairs(raw_ctx.linker, raw_ctx.store.iter_entities()), Path(model),
                      base_model=base.embedding_model, progress=True)
            out["ensure_seconds"] = round(time.perf_counter() - started, 1)
            raw_ctx.close()
    if finetuned:
        out["training"] = json.loads((Path(model) / INFO_FILE).read_text())
    # the fine-tuned model is an ordinary local sentence-transformers folder (KGQA_EMBEDDING_MODEL)
    settings = base.with_(embedding_model=model) if finetuned else base
    ctx = KGContext(settings)
    started = time.perf_counter()
    linker = ctx.linker
    out["build_seconds"] = round(time.perf_counter() - started, 1)
    out["linker"] = linker.info()
    report = run_linking_eval(ctx, sets=sets)
    out["sets"] = {name: {k: r.get(k) for k in ("n", "acc@1", "acc@5", "by_style", "outside_vocabulary",
                                                 "sentences_with_links", "errors")}
                   for name, r in report["sets"].items()}
    out["whole_phrase"] = whole_phrase_accuracy(linker, ctx.store) if "lay_seen3" in sets else {}
    # latency: tuning phrases not evaluated above, memo emptied before each call (a fresh question)
    phrases = [p for name in ("lay_phrases_dev.tsv", "lay_phrases_seen.tsv")
               for p, _, _, _ in read_phrase_set(EVAL_DIR / name)][:latency_n]
    for p in phrases[:5]:
        linker.link(p)
    times = []
    for p in phrases:
        linker.embedder._memo = {}
        t = time.perf_counter()
        linker.link(p)
        times.append((time.perf_counter() - t) * 1000)
    out["latency_ms"] = p50_p95(times)
    out["latency_n"] = len(times)
    out["load_after"] = _load_average()
    ctx.close()
    return out


def whole_phrase_accuracy(linker, store) -> dict:
    """acc@1 on lay_seen3 by style of `Linker.link_phrase` (the whole phrase as one query: dictionary, fuzzy
    and the dense index), which shows what the sentence model itself ranks first, apart from the span
    search and overlap resolution of `Linker.link`."""
    from retrieval.evaluation import EVAL_DIR, accepted_answers, read_phrase_set
    by_style: dict[str, list[bool]] = {}
    for phrase, accepted, _, style in read_phrase_set(EVAL_DIR / "lay_phrases_seen3.tsv"):
        gold, is_right = accepted_answers(store, accepted)
        if not gold:
            continue
        ranked = linker.link_phrase(phrase, top_k=1)
        ok = bool(ranked) and is_right(ranked[0][0])
        by_style.setdefault(style or "all", []).append(ok)
        if style:
            by_style.setdefault("all", []).append(ok)
    return {k: {"n": len(v), "acc@1": round(sum(v) / len(v), 4)} for k, v in by_style.items()}


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def write_markdown(results: list[dict], path: Path, sets: list[str]) -> None:
    raw, tuned = results
    lines = ["# Fine-tuning the sentence model for lay linking (issue 3)", "",
             f"Machine: {machine()}. Load average (1/5/15 min) before/after each variant: "
             + "; ".join(f"{r['variant']} {r['load_before']} -> {r['load_after']}" for r in results)
             + ". Other jobs may share these 2 cores: timings are noisy, compare the two columns of one run "
               "only.", "",
             "Written by `.venv/bin/python -m bench.bench_finetune` (raw model and fine-tuned model measured in "
             "the same run, on a copy of the full graph).", "",
             "## Accuracy", "",
             "| set | n | raw acc@1 | fine-tuned acc@1 | raw acc@5 | fine-tuned acc@5 |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name in sets:
        a, b = raw["sets"].get(name, {}), tuned["sets"].get(name, {})
        lines.append(f"| {name} | {a.get('n')} | {_fmt(a.get('acc@1'))} | {_fmt(b.get('acc@1'))} | "
                     f"{_fmt(a.get('acc@5'))} | {_fmt(b.get('acc@5'))} |")
        for style, r in sorted((a.get("by_style") or {}).items()):
            rb = (b.get("by_style") or {}).get(style, {})
            lines.append(f"| {name} / {style} | {r.get('n')} | {_fmt(r.get('acc@1'))} | {_fmt(rb.get('acc@1'))} | "
                         f"{_fmt(r.get('acc@5'))} | {_fmt(rb.get('acc@5'))} |")
    lines.append("")
    lines.append("non_medical acc@1 is the share of sentences linking nothing "
                 f"(raw: {raw['sets'].get('non_medical', {}).get('sentences_with_links')} sentences linked, "
                 f"fine-tuned: {tuned['sets'].get('non_medical', {}).get('sentences_with_links')}).")
    lines += ["", "### The whole phrase as one query (`Linker.link_phrase`, lay_seen3)", "",
              "What the model ranks first for a whole phrase, before the span search and overlap resolution of "
              "`Linker.link` (the figures above) decide which mention wins.", "",
              "| style | n | raw acc@1 | fine-tuned acc@1 |", "| --- | ---: | ---: | ---: |"]
    for style, r in sorted(raw.get("whole_phrase", {}).items()):
        rb = tuned.get("whole_phrase", {}).get(style, {})
        lines.append(f"| {style} | {r['n']} | {_fmt(r['acc@1'])} | {_fmt(rb.get('acc@1'))} |")
    t = tuned.get("training", {})
    lines += ["", "## Cost", "",
              "| | raw | fine-tuned |", "| --- | ---: | ---: |",
              f"| training (s, 2 cores, once per training set) | - | {t.get('seconds')} |",
              f"| linker build (s) | {raw['build_seconds']} | {tuned['build_seconds']} |",
              f"| link latency p50 (ms) | {raw['latency_ms'][0]:.1f} | {tuned['latency_ms'][0]:.1f} |",
              f"| link latency p95 (ms) | {raw['latency_ms'][1]:.1f} | {tuned['latency_ms'][1]:.1f} |", "",
              f"Latency: `Linker.link` on {raw['latency_n']} lay tuning phrases (dev, seen), the vector memo "
              "emptied before each call. Linker build: dictionary, dense index and (fine-tuned) the embedding "
              "of every name with the new model where the home's cache lacked them.", "",
              "## Training", "", "```", json.dumps(t, indent=1), "```", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", required=True, help="a graph home of this benchmark's own (kg.sqlite)")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--latency-n", type=int, default=120)
    parser.add_argument("--out", default=str(HERE / "results" / "finetune.md"))
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument("--model", help="a fine-tuned model folder to use instead of training one (its record "
                                        "gives the training figures)")
    args = parser.parse_args(argv)
    home = Path(args.home)
    if not (home / "kg.sqlite").exists():
        print(f"error: {home / 'kg.sqlite'} does not exist (copy a built graph there first)", file=sys.stderr)
        return 2
    sets = [s for s in args.sets.split(",") if s]
    if "lay_test" in sets:
        print("error: lay_test is held out; this benchmark does not run it", file=sys.stderr)
        return 2
    if args.model and not (Path(args.model) / INFO_FILE).exists():
        print(f"error: {args.model} is not a model folder written by `kgqa tune-embeddings`", file=sys.stderr)
        return 2
    results = [run_variant(home, False, sets, args.latency_n),
               run_variant(home, True, sets, args.latency_n, model=args.model)]
    write_markdown(results, Path(args.out), sets)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(Path(args.out).read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
