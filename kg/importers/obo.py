"""A streaming reader of OBO 1.2 flat files (hp.obo, doid.obo): one `OboTerm` per [Term] stanza."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from kg.importers.base import ImportFormatError, open_text

_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|BROAD|NARROW)\s*([^\[]*?)\s*\[.*\]\s*$')
_DEF = re.compile(r'^"((?:[^"\\]|\\.)*)"')


@dataclass
class OboTerm:
    id: str
    line: int                      # line of the [Term] header, for error messages
    name: str = ""
    definition: str = ""
    synonyms: list[tuple[str, str, str]] = field(default_factory=list)  # (text, scope, type tag)
    xrefs: list[str] = field(default_factory=list)
    is_a: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)
    obsolete: bool = False


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", " ").replace("\\\\", "\\")


def read_header(path: Path) -> dict[str, str]:
    """The header tags before the first stanza (format-version, data-version, remark ...)."""
    out: dict[str, str] = {}
    with open_text(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("["):
                break
            if ": " in line:
                k, v = line.split(": ", 1)
                out.setdefault(k, v)
    return out


def iter_terms(path: Path) -> Iterator[OboTerm]:
    """[Term] stanzas in file order; other stanzas ([Typedef]) are skipped."""
    term: OboTerm | None = None
    in_term = False
    saw_stanza = False
    with open_text(path) as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if line.startswith("["):
                saw_stanza = True
                if term is not None:
                    yield _finish(term, path)
                term = None
                in_term = line.strip() == "[Term]"
                if in_term:
                    term = OboTerm(id="", line=lineno)
                continue
            if not in_term or not line.strip() or line.startswith("!"):
                continue
            if ":" not in line:
                raise ImportFormatError(path, lineno, f"expected 'tag: value', found {line[:60]!r}")
            tag, value = line.split(":", 1)
            value = value.strip()
            # drop trailing "! comment" on reference tags
            if tag in ("is_a", "xref", "alt_id", "id") and " !" in value:
                value = value.split(" !", 1)[0].strip()
            assert term is not None
            if tag == "id":
                if term.id:
                    raise ImportFormatError(path, lineno, f"second id in stanza of {term.id}")
                term.id = value
            elif tag == "name":
                term.name = value
            elif tag == "def":
                m = _DEF.match(value)
                if not m:
                    raise ImportFormatError(path, lineno, "def: is not a quoted string")
                term.definition = _unescape(m.group(1))
            elif tag == "synonym":
                m = _SYNONYM.match(value)
                if not m:
                    raise ImportFormatError(path, lineno, f"synonym line not understood: {value[:80]!r}")
                term.synonyms.append((_unescape(m.group(1)), m.group(2), m.group(3).strip()))
            elif tag == "xref":
                term.xrefs.append(value.split(" ", 1)[0])
            elif tag == "is_a":
                term.is_a.append(value.split(" ", 1)[0])
            elif tag == "alt_id":
                term.alt_ids.append(value)
            elif tag == "is_obsolete":
                term.obsolete = value == "true"
    if term is not None:
        yield _finish(term, path)
    if not saw_stanza:
        raise ImportFormatError(path, None, "no [Term] stanza found: not an OBO file")


def _finish(term: OboTerm, path: Path) -> OboTerm:
    if not term.id:
        raise ImportFormatError(path, term.line, "[Term] stanza without an id")
    if not term.name and not term.obsolete:
        raise ImportFormatError(path, term.line, f"term {term.id} has no name")
    return term
