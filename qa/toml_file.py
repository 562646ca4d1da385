"""Reading the triage knowledge files (TOML), with the file named in the error a malformed one raises."""
from __future__ import annotations

import tomllib
from pathlib import Path


def read_toml(path: str | Path, error: type[Exception]) -> dict:
    """The parsed file; `error(message)` when it is not valid TOML."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc
