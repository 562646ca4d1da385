"""Hetionet v1.0 from `<sources>/hetionet/`: all 47,031 nodes, the disease-centred edges (CtD, CpD, DaG,
DuG, DdG, DpS, DlA, DrD), compound–gene binding and pharmacologic classes rebuilt from the files Hetionet
was integrated from, filtered the way Hetionet filtered them (only its own compounds, genes and classes:
11,571 CbG and 1,029 PCiC edges). PharmacotherapyDB indications add curation evidence to CtD/CpD;
DaG rows add their upstream databases; CbG rows add PubMed ids, affinity and the per-row license.
MeSH symptom headings (mesh-symptoms.tsv) give symptoms their natural word order as a synonym
("Angina, Unstable" -> "Unstable Angina").
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from kg.importers.base import (Importer, ImportFormatError, Record, checked, curie, read_tsv,
                               require_files)
from kg.model import Entity, Fact, Provenance, SourceInfo, Synonym

NAME = "hetionet"
VERSION = "v1.0"
LICENSE = ("CC0 1.0 (Hetionet's own content); upstream terms apply per node and edge source: DrugBank "
           "CC BY-NC 4.0, Disease Ontology and Uberon CC BY 3.0, GO and DISEASES CC BY 4.0, DisGeNET ODbL, "
           "MeSH public domain, DrugCentral CC BY 4.0, SIDER/UMLS CC BY-NC-SA 4.0")
ATTRIBUTION = ("Hetionet v1.0 — Himmelstein DS et al., 'Systematic integration of biomedical knowledge "
               "prioritizes drugs for repurposing', eLife 2017. https://het.io")
URL = "https://github.com/hetio/hetionet"

# Hetionet node kind -> (entity type, CURIE prefix used for its bare identifiers)
NODE_KINDS: dict[str, tuple[str, str | None]] = {
    "Anatomy": ("Anatomy", None),
    "Biological Process": ("BiologicalProcess", None),
    "Cellular Component": ("CellularComponent", None),
    "Molecular Function": ("MolecularFunction", None),
    "Compound": ("Compound", "DRUGBANK"),
    "Disease": ("Disease", None),
    "Gene": ("Gene", "NCBIGene"),
    "Pathway": ("Pathway", None),
    "Pharmacologic Class": ("PharmacologicClass", "NDFRT"),
    "Side Effect": ("SideEffect", "UMLS"),
    "Symptom": ("Symptom", "MESH"),
}

# metaedge abbreviation -> (predicate, swap subject/object). Covers every Hetionet v1.0 metaedge so the
# release importer can use it too. Hetionet's "covaries" and "regulates" have no exact predicate in our
# vocabulary: they become associated_with / interacts_with with the Hetionet kind kept in evidence.
METAEDGES: dict[str, tuple[str, bool]] = {
    "CtD": ("treats", False), "CpD": ("palliates", False), "DaG": ("associated_with", False),
    "DuG": ("upregulates", False), "DdG": ("downregulates", False), "DpS": ("presents_symptom", False),
    "DlA": ("localizes_to", False), "DrD": ("resembles", False), "CbG": ("binds", False),
    "PCiC": ("member_of_class", True), "CcSE": ("causes", False), "CrC": ("resembles", False),
    "CuG": ("upregulates", False), "CdG": ("downregulates", False), "AeG": ("expresses", False),
    "AuG": ("upregulates", False), "AdG": ("downregulates", False), "GiG": ("interacts_with", False),
    "GcG": ("associated_with", False), "Gr>G": ("interacts_with", False),
    "GpBP": ("participates_in", False), "GpCC": ("participates_in", False),
    "GpMF": ("participates_in", False), "GpPW": ("participates_in", False),
}

FILES = ["hetionet-v1.0-nodes.tsv", "hetionet-v1.0-disease-edges.csv", "integrate-DaG-association.tsv",
         "integrate-CbG-binding.tsv", "pharmacotherapydb-indications.tsv", "drugcentral-classes.tsv",
         "drugcentral-drug-to-class.tsv", "mesh-symptoms.tsv"]


def node_curie(kind: str, identifier: str, path: Path, lineno: int) -> tuple[str, str]:
    """(CURIE, entity type) of a Hetionet node given its kind and bare identifier."""
    if kind not in NODE_KINDS:
        raise ImportFormatError(path, lineno, f"unknown Hetionet node kind {kind!r}")
    etype, prefix = NODE_KINDS[kind]
    return curie(identifier, path, lineno, prefix), etype


def locate(sources_dir: Path | None) -> dict[str, Path]:
    folder = sources_dir / "hetionet" if sources_dir is not None else None
    return require_files(folder, FILES, NAME)


def info(files: dict[str, Path]) -> SourceInfo:
    return SourceInfo(NAME, "Hetionet v1.0 (nodes, disease-centred edges, CbG, PCiC)", VERSION, LICENSE, URL,
                      ATTRIBUTION)


def iter_nodes(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """(line, CURIE, entity type, name) for each row of hetionet-v1.0-nodes.tsv."""
    for lineno, row in read_tsv(path, ["id", "name", "kind"]):
        kind, sep, identifier = row["id"].partition("::")
        if not sep or kind != row["kind"]:
            raise ImportFormatError(path, lineno, f"node id {row['id']!r} is not '<kind>::<identifier>'")
        cid, etype = node_curie(kind, identifier, path, lineno)
        yield lineno, cid, etype, row["name"]


def uninvert(name: str) -> str | None:
    """MeSH's inverted headings read naturally: "Angina, Unstable" -> "Unstable Angina"."""
    head, sep, rest = name.partition(", ")
    if not sep or ", " in rest:
        return None
    return f"{rest} {head}"


