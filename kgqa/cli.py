"""The `kgqa` command. Each group of subcommands lives in `kgqa/commands/<group>.py` with a
`register(subparsers)` function (and optionally `register_eval(eval_subparsers)` for `kgqa eval ...`)."""
from __future__ import annotations

import argparse
import importlib
import sys

from kg.model import ModelError
from kg.store.base import StoreError
from kgqa.settings import SettingsError

COMMAND_MODULES = ["graph", "retrieval", "answers", "triage", "serve", "curation", "export"]


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgqa", description="Knowledge-grounded question answering for medicine.")
    parser.add_argument("--store", help="store URL (sqlite:///path/kg.sqlite or bolt://host:7687); default from settings")
    parser.add_argument("--config", help="TOML settings file (default ./kgqa.toml or $KGQA_CONFIG)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    eval_parser = sub.add_parser("eval", help="evaluate linking, answers or triage on public sets")
    eval_sub = eval_parser.add_subparsers(dest="eval_command", metavar="SET")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"kgqa.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kgqa.commands.{name}":
                continue  # not built yet
            raise
        module.register(sub)
        if hasattr(module, "register_eval"):
            module.register_eval(eval_sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (UserError, StoreError, ModelError, SettingsError, FileNotFoundError) as exc:
        print(f"kgqa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kgqa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    # `python -m kgqa.cli`: run the canonical module so command modules share its UserError class
    from kgqa.cli import main as canonical_main
    sys.exit(canonical_main())
