"""What every importer shares: the error for malformed input, the record type, file readers that
count lines (so errors can name them), and the importer description the build pipeline runs."""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Union

from kg.ids import CurieError, normalize_curie
from kg.model import Entity, Fact, ModelError, SourceInfo

Record = Union[Entity, Fact]


class ImportFormatError(ValueError):
    """A source file is not in the format its importer expects; names the file and the line."""

    def __init__(self, file: str | Path, line: int | None, message: str):
        self.file = str(file)
        self.line = line
        self.message = message
        where = f"{self.file}, line {line}" if line else self.file
        super().__init__(f"{where}: {message}")


class SourceMissing(FileNotFoundError):
    """A source's files are not where the build looked; the build skips it with this message."""


@dataclass
class Importer:
    """One source: where its files are, what it is, and a streaming generator of its records."""
    name: str
    title: str
    # locate(sources_dir) -> the files the importer needs; raises SourceMissing when they are absent
    locate: Callable[[Path | None], dict[str, Path]]
    info: Callable[[dict[str, Path]], SourceInfo]
    # records(files) streams Entity and Fact records; it may take `skipped: dict[str, int]` to count rows
    # it leaves out on purpose (reported by the build)
    records: Callable[..., Iterator[Record]]
    needs_sources_dir: bool = True
    optional: bool = False       # only there when a user provides it (full Hetionet release, KGX)
    notes: list[str] = field(default_factory=list)


def open_text(path: Path) -> io.TextIOBase:
    """Open a text file, transparently un-gzipping `.gz`; universal newlines handle CRLF files."""
    if str(path).endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline=None)
    return open(path, encoding="utf-8", newline=None)


def read_tsv(path: Path, required: list[str], delimiter: str = "\t", comment: str | None = None,
             quotechar: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a delimited file with a header as (line number, {column: value}).

    Checks that the header has `required` columns and that every row has as many fields as the header.
    """
    with open_text(path) as fh:
        header: list[str] | None = None
        lineno = 0
        reader_lines = (line.rstrip("\r\n") for line in fh)
        for raw in reader_lines:
            lineno += 1
            if comment and raw.startswith(comment):
                continue
            if not raw.strip():
                continue
            if quotechar:
                fields = next(csv.reader([raw], delimiter=delimiter, quotechar=quotechar))
            else:
                fields = raw.split(delimiter)
            if header is None:
                header = [h.strip().strip('"') for h in fields]
                missing = [c for c in required if c not in header]
                if missing:
                    raise ImportFormatError(path, lineno, f"header lacks column(s) {missing}; found {header}")
                continue
            if len(fields) != len(header):
                raise ImportFormatError(path, lineno, f"expected {len(header)} fields, found {len(fields)}")
            yield lineno, dict(zip(header, fields))
        if header is None:
            raise ImportFormatError(path, 1, "file is empty (no header line)")


def curie(raw: str, path: Path, lineno: int, default_prefix: str | None = None) -> str:
    """normalize_curie, turning its error into one that names the file and line."""
    try:
        return normalize_curie(raw, default_prefix)
    except CurieError as exc:
        raise ImportFormatError(path, lineno, str(exc)) from None


def checked(path: Path, lineno: int, build: Callable[[], Record]) -> Record:
    """Build a record, reporting a model violation (unknown type, bad id) with the file and line."""
    try:
        return build()
    except ModelError as exc:
        raise ImportFormatError(path, lineno, str(exc)) from None


def require_files(folder: Path | None, names: list[str], source: str) -> dict[str, Path]:
    if folder is None:
        raise SourceMissing(f"{source}: no sources folder given (--sources DIR or KGQA_SOURCES_DIR)")
    paths = {n: folder / n for n in names}
    absent = [str(p) for p in paths.values() if not p.is_file()]
    if absent:
        raise SourceMissing(f"{source}: missing file(s) {', '.join(absent)}")
    return paths