def _mesh_symptoms(path: Path) -> dict[str, tuple[str, bool]]:
    """MESH id -> (MeSH heading, whether the symptom is in the HSDN symptom–disease network)."""
    out = {}
    for lineno, row in read_tsv(path, ["mesh_id", "mesh_name", "in_hsdn"]):
        out[curie(row["mesh_id"], path, lineno, "MESH")] = (row["mesh_name"], row["in_hsdn"] == "1")
    return out


def records(files: dict[str, Path]) -> Iterator[Record]:
    prov = Provenance(NAME, VERSION, LICENSE)
    symptoms = _mesh_symptoms(files["mesh-symptoms.tsv"])
    nodes_by_kind: dict[str, set[str]] = {}
    for lineno, cid, etype, name in iter_nodes(files["hetionet-v1.0-nodes.tsv"]):
        nodes_by_kind.setdefault(etype, set()).add(cid)
        synonyms, description = [], ""
        if etype == "Symptom":
            heading, in_hsdn = symptoms.get(cid, (name, False))
            for text in {heading, uninvert(heading) or heading, uninvert(name) or name} - {name}:
                synonyms.append(Synonym(text, "exact", NAME))
            description = "MeSH sign or symptom" + (" (in the HSDN symptom–disease network)" if in_hsdn else "")
        yield checked(files["hetionet-v1.0-nodes.tsv"], lineno,
                      lambda: Entity(cid, etype, name, sorted(synonyms, key=lambda s: s.text), [], description,
                                     [NAME]))
    compounds, genes = nodes_by_kind.get("Compound", set()), nodes_by_kind.get("Gene", set())
    classes = hetionet_classes(files["drugcentral-classes.tsv"])
    yield from _disease_edges(files, prov)
    yield from _binding(files["integrate-CbG-binding.tsv"], compounds, genes)
    yield from _classes(files["drugcentral-drug-to-class.tsv"], compounds, classes, prov)


def _evidence_tables(files: dict[str, Path]) -> tuple[dict, dict]:
    indications: dict[tuple[str, str], dict] = {}
    path = files["pharmacotherapydb-indications.tsv"]
    for lineno, row in read_tsv(path, ["doid_id", "drugbank_id", "category", "n_curators", "n_resources"]):
        key = (curie(row["drugbank_id"], path, lineno), curie(row["doid_id"], path, lineno))
        indications[key] = {"pharmacotherapydb_category": row["category"],
                            "n_curators": int(row["n_curators"] or 0), "n_resources": int(row["n_resources"] or 0)}
    associations: dict[tuple[str, str], dict] = {}
    path = files["integrate-DaG-association.tsv"]
    for lineno, row in read_tsv(path, ["doid_id", "entrez_gene_id", "sources", "license"]):
        key = (curie(row["doid_id"], path, lineno), curie(row["entrez_gene_id"], path, lineno, "NCBIGene"))
        ev: dict = {"sources": [s for s in row["sources"].split("|") if s]}
        if row["license"]:
            ev["upstream_license"] = row["license"]
        associations[key] = ev
    return indications, associations


