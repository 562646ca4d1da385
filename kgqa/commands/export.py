"""`kgqa export neo4j DIR`: the graph as CSV files for `neo4j-admin database import full`.

The fast path for big graphs: neo4j-admin writes the store files offline, far faster than transactional
Cypher. The files hold exactly the layout kg/store/neo4j.py reads (entities, their search terms and
xrefs as nodes, facts as relationships typed by predicate with provenance as properties), so after the
import `kgqa --store bolt://host:7687 ...` works on it; the store creates its indexes on first open.
"""
from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from kg.model import Entity, Fact
from kg.store.base import GraphStore

ARRAY_DELIMITER = ";"

# file name -> header (neo4j-admin header syntax: name:type, :ID(space), :LABEL, :START_ID, :END_ID, :TYPE)
HEADERS: dict[str, list[str]] = {
    "entities.csv": ["id:ID(Entity)", ":LABEL", "key", "type", "name", "description",
                     "sources:string[]", "xrefs:string[]", "syn"],
    "terms.csv": [":ID(Term)", ":LABEL", "w", "e", "norm", "words:string[]", "pref:int", "type", "nlen:int"],
    "xrefs.csv": [":ID(Xref)", ":LABEL", "curie", "key", "e"],
    "sources.csv": [":ID(Source)", ":LABEL", "name", "title", "version", "license", "url", "attribution"],
    "meta.csv": [":ID(Meta)", ":LABEL", "key", "value"],
    "facts.csv": [":START_ID(Entity)", ":END_ID(Entity)", ":TYPE", "id", "prov", "nprov:int", "sources:string[]"],
}
NODE_FILES = ["entities.csv", "terms.csv", "xrefs.csv", "sources.csv", "meta.csv"]
RELATIONSHIP_FILES = ["facts.csv"]


class ExportError(ValueError):
    """A value that cannot be written in the import format."""


@dataclass
class ExportReport:
    directory: Path
    rows: dict[str, int] = field(default_factory=dict)
    database: str = "neo4j"

    def command(self) -> str:
        """The neo4j-admin command that imports these files (Neo4j 5)."""
        parts = ["neo4j-admin", "database", "import", "full",
                 f"--array-delimiter={ARRAY_DELIMITER}", "--multiline-fields=true"]
        parts += [f"--nodes={self.directory / name}" for name in NODE_FILES]
        parts += [f"--relationships={self.directory / name}" for name in RELATIONSHIP_FILES]
        parts.append(self.database)
        return " ".join(shlex.quote(p) for p in parts)


def _array(values: Iterable[str], what: str) -> str:
    values = list(values)
    for v in values:
        if ARRAY_DELIMITER in v:
            raise ExportError(f"{what}: value {v!r} contains the array delimiter {ARRAY_DELIMITER!r}")
    return ARRAY_DELIMITER.join(values)


def _entity_rows(entities: Iterable[Entity], counts: dict[str, int]) -> Iterator[tuple[str, list]]:
    from kg.store.neo4j import entity_row, term_rows, xref_rows
    for e in entities:
        r = entity_row(e)
        yield "entities.csv", [r["id"], "Entity", r["key"], r["type"], r["name"], r["description"],
                               _array(r["sources"], f"entity {e.id} sources"),
                               _array(r["xrefs"], f"entity {e.id} xrefs"), r["syn"]]
        for t in term_rows(e):
            counts["terms.csv"] += 1
            yield "terms.csv", [counts["terms.csv"], "Term", t["w"], t["e"], t["norm"],
                                _array(t["words"], f"entity {e.id} name words"), t["pref"], t["type"], t["nlen"]]
        for x in xref_rows(e):
            counts["xrefs.csv"] += 1
            yield "xrefs.csv", [counts["xrefs.csv"], "Xref", x["curie"], x["key"], x["e"]]


