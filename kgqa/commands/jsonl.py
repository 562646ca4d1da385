"""Reading `--jsonl` input: one request per line, either plain text or a JSON object."""
from __future__ import annotations

import json
import sys
from typing import IO, Any, Callable, Iterable, Iterator

from kgqa.cli import UserError


def stdin_records(fields: tuple[str, ...], stream: IO[str] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) for each non-empty line. A plain line becomes {fields[0]: line}; a JSON
    line must be an object carrying a non-blank string under one of `fields`, copied to fields[0]."""
    for lineno, line in enumerate(stream or sys.stdin, 1):
        raw = line.strip()
        if not raw:
            continue
        if not raw.startswith("{"):
            yield lineno, {fields[0]: raw}
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UserError(f"stdin line {lineno}: not valid JSON ({exc.msg})") from None
        text = next((obj.get(f) for f in fields if isinstance(obj, dict) and isinstance(obj.get(f), str)), None)
        if not isinstance(text, str) or not text.strip():
            raise UserError(f'stdin line {lineno}: a JSON line needs a "{fields[0]}" string')
        yield lineno, {**obj, fields[0]: text}


def answer_each(requests: Iterable[tuple[int, Any]], handle: Callable[[Any], Any]) -> None:
    """Write `handle(request).to_json()` as one JSON line per request; a user error names its stdin line."""
    for lineno, request in requests:
        try:
            result = handle(request)
        except UserError as exc:
            raise UserError(f"stdin line {lineno}: {exc}") from None
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