def _disease_edges(files: dict[str, Path], prov: Provenance) -> Iterator[Fact]:
    indications, associations = _evidence_tables(files)
    path = files["hetionet-v1.0-disease-edges.csv"]
    for lineno, row in read_tsv(path, ["source", "target", "type"], delimiter=",", quotechar='"'):
        kind = row["type"].rsplit("_", 1)[-1]
        if kind not in METAEDGES:
            raise ImportFormatError(path, lineno, f"unknown edge type {row['type']!r}")
        predicate, swap = METAEDGES[kind]
        gene_side = "NCBIGene" if kind in ("DaG", "DuG", "DdG") else None
        subject = curie(row["source"], path, lineno)
        obj = curie(row["target"], path, lineno, gene_side)
        if swap:
            subject, obj = obj, subject
        evidence: dict = {"hetionet_metaedge": kind}
        if kind in ("CtD", "CpD"):
            evidence.update(indications.get((subject, obj), {}))
        elif kind == "DaG":
            evidence.update(associations.get((subject, obj), {}))
        yield Fact(subject, predicate, obj, [Provenance(prov.source, prov.version, prov.license, evidence)])


def _binding(path: Path, compounds: set[str], genes: set[str]) -> Iterator[Fact]:
    """CbG rows whose compound and gene are Hetionet nodes (what Hetionet kept)."""
    for lineno, row in read_tsv(path, ["drugbank_id", "entrez_gene_id", "sources", "pubmed_ids", "actions",
                                       "affinity_nM", "license"]):
        compound = curie(row["drugbank_id"], path, lineno, "DRUGBANK")
        gene = curie(row["entrez_gene_id"], path, lineno, "NCBIGene")
        if compound not in compounds or gene not in genes:
            continue
        evidence: dict = {"hetionet_metaedge": "CbG", "sources": [s for s in row["sources"].split("|") if s]}
        if row["pubmed_ids"]:
            evidence["pmids"] = [p for p in row["pubmed_ids"].split("|") if p]
        if row["actions"]:
            evidence["actions"] = [a for a in row["actions"].split("|") if a]
        if row["affinity_nM"]:
            try:
                evidence["affinity_nM"] = float(row["affinity_nM"])
            except ValueError:
                raise ImportFormatError(path, lineno, f"affinity_nM {row['affinity_nM']!r} is not a number") from None
        if row["license"]:
            evidence["upstream_license"] = row["license"]
        yield Fact(compound, "binds", gene, [Provenance(NAME, VERSION, LICENSE, evidence)])


# Hetionet kept DrugCentral's FDA classes of these three types (integrate.ipynb): 345 classes
CLASS_TYPES = ("Chemical/Ingredient", "Mechanism of Action", "Physiologic Effect")


def hetionet_classes(path: Path) -> set[str]:
    """The pharmacologic classes Hetionet used, by its rule: FDA source and one of CLASS_TYPES."""
    return {curie(row["class_id"], path, lineno, "NDFRT")
            for lineno, row in read_tsv(path, ["class_id", "class_source", "class_type"])
            if row["class_source"] == "FDA" and row["class_type"] in CLASS_TYPES}


def _classes(path: Path, compounds: set[str], classes: set[str], prov: Provenance) -> Iterator[Fact]:
    """Compound member_of_class rows for Hetionet's classes (FDA, three class types) and its compounds."""
    seen: set[tuple[str, str]] = set()
    for lineno, row in read_tsv(path, ["drugbank_id", "class_id"]):
        compound = curie(row["drugbank_id"], path, lineno, "DRUGBANK")
        klass = curie(row["class_id"], path, lineno, "NDFRT")
        if compound not in compounds or klass not in classes or (compound, klass) in seen:
            continue
        seen.add((compound, klass))
        yield Fact(compound, "member_of_class", klass,
                   [Provenance(prov.source, prov.version, prov.license,
                               {"hetionet_metaedge": "PCiC", "sources": ["DrugCentral"]})])


IMPORTER = Importer(name=NAME, title="Hetionet v1.0", locate=locate, info=info, records=records)
