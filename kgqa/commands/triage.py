"""`kgqa triage TEXT [--json] [--jsonl]` and `kgqa eval triage`.

Pre-diagnosis triage from a person's own words (see docs/triage.md). `--jsonl` reads one text per stdin
line (plain text, or {"text", "answers", "age", "sex"}) and writes one JSON object per line, loading the
graph and models once.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from kgqa.cli import UserError
from kgqa.commands.jsonl import answer_each, stdin_records

REPO = Path(__file__).resolve().parents[2]


# ==== kgqa triage ===================================================================================
def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("triage", help="pre-diagnosis triage of symptoms told in everyday words (not a diagnosis)")
    p.add_argument("text", nargs="?", help='what the person feels, e.g. "my chest hurts and I am sweating"')
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the result as one JSON object")
    out.add_argument("--jsonl", action="store_true",
                     help='read texts from stdin (plain text or {"text", "answers", "age", "sex"} per line), '
                          "write JSON lines")
    p.add_argument("--age", type=int, help="the patient's age in years (overrides what the text says)")
    p.add_argument("--sex", choices=["male", "female"], help="the patient's sex (overrides the text)")
    p.add_argument("--answer", action="append", default=[], metavar="ID=yes|no",
                   help="an answer to a next question, e.g. --answer HP:0001945=no (repeatable)")
    p.set_defaults(func=_triage)

    m = sub.add_parser("triage-model", help="train or inspect the learned urgency reader that the red-flag "
                                            "rules guard (qa/triage_urgency_model.py)")
    msub = m.add_subparsers(dest="model_command", metavar="ACTION")
    train = msub.add_parser("train", help="fine-tune the packaged encoder on the hand-written tuning vignettes "
                                          "(never the held-out split); a few minutes on two CPU cores")
    train.add_argument("--out", help="model folder (default <KGQA_HOME>/models/urgency, where triage looks)")
    train.add_argument("--epochs", type=int, help="passes over the vignettes (default: the recipe's)")
    train.add_argument("--if-stale", action="store_true",
                       help="do nothing when the folder already holds a model of the current vignettes")
    train.set_defaults(func=_train_model)
    info = msub.add_parser("info", help="what the urgency model was trained on, and whether it is current")
    info.add_argument("--out", help="model folder (default <KGQA_HOME>/models/urgency)")
    info.set_defaults(func=_model_info)
    m.set_defaults(func=lambda args: m.print_help() or 2)


def _context(args):
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    return KGContext(load_settings(args.config, store=args.store))


def _model_folder(args) -> Path:
    from kgqa.settings import load_settings
    from qa.triage_urgency_model import default_folder
    return Path(args.out) if args.out else default_folder(load_settings(args.config).home)


def _train_model(args) -> int:
    from dataclasses import replace
    from kgqa.settings import load_settings
    from qa.triage_urgency_model import TrainingRecipe, UrgencyModelError, is_current, train_urgency_model, \
        tuning_examples
    folder = _model_folder(args)
    recipe = TrainingRecipe() if args.epochs is None else replace(TrainingRecipe(), epochs=args.epochs)
    if args.epochs is not None and args.epochs < 1:
        raise UserError("--epochs must be at least 1")
    examples, splits = tuning_examples()
    if args.if_stale and is_current(folder, recipe, examples):
        print(f"the urgency model in {folder} is current")
        return 0
    with _training_lock(folder) as held:
        if not held:
            if args.if_stale:
                print(f"another process is training the urgency model in {folder}; leaving it to finish")
                return 0
            raise UserError(f"another process is training the urgency model in {folder}; wait for it to finish")
        print(f"training on {len(examples)} tuning vignettes ({', '.join(splits)}); the held-out split is never "
              "read", file=sys.stderr)
        try:
            model = train_urgency_model(examples, recipe, progress=True, splits=splits)
        except UrgencyModelError as exc:
            raise UserError(str(exc)) from None
        model.save(folder, precision=load_settings(args.config).urgency_precision)
    print(f"saved the urgency model to {folder} ({model.info['train_seconds']} s, {model.backend})")
    return 0


@contextmanager
def _training_lock(folder: Path):
    """Yields whether this process holds the lock for training into `folder` (not when another one trains
    there: `make run` starts a training in the background, and a second `make run` must not start another)."""
    import fcntl
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _model_info(args) -> int:
    from qa.triage_urgency_model import INFO_FILE, is_current
    folder = _model_folder(args)
    try:
        info = json.loads((folder / INFO_FILE).read_text())
    except FileNotFoundError:
        raise UserError(f"no urgency model in {folder}; train one with `kgqa triage-model train`") from None
    info["current"] = is_current(folder)
    print(json.dumps(info, indent=2))
    return 0


def parse_answers(raw: list[str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for item in raw:
        if "=" not in item:
            raise UserError(f"--answer {item!r}: use ENTITY_ID=yes or ENTITY_ID=no")
        key, value = item.rsplit("=", 1)
        value = value.strip().lower()
        if value not in ("yes", "no", "true", "false", "y", "n"):
            raise UserError(f"--answer {item!r}: the answer must be yes or no")
        out[key.strip()] = value in ("yes", "true", "y")
    return out


def _run(ctx, text: str, answers: dict[str, bool] | None, age: int | None, sex: str | None):
    from qa.triage import TriageInputError
    try:
        return ctx.triager.triage(text, answers=answers, age=age, sex=sex)
    except TriageInputError as exc:
        raise UserError(str(exc)) from None


def _stdin_requests() -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, record in stdin_records(("text",)):
        answers = record.get("answers") or {}
        if not isinstance(answers, dict):
            raise UserError(f'stdin line {lineno}: "answers" must be an object {{"ENTITY_ID": true|false}}')
        yield lineno, {"text": record["text"], "answers": answers, "age": record.get("age"), "sex": record.get("sex")}


def _triage(args) -> int:
    answers = parse_answers(args.answer)
    if args.jsonl:
        if args.text:
            raise UserError("--jsonl reads texts from stdin; do not also give TEXT")
        ctx = _context(args)
        try:
            answer_each(_stdin_requests(), lambda req: _run(ctx, req["text"], {**answers, **req["answers"]},
                                                             req["age"] or args.age, req["sex"] or args.sex))
        finally:
            ctx.close()
        return 0
    if not args.text:
        raise UserError('give a TEXT, e.g. kgqa triage "sore throat and fever for 2 days" (or --jsonl for stdin)')
    ctx = _context(args)
    try:
        result = _run(ctx, args.text, answers, args.age, args.sex)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        else:
            print(format_result(result))
    finally:
        ctx.close()
    return 0


def format_result(result) -> str:
    lines = [f"Urgency: {result.urgency.upper()} — {result.advice}"]
    for flag in result.red_flags:
        lines.append(f"  warning sign: {flag['finding']}: {flag['reason']}")
    lines.append("")
    if result.findings:
        lines.append("Understood:")
        for f in result.findings:
            extra = [x for x in (f.severity, f.duration) if x]
            said = f' ("{f.text}")' if f.text else " (your answer)"
            lines.append(f"  {'+' if f.present else '-'} {f.entity.name}{said}"
                         + (f" [{', '.join(extra)}]" if extra else "") + f"  {f.entity.id}")
    else:
        lines.append(result.message)
    if result.candidates:
        lines.append("")
        lines.append("Conditions that could fit (not a diagnosis):")
        for c in result.candidates:
            support = ", ".join(e["finding_name"] for e in c.supporting[:4])
            against = ", ".join(e["finding_name"] for e in c.opposing if e["fact"])[:80]
            lines.append(f"  {c.score:6.1%}  {c.entity.name}  ({c.entity.id})")
            if support:
                lines.append(f"          fits: {support}")
            if against:
                lines.append(f"          but not: {against}")
    if result.next_questions:
        lines.append("")
        lines.append("Worth asking next:")
        for q in result.next_questions:
            lines.append(f"  - {q['question']}  ({q['entity']['id']})")
    lines.append("")
    lines.append(result.disclaimer)
    return "\n".join(lines)


# ==== kgqa eval triage ==============================================================================
def register_eval(eval_sub: argparse._SubParsersAction) -> None:
    p = eval_sub.add_parser("triage", help="triage: top-1/top-3 and urgency accuracy on vignettes")
    from qa.triage_eval import VIGNETTE_FILES   # light; the split list lives in one place
    p.add_argument("--split", choices=list(VIGNETTE_FILES), default="test",
                   help="test: the held-out split (default); the others (dev, seen..., train) are tuning data")
    p.add_argument("--sets", default="hand,generated", help="comma-separated: hand, generated (default both)")
    p.add_argument("--per-condition", type=int, default=2, help="generated vignettes per DDXPlus condition")
    p.add_argument("--sources", help="source folder with ddxplus/ (default KGQA_SOURCES_DIR or ../shared/data)")
    p.add_argument("--json", action="store_true", help="print the metrics and per-item results as JSON")
    p.add_argument("--write-generated", metavar="FILE", help="also write the generated vignettes to FILE (JSON lines)")
    p.set_defaults(func=_eval_triage)


def _sources(explicit: str | None) -> Path | None:
    for cand in [explicit, os.environ.get("KGQA_SOURCES_DIR"), str(REPO.parent / "shared" / "data")]:
        if cand and (Path(cand) / "ddxplus" / "release_conditions.json").is_file():
            return Path(cand)
    return None


def _eval_triage(args) -> int:
    from qa.triage_eval import (generator_seed, VIGNETTE_FILES, VignetteFileError, evaluate,
                                generate_vignettes, load_vignettes, report_markdown)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(sets) - {"hand", "generated"}
    if unknown:
        raise UserError(f"--sets: unknown set(s) {', '.join(sorted(unknown))}; use hand, generated")
    if args.per_condition < 1:
        raise UserError("--per-condition: use 1 or more")
    batches = []
    try:
        if "hand" in sets:
            batches.append((f"hand-written ({args.split})", load_vignettes(VIGNETTE_FILES[args.split])))
        if "generated" in sets:
            src = _sources(args.sources)
            if src is None:
                raise UserError("generated vignettes need the DDXPlus release: pass --sources or set "
                                "KGQA_SOURCES_DIR (a folder with ddxplus/release_conditions.json)")
            gen = generate_vignettes(src / "ddxplus" / "release_conditions.json",
                                     src / "ddxplus" / "release_evidences.json",
                                     generator_seed(args.split), args.per_condition)
            if args.write_generated:
                with open(args.write_generated, "w", encoding="utf-8") as fh:
                    for v in gen:
                        fh.write(json.dumps(v.to_json(), ensure_ascii=False) + "\n")
            batches.append((f"generated from DDXPlus (seed {generator_seed(args.split)})", gen))
    except VignetteFileError as exc:
        raise UserError(str(exc)) from None
    ctx = _context(args)
    try:
        if "KGQA_SOURCES_DIR" not in os.environ and _sources(args.sources):
            os.environ["KGQA_SOURCES_DIR"] = str(_sources(args.sources))  # DDXPlus question wording
        summaries = [evaluate(ctx.triager, items, name, progress=sys.stderr.isatty()) for name, items in batches]
    finally:
        ctx.close()
    if args.json:
        print(json.dumps({s.name: {"metrics": s.metrics(), "items": [r.to_json() for r in s.items]}
                          for s in summaries}, indent=2))
    else:
        print(report_markdown(summaries, args.split))
    return 0