def _fact_row(f: Fact) -> list:
    from kg.store.neo4j import fact_properties
    p = fact_properties(f)
    return [f.subject, f.object, f.predicate, p["id"], p["prov"], p["n"], _array(p["sources"], f"fact {f.id} sources")]


def export_neo4j_csv(store: GraphStore, directory: Path, database: str = "neo4j",
                     progress: bool = False) -> ExportReport:
    """Write the store's graph as neo4j-admin import CSV files into `directory`."""
    from tqdm import tqdm
    directory = Path(directory).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    report = ExportReport(directory, {name: 0 for name in HEADERS}, database)
    handles = {name: open(directory / name, "w", newline="", encoding="utf-8") for name in HEADERS}
    try:
        writers = {name: csv.writer(fh, lineterminator="\n") for name, fh in handles.items()}
        for name, header in HEADERS.items():
            writers[name].writerow(header)
        show = progress and sys.stderr.isatty()
        counts = report.rows
        for name, row in tqdm(_entity_rows(store.iter_entities(), counts), desc="entities", unit=" rows",
                              disable=not show, file=sys.stderr):
            writers[name].writerow(row)
            if name == "entities.csv":
                counts[name] += 1
        for f in tqdm(store.iter_facts(), desc="facts", unit=" facts", disable=not show, file=sys.stderr):
            writers["facts.csv"].writerow(_fact_row(f))
            counts["facts.csv"] += 1
        for s in store.sources():
            counts["sources.csv"] += 1
            d = asdict(s)
            writers["sources.csv"].writerow([counts["sources.csv"], "Source", d["name"], d["title"], d["version"],
                                             d["license"], d["url"], d["attribution"]])
        for key in ("build_id", "built_at", "sources", "curation_version"):
            value = store.get_meta(key)
            if value is not None:
                counts["meta.csv"] += 1
                writers["meta.csv"].writerow([counts["meta.csv"], "Meta", key, value])
    finally:
        for fh in handles.values():
            fh.close()
    return report


# ---- command line ---------------------------------------------------------------------------------

def cmd_export_neo4j(args) -> int:
    from kg.store import open_store
    from kgqa.settings import load_settings
    s = load_settings(getattr(args, "config", None), store=getattr(args, "store", None))
    store = open_store(s.store_url, user=s.neo4j_user, password=s.neo4j_password,
                       database=s.neo4j_database or None)
    try:
        try:
            report = export_neo4j_csv(store, Path(args.dir), database=args.database,
                                      progress=not args.no_progress)
        except ExportError as exc:
            from kgqa.cli import UserError
            raise UserError(f"cannot export: {exc}") from None
    finally:
        store.close()
    if args.json:
        print(json.dumps({"directory": str(report.directory), "rows": report.rows, "command": report.command()}))
        return 0
    for name, n in report.rows.items():
        print(f"  {name:14} {n:>10,} rows")
    print(f"wrote {report.directory}. With Neo4j stopped (or the database absent), import with:\n")
    print(f"  {report.command()}\n")
    print(f"then start Neo4j (CREATE DATABASE {report.database} if it is not the default one) and use it with\n"
          f"  kgqa --store bolt://localhost:7687 stats   (KGQA_NEO4J_USER / KGQA_NEO4J_PASSWORD / "
          f"KGQA_NEO4J_DATABASE=...); indexes are created on first open")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export the graph for other systems")
    sub = p.add_subparsers(dest="export_format", metavar="FORMAT")
    n = sub.add_parser("neo4j", help="CSV files for `neo4j-admin database import full`, and the command to run",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    n.add_argument("dir", help="folder to write the CSV files into (created if missing)")
    n.add_argument("--database", default="neo4j", help="database name in the printed command (default neo4j)")
    n.add_argument("--json", action="store_true", help="print the row counts and the command as JSON")
    n.add_argument("--no-progress", action="store_true", help="no progress bars")
    n.set_defaults(func=cmd_export_neo4j)
