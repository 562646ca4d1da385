"""The build pipeline: run the importers, merge equivalence cliques, write the graph atomically.

For SQLite the graph is written to a new temporary file next to the target and renamed over it with
os.replace() only when complete, so an interrupted build leaves the previous graph usable. For a server
store (bolt://) the merged graph is loaded into the server with `bulk_load` (or upserts).
"""
from __future__ import annotations

import glob
import hashlib
import inspect
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kg.cliques import MergeReport, combine_same_id, merge_graph
from kg.importers import Importer, SourceMissing, get_importers
from kg.model import Entity, Fact, SourceInfo, dumps
from kg.store import StoreError, open_store


class BuildError(ValueError):
    """The build cannot run as asked (unknown source name, nothing to build ...)."""


@dataclass
class SourceReport:
    name: str
    status: str                  # "built" or "skipped"
    message: str = ""
    entities: int = 0            # entity records the importer produced
    facts: int = 0               # fact records the importer produced
    seconds: float = 0.0
    version: str = ""
    license: str = ""
    notes: dict = field(default_factory=dict)   # e.g. {"NOT-qualified annotations": 711}
    optional: bool = False       # an optional source (absent is the normal case)


@dataclass
class BuildReport:
    store_url: str
    sources: list[SourceReport] = field(default_factory=list)
    merge: MergeReport = field(default_factory=MergeReport)
    entities: int = 0
    facts: int = 0
    provenance: int = 0
    build_id: str = ""
    seconds: float = 0.0
    merge_seconds: float = 0.0
    load_seconds: float = 0.0
    db_bytes: int | None = None
    finalize: object = None          # what the finalize hook returned (e.g. the curation replay report)

    def to_json(self) -> dict:
        return {"store_url": self.store_url, "entities": self.entities, "facts": self.facts,
                "provenance": self.provenance, "build_id": self.build_id, "seconds": round(self.seconds, 2),
                "merge_seconds": round(self.merge_seconds, 2), "load_seconds": round(self.load_seconds, 2),
                "db_bytes": self.db_bytes, "merge": self.merge.to_json(),
                "sources": [s.__dict__ for s in self.sources],
                "curation": self.finalize.to_json() if hasattr(self.finalize, "to_json") else None}


def _sqlite_path(url: str) -> Path | None:
    if url.startswith(("bolt://", "bolt+s://", "neo4j://", "neo4j+s://")):
        return None
    return Path(url[len("sqlite:///"):] if url.startswith("sqlite:///") else url).expanduser()


def select_importers(only: list[str] | None) -> list[Importer]:
    available = get_importers()
    if not only:
        return list(available.values())
    unknown = [n for n in only if n not in available]
    if unknown:
        raise BuildError(f"unknown source(s) {unknown}; known: {', '.join(available)}")
    return [available[n] for n in available if n in only]


def _progress(desc: str, enabled: bool):
    from tqdm import tqdm
    return tqdm(desc=desc, unit=" records", disable=not (enabled and sys.stderr.isatty()), file=sys.stderr,
                mininterval=0.5)


def import_sources(importers: list[Importer], sources_dir: Path | None, progress: bool, log=print
                   ) -> tuple[dict[str, Entity], list[Fact], list[SourceInfo], list[SourceReport]]:
    entities: dict[str, Entity] = {}
    facts: list[Fact] = []
    infos: list[SourceInfo] = []
    reports: list[SourceReport] = []
    for imp in importers:
        start = time.perf_counter()
        try:
            files = imp.locate(sources_dir)
        except SourceMissing as exc:
            reports.append(SourceReport(imp.name, "skipped", str(exc), optional=imp.optional))
            if not imp.optional:
                log(f"skipping {exc}")
            continue
        info = imp.info(files)
        rep = SourceReport(imp.name, "built", version=info.version, license=info.license)
        # importers that skip rows on purpose (HPO's NOT annotations) count them into the report's notes
        kwargs = {"skipped": rep.notes} if "skipped" in inspect.signature(imp.records).parameters else {}
        with _progress(imp.name, progress) as bar:
            for record in imp.records(files, **kwargs):
                if isinstance(record, Fact):
                    facts.append(record)
                    rep.facts += 1
                else:
                    prev = entities.get(record.id)
                    entities[record.id] = record if prev is None else combine_same_id(prev, record)
                    rep.entities += 1
                bar.update(1)
        rep.seconds = time.perf_counter() - start
        infos.append(info)
        reports.append(rep)
    return entities, facts, infos, reports


