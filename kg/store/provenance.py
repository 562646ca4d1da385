"""A fact's provenance records as the stores keep them: one record per (source, curator), and the compact
JSON list the SQLite store writes into each fact's row.

The JSON of a record is Provenance.to_json() with sorted keys and no spaces: "evidence", "license",
"source", "version", and "change_id", "created_at", "curator" only for curated records. `RecordEncoder`
writes the same text faster for the bulk load's common case (one imported record).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Iterable

from kg.model import Provenance, dumps


def clean_record(p: Provenance) -> Provenance:
    """The record as a store gives it back: empty strings, not None; no curator is None."""
    return Provenance(source=p.source, version=p.version or "", license=p.license or "",
                      evidence=dict(p.evidence or {}), curator=p.curator or None,
                      created_at=p.created_at, change_id=p.change_id)


def merge_records(old: list[Provenance], new: Iterable[Provenance]) -> list[Provenance]:
    """One record per (source, curator): a new record for a pair already there replaces it in place;
    other records are appended in order."""
    out = list(old)
    where = {(p.source, p.curator or ""): i for i, p in enumerate(out)}
    for p in new:
        p = clean_record(p)
        key = (p.source, p.curator or "")
        if key in where:
            out[where[key]] = p
        else:
            where[key] = len(out)
            out.append(p)
    return out


def encode_records(records: Iterable[Provenance]) -> str:
    return dumps([clean_record(p).to_json() for p in records])


def decode_records(text: str) -> list[Provenance]:
    return [Provenance.from_dict(d) for d in json.loads(text)]


def sources_of(text: str) -> list[str]:
    """Source names of an encoded list, each once, in order."""
    return list(dict.fromkeys(d["source"] for d in json.loads(text)))


class RecordEncoder:
    """encode_records for many facts: a fact with one uncurated record is its cached text for (source,
    version, license) around its evidence's JSON, without building a dict per fact."""

    def __init__(self) -> None:
        self._suffix: dict[tuple[str, str, str], str] = {}
        self.records = 0                          # records encoded so far
        self.fact_sources: Counter = Counter()    # facts encoded with at least one record of each source

    def __call__(self, records: list[Provenance]) -> str:
        if len(records) != 1:
            merged = merge_records([], records)
            self.records += len(merged)
            self.fact_sources.update({p.source for p in merged})
            return encode_records(merged)
        self.records += 1
        p = records[0]
        self.fact_sources[p.source] += 1
        if p.curator or p.created_at or p.change_id:
            return encode_records(records)
        key = (p.source, p.version or "", p.license or "")
        suffix = self._suffix.get(key)
        if suffix is None:
            # "evidence" sorts before "license", "source", "version": the rest of the object follows it
            rest = dumps({"license": key[2], "source": key[0], "version": key[1]})
            suffix = self._suffix[key] = "," + rest[1:] + "]"
        ev = p.evidence
        return '[{"evidence":' + (dumps(ev) if ev else "{}") + suffix
