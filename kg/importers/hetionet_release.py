"""The full Hetionet v1.0 release formats, for users who have them (they are Git LFS files upstream):

- `hetionet-v1.0-edges.sif.gz` (columns source, metaedge, target; ids like `Gene::9021`) together with
  `hetionet-v1.0-nodes.tsv`, streamed line by line;
- the JSON export `hetionet-v1.0.json` (optionally .bz2 / .gz): nodes with kind, identifier, name, data;
  edges with source_id / target_id pairs, kind and data. The standard library has no streaming JSON
  parser, so this one is loaded whole (about 1 GB of memory for the full release).

Looked for in `<sources>/hetionet/`. Metaedges map to predicates as in `kg.importers.hetionet.METAEDGES`.
"""
from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import Iterator

from kg.importers.base import Importer, ImportFormatError, Record, SourceMissing, checked, open_text
from kg.importers.hetionet import ATTRIBUTION, LICENSE, METAEDGES, URL, VERSION, iter_nodes, node_curie
from kg.model import Entity, Fact, Provenance, SourceInfo

NAME = "hetionet_release"

# (source kind, edge kind, target kind) -> metaedge abbreviation, for the JSON export
KIND_TRIPLES: dict[tuple[str, str, str], str] = {
    ("Anatomy", "downregulates", "Gene"): "AdG", ("Anatomy", "expresses", "Gene"): "AeG",
    ("Anatomy", "upregulates", "Gene"): "AuG", ("Compound", "binds", "Gene"): "CbG",
    ("Compound", "causes", "Side Effect"): "CcSE", ("Compound", "downregulates", "Gene"): "CdG",
    ("Compound", "palliates", "Disease"): "CpD", ("Compound", "resembles", "Compound"): "CrC",
    ("Compound", "treats", "Disease"): "CtD", ("Compound", "upregulates", "Gene"): "CuG",
    ("Disease", "associates", "Gene"): "DaG", ("Disease", "downregulates", "Gene"): "DdG",
    ("Disease", "localizes", "Anatomy"): "DlA", ("Disease", "presents", "Symptom"): "DpS",
    ("Disease", "resembles", "Disease"): "DrD", ("Disease", "upregulates", "Gene"): "DuG",
    ("Gene", "covaries", "Gene"): "GcG", ("Gene", "interacts", "Gene"): "GiG",
    ("Gene", "participates", "Biological Process"): "GpBP", ("Gene", "participates", "Cellular Component"): "GpCC",
    ("Gene", "participates", "Molecular Function"): "GpMF", ("Gene", "participates", "Pathway"): "GpPW",
    ("Gene", "regulates", "Gene"): "Gr>G", ("Pharmacologic Class", "includes", "Compound"): "PCiC",
}
JSON_NAMES = ["hetionet-v1.0.json", "hetionet-v1.0.json.bz2", "hetionet-v1.0.json.gz"]


def locate(sources_dir: Path | None) -> dict[str, Path]:
    if sources_dir is None:
        raise SourceMissing(f"{NAME}: no sources folder given")
    folder = sources_dir / "hetionet"
    sif, nodes = folder / "hetionet-v1.0-edges.sif.gz", folder / "hetionet-v1.0-nodes.tsv"
    if sif.is_file() and nodes.is_file():
        return {"sif": sif, "nodes": nodes}
    for name in JSON_NAMES:
        if (folder / name).is_file():
            return {"json": folder / name}
    raise SourceMissing(f"{NAME}: neither {sif} (+ nodes TSV) nor {folder}/hetionet-v1.0.json[.bz2] is present "
                        "(the full release is optional; the disease-centred subset is imported as 'hetionet')")


def info(files: dict[str, Path]) -> SourceInfo:
    return SourceInfo(NAME, "Hetionet v1.0 full release", VERSION, LICENSE, URL, ATTRIBUTION)


def _split_node(raw: str, path: Path, lineno: int) -> str:
    kind, sep, identifier = raw.partition("::")
    if not sep:
        raise ImportFormatError(path, lineno, f"node {raw!r} is not '<kind>::<identifier>'")
    return node_curie(kind, identifier, path, lineno)[0]


def _fact(abbrev: str, subject: str, obj: str, evidence: dict, path: Path, lineno: int) -> Fact:
    if abbrev not in METAEDGES:
        raise ImportFormatError(path, lineno, f"unknown Hetionet metaedge {abbrev!r}")
    predicate, swap = METAEDGES[abbrev]
    if swap:
        subject, obj = obj, subject
    evidence = {"hetionet_metaedge": abbrev, **evidence}
    return Fact(subject, predicate, obj, [Provenance(NAME, VERSION, LICENSE, evidence)])


def records_sif(files: dict[str, Path]) -> Iterator[Record]:
    for lineno, cid, etype, name in iter_nodes(files["nodes"]):
        yield checked(files["nodes"], lineno, lambda: Entity(cid, etype, name, [], [], "", [NAME]))
    path = files["sif"]
    with open_text(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if header != ["source", "metaedge", "target"]:
            raise ImportFormatError(path, 1, f"expected header source/metaedge/target, found {header}")
        for lineno, line in enumerate(fh, 2):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                raise ImportFormatError(path, lineno, f"expected 3 tab-separated fields, found {len(parts)}")
            yield _fact(parts[1], _split_node(parts[0], path, lineno), _split_node(parts[2], path, lineno), {},
                        path, lineno)


def _open_json(path: Path) -> dict:
    opener = bz2.open if path.suffix == ".bz2" else gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(path, exc.lineno, f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or "nodes" not in data or "edges" not in data:
        raise ImportFormatError(path, None, "expected a Hetionet JSON object with 'nodes' and 'edges'")
    return data


def records_json(files: dict[str, Path]) -> Iterator[Record]:
    path = files["json"]
    data = _open_json(path)
    for i, node in enumerate(data["nodes"]):
        try:
            cid, etype = node_curie(node["kind"], str(node["identifier"]), path, None)
            name = node["name"]
        except (KeyError, TypeError) as exc:
            raise ImportFormatError(path, None, f"node #{i + 1}: missing field {exc}") from None
        desc = (node.get("data") or {}).get("description", "") or ""
        yield checked(path, None, lambda: Entity(cid, etype, name, [], [], desc, [NAME]))
    for i, edge in enumerate(data["edges"]):
        try:
            (skind, sid), (tkind, tid) = edge["source_id"], edge["target_id"]
            abbrev = KIND_TRIPLES.get((skind, edge["kind"], tkind))
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportFormatError(path, None, f"edge #{i + 1}: malformed ({exc})") from None
        if abbrev is None:
            raise ImportFormatError(path, None, f"edge #{i + 1}: unknown edge kind {skind} {edge['kind']} {tkind}")
        ed = edge.get("data") or {}
        evidence = {k: ed[k] for k in ("sources", "pubmed_ids", "unbiased", "affinity_nM") if k in ed}
        if "pubmed_ids" in evidence:
            evidence["pmids"] = [str(p) for p in evidence.pop("pubmed_ids")]
        yield _fact(abbrev, node_curie(skind, str(sid), path, None)[0], node_curie(tkind, str(tid), path, None)[0],
                    evidence, path, None)


def records(files: dict[str, Path]) -> Iterator[Record]:
    return records_sif(files) if "sif" in files else records_json(files)


IMPORTER = Importer(name=NAME, title="Hetionet v1.0 full release", locate=locate, info=info, records=records,
                    optional=True)