def content_hash(entities: list[Entity], facts: list[Fact]) -> str:
    """A hash of the merged graph's content (entities and facts in id order, with synonyms, xrefs and
    provenance): identical inputs give the same build id, so caches keyed by it survive rebuilds."""
    h = hashlib.sha256()
    for e in entities:
        syns = "|".join(f"{s.text}/{s.kind}/{s.source}" for s in e.synonyms)
        h.update(f"{e.id}\x1f{e.type}\x1f{e.name}\x1f{e.description}\x1f{syns}\x1f{'|'.join(e.xrefs)}"
                 f"\x1f{'|'.join(e.sources)}\n".encode())
    for f in facts:
        provs = "\x1e".join(f"{p.source}\x1f{p.version}\x1f{p.license}\x1f{p.evidence!r}\x1f{p.curator}"
                             for p in f.provenance)
        h.update(f"{f.id}\x1f{f.subject}\x1f{f.predicate}\x1f{f.object}\x1f{provs}\n".encode())
    return h.hexdigest()[:16]


def _remove_stale_temp_files(target: Path) -> None:
    """Delete temporary files left by builds that were killed (their process is gone)."""
    for stale in glob.glob(str(target.parent / f".{target.name}.building-*.sqlite")):
        try:
            os.kill(int(stale.rsplit("-", 1)[1].split(".", 1)[0]), 0)
            continue                      # that build is still running: leave its file alone
        except (ValueError, ProcessLookupError):
            pass
        except PermissionError:
            continue
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.remove(stale + suffix)
            except FileNotFoundError:
                pass


def build_graph(store_url: str, sources_dir: Path | None = None, only: list[str] | None = None,
                progress: bool = True, log=None, store_options: dict | None = None,
                finalize=None) -> BuildReport:
    """Import, merge and write the graph at `store_url`; returns what was done.
    `store_options` (user, password, database) reach open_store for a server store (bolt://, neo4j://).
    `finalize(store)` runs on the new graph before it replaces the old one (the build command uses it to
    re-apply curated changes); what it returns is kept as `report.finalize`."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    started = time.perf_counter()
    sources_dir = Path(sources_dir).expanduser() if sources_dir else None
    if sources_dir is not None and not sources_dir.is_dir():
        raise BuildError(f"sources folder {sources_dir} does not exist")
    report = BuildReport(store_url)
    importers = select_importers(only)
    entities, facts, infos, report.sources = import_sources(importers, sources_dir, progress, log)
    if not infos:
        raise BuildError("no source could be imported: " + "; ".join(s.message for s in report.sources))

    t = time.perf_counter()
    merged, merged_facts, report.merge = merge_graph(entities, facts)
    del entities, facts
    entity_list = [merged[k] for k in sorted(merged)]
    fact_list = [merged_facts[k] for k in sorted(merged_facts)]
    report.build_id = content_hash(entity_list, fact_list)
    report.merge_seconds = time.perf_counter() - t

    t = time.perf_counter()
    path = _sqlite_path(store_url)
    meta = {"build_id": report.build_id, "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sources": dumps([s.name for s in infos]), "merge_report": dumps(report.merge.to_json())}
    if path is not None:
        _write_sqlite(path, entity_list, fact_list, infos, meta, progress, report, finalize)
    else:
        store = open_store(store_url, create=True, **(store_options or {}))
        try:
            if hasattr(store, "bulk_load"):
                result = store.bulk_load(entity_list, fact_list, progress=progress)
                report.provenance = getattr(result, "provenance", 0)
            else:
                with store.transaction():
                    store.upsert_entities(entity_list)
                    store.upsert_facts(fact_list)
            store.set_sources(infos)
            for k, v in meta.items():
                store.set_meta(k, v)
            if finalize is not None:
                report.finalize = finalize(store)
        finally:
            store.close()
    report.entities, report.facts = len(entity_list), len(fact_list)
    report.load_seconds = time.perf_counter() - t
    report.seconds = time.perf_counter() - started
    return report


def _write_sqlite(target: Path, entities: list[Entity], facts: list[Fact], infos: list[SourceInfo],
                  meta: dict[str, str], progress: bool, report: BuildReport, finalize=None) -> None:
    from kg.store.sqlite import SQLiteStore

    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(target)
    tmp = target.parent / f".{target.name}.building-{os.getpid()}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{tmp}{suffix}"):
            os.remove(f"{tmp}{suffix}")
    try:
        store = SQLiteStore(str(tmp), create=True)
        try:
            result = store.bulk_load(entities, facts, progress=progress)
            report.provenance = result.provenance
            store.set_sources(infos)
            for k, v in meta.items():
                store.set_meta(k, v)
            if finalize is not None:
                report.finalize = finalize(store)
            store.stats()            # cache the counts for the first `kgqa stats`
        finally:
            store.close()
        # the new file is complete: swap it in, then drop the old graph's WAL side files
        os.replace(tmp, target)
        for suffix in ("-wal", "-shm"):
            try:
                os.remove(f"{target}{suffix}")
            except FileNotFoundError:
                pass
        report.db_bytes = target.stat().st_size
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(f"{tmp}{suffix}")
            except FileNotFoundError:
                pass
        raise


__all__ = ["build_graph", "BuildReport", "SourceReport", "BuildError", "StoreError"]
