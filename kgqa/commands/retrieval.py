"""`kgqa link`, `kgqa retrieve`, `kgqa tune-embeddings` and `kgqa eval linking`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kgqa.cli import UserError


def register(sub: argparse._SubParsersAction) -> None:
    link = sub.add_parser("link", help="find the graph entities mentioned in a text")
    link.add_argument("text", nargs="?", help="the text (omit with --jsonl)")
    link.add_argument("--json", action="store_true", help="print JSON")
    link.add_argument("--jsonl", action="store_true",
                      help='read one text per line on stdin, write one JSON object per line: {"text", "mentions"}')
    link.add_argument("--types", help="comma-separated entity types to prefer (e.g. Disease,Phenotype)")
    link.add_argument("--min-score", type=float, help="drop links below this calibrated score")
    link.set_defaults(func=_link)

    ret = sub.add_parser("retrieve", help="the ranked graph facts that answer a question")
    ret.add_argument("question")
    ret.add_argument("--json", action="store_true", help="print JSON")
    ret.add_argument("--limit", type=int, default=20)
    ret.set_defaults(func=_retrieve)

    tune = sub.add_parser("tune-embeddings", help="fine-tune the sentence model on the graph's synonyms and lay "
                                                  "phrases (opt-in; see docs/linking.md)")
    tune.add_argument("--out", help="model folder to write (default: <KGQA_HOME>/models/minilm-lay)")
    tune.add_argument("--epochs", type=int, default=1)
    tune.add_argument("--batch-size", type=int, default=64)
    tune.add_argument("--max-steps", type=int, help="stop after this many batches (quick trials)")
    tune.set_defaults(func=_tune_embeddings)


def register_eval(eval_sub: argparse._SubParsersAction) -> None:
    p = eval_sub.add_parser("linking", help="entity linking acc@1/acc@5 on held-out and public sets")
    p.add_argument("--json", action="store_true", help="print JSON")
    from retrieval.evaluation import SET_NAMES   # light; the set list lives in one place
    p.add_argument("--sets", help="comma-separated subset of: " + ",".join(SET_NAMES))
    p.add_argument("--limit", type=int, help="at most this many items per set (quick runs)")
    p.add_argument("--sources", help="source folder with kg_rag/ and ncbi-disease/ (default: settings.sources_dir "
                                     "or ../shared/data)")
    p.set_defaults(func=_eval_linking)


def _context(args):
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    return KGContext(load_settings(args.config, store=args.store))


def _types(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    from kg.model import ENTITY_TYPES
    types = [t.strip() for t in raw.split(",") if t.strip()]
    bad = [t for t in types if t not in ENTITY_TYPES]
    if bad:
        raise UserError(f"unknown entity type(s) {', '.join(bad)}; known: {', '.join(ENTITY_TYPES)}")
    return types


def _link(args) -> int:
    types = _types(args.types)
    if args.jsonl:
        if args.text:
            raise UserError("--jsonl reads texts from stdin; do not also give TEXT")
        ctx = _context(args)
        linker = ctx.linker
        for n, line in enumerate(sys.stdin, 1):
            text = line.rstrip("\n")
            if not text.strip():
                continue
            mentions = linker.link(text, types=types, min_score=args.min_score)
            print(json.dumps({"text": text, "mentions": [m.to_json() for m in mentions]}, ensure_ascii=False),
                  flush=True)
        return 0
    if not args.text or not args.text.strip():
        raise UserError("give a TEXT to link (or --jsonl to read texts from stdin)")
    ctx = _context(args)
    mentions = ctx.linker.link(args.text, types=types, min_score=args.min_score)
    if args.json:
        print(json.dumps({"text": args.text, "mentions": [m.to_json() for m in mentions]}, ensure_ascii=False))
        return 0
    if not mentions:
        print("no graph entity recognised")
    for m in mentions:
        flags = " (negated)" if m.negated else ""
        flags += " (uncertain)" if m.uncertain else ""
        print(f"{m.start:>4}-{m.end:<4} {m.text!r} -> {m.entity.id} {m.entity.name} [{m.entity.type}] "
              f"score={m.score:.2f} via {m.method}{flags}")
    return 0


def _retrieve(args) -> int:
    if not args.question.strip():
        raise UserError("the question is empty")
    if args.limit < 1:
        raise UserError("--limit must be at least 1")
    ctx = _context(args)
    result = ctx.retriever.retrieve(args.question, limit=args.limit)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    print(f"intent: {result.intent.kind} {','.join(result.intent.predicates)} -> {','.join(result.intent.answer_types)}")
    for m in result.mentions:
        print(f"entity: {m.text!r} -> {m.entity.id} {m.entity.name} [{m.entity.type}] score={m.score:.2f}"
              + (" (negated)" if m.negated else ""))
    if result.total_candidates:
        print("candidates: " + ", ".join(f"{p}={n}" for p, n in result.total_candidates.items()))
    for sf in result.facts:
        s = sf.subject.name if sf.subject else sf.fact.subject
        o = sf.object.name if sf.object else sf.fact.object
        print(f"{sf.score:.3f} {sf.fact.id} {s} --{sf.fact.predicate}--> {o} [{', '.join(sf.fact.sources)}]")
    for p in result.paths[:5]:
        print("path: " + " -> ".join(p.entities))
    if not result.facts and not result.paths:
        print("no facts found")
    return 0


def _tune_embeddings(args) -> int:
    from retrieval.finetune import FineTuneError, fine_tune, training_pairs
    if args.epochs < 1 or args.batch_size < 2 or (args.max_steps is not None and args.max_steps < 1):
        raise UserError("--epochs and --max-steps must be at least 1, --batch-size at least 2")
    ctx = _context(args)
    out = Path(args.out) if args.out else ctx.settings.home / "models" / "minilm-lay"
    pairs = training_pairs(ctx.linker, ctx.store.iter_entities())
    print(f"{len(pairs)} training pairs from {ctx.store.version()}", file=sys.stderr)
    try:
        info = fine_tune(pairs, out, base_model=ctx.settings.embedding_model, epochs=args.epochs,
                         batch_size=args.batch_size, max_steps=args.max_steps, progress=True)
    except FineTuneError as exc:
        raise UserError(str(exc)) from exc
    print(json.dumps(info))
    print(f"model written to {out}; use it with KGQA_EMBEDDING_MODEL={out.resolve()}", file=sys.stderr)
    return 0


def _eval_linking(args) -> int:
    from retrieval.evaluation import SET_NAMES, format_table, run_linking_eval
    sets = [s.strip() for s in args.sets.split(",")] if args.sets else None
    if sets:
        bad = [s for s in sets if s not in SET_NAMES]
        if bad:
            raise UserError(f"unknown set(s) {', '.join(bad)}; known: {', '.join(SET_NAMES)}")
    ctx = _context(args)
    report = run_linking_eval(ctx, sets=sets, limit=args.limit, sources_dir=args.sources)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(format_table(report))
    return 0
