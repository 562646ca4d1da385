"""KGX nodes/edges TSV (https://github.com/biolink/kgx): bring your own graph.

nodes.tsv columns: id, category (biolink class, `|`-separated when several), name, and optionally
description, synonym (`|`-separated), xref (`|`-separated), provided_by.
edges.tsv columns: subject, predicate (biolink slot), object, and optionally id, publications
(`|`-separated, `PMID:` ids), primary_knowledge_source / provided_by, knowledge_level.
Unknown categories or predicates are rejected with the file and line. Our own type and predicate names
(`Disease`, `treats`) are accepted too. Looked for in `<sources>/kgx/nodes.tsv` and `edges.tsv`.
`write_kgx` writes the same format, so a graph can be exported and imported again.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from kg.importers.base import Importer, ImportFormatError, Record, checked, curie, read_tsv, require_files
from kg.model import ENTITY_TYPES, PREDICATES, Entity, Fact, Provenance, SourceInfo, Synonym

NAME = "kgx"

CATEGORIES: dict[str, str] = {
    "biolink:Disease": "Disease", "biolink:DiseaseOrPhenotypicFeature": "Disease",
    "biolink:PhenotypicFeature": "Phenotype", "biolink:ClinicalFinding": "Finding",
    "biolink:Gene": "Gene", "biolink:Protein": "Gene",
    "biolink:ChemicalEntity": "Compound", "biolink:SmallMolecule": "Compound", "biolink:Drug": "Compound",
    "biolink:MolecularMixture": "Compound", "biolink:ChemicalSubstance": "Compound",
    "biolink:AnatomicalEntity": "Anatomy", "biolink:GrossAnatomicalStructure": "Anatomy",
    "biolink:BiologicalProcess": "BiologicalProcess", "biolink:CellularComponent": "CellularComponent",
    "biolink:MolecularActivity": "MolecularFunction", "biolink:Pathway": "Pathway",
    "biolink:PharmacologicClass": "PharmacologicClass",
}
PREDICATE_MAP: dict[str, str] = {
    "biolink:treats": "treats", "biolink:ameliorates": "palliates", "biolink:ameliorates_condition": "palliates",
    "biolink:associated_with": "associated_with", "biolink:gene_associated_with_condition": "associated_with",
    "biolink:correlated_with": "associated_with", "biolink:has_phenotype": "has_phenotype",
    "biolink:has_symptom": "presents_symptom", "biolink:binds": "binds",
    "biolink:directly_physically_interacts_with": "binds", "biolink:located_in": "localizes_to",
    "biolink:disease_has_location": "localizes_to", "biolink:similar_to": "resembles",
    "biolink:subclass_of": "subclass_of", "biolink:member_of": "member_of_class",
    "biolink:positively_regulates": "upregulates", "biolink:increases_expression_of": "upregulates",
    "biolink:negatively_regulates": "downregulates", "biolink:decreases_expression_of": "downregulates",
    "biolink:expresses": "expresses", "biolink:interacts_with": "interacts_with",
    "biolink:physically_interacts_with": "interacts_with", "biolink:participates_in": "participates_in",
    "biolink:causes": "causes",
}
# what write_kgx writes: one biolink name per predicate and type
PREDICATE_TO_BIOLINK = {
    "treats": "biolink:treats", "palliates": "biolink:ameliorates_condition",
    "associated_with": "biolink:associated_with", "has_phenotype": "biolink:has_phenotype",
    "presents_symptom": "biolink:has_symptom", "binds": "biolink:directly_physically_interacts_with",
    "localizes_to": "biolink:disease_has_location", "resembles": "biolink:similar_to",
    "subclass_of": "biolink:subclass_of", "member_of_class": "biolink:member_of",
    "upregulates": "biolink:increases_expression_of", "downregulates": "biolink:decreases_expression_of",
    "expresses": "biolink:expresses", "interacts_with": "biolink:interacts_with",
    "participates_in": "biolink:participates_in", "causes": "biolink:causes",
}
TYPE_TO_BIOLINK = {
    "Disease": "biolink:Disease", "Phenotype": "biolink:PhenotypicFeature", "Symptom": "biolink:PhenotypicFeature",
    "Finding": "biolink:ClinicalFinding", "Compound": "biolink:ChemicalEntity", "Gene": "biolink:Gene",
    "Anatomy": "biolink:AnatomicalEntity", "PharmacologicClass": "biolink:PharmacologicClass",
    "SideEffect": "biolink:PhenotypicFeature", "BiologicalProcess": "biolink:BiologicalProcess",
    "CellularComponent": "biolink:CellularComponent", "MolecularFunction": "biolink:MolecularActivity",
    "Pathway": "biolink:Pathway",
}


def entity_type(categories: str, path: Path, lineno: int) -> str:
    for cat in (c.strip() for c in categories.split("|") if c.strip()):
        if cat in CATEGORIES:
            return CATEGORIES[cat]
        if cat in ENTITY_TYPES:
            return cat
        # our exporter writes the exact type as a second category: "biolink:PhenotypicFeature|Symptom"
    known = ", ".join(sorted(CATEGORIES))
    raise ImportFormatError(path, lineno, f"unknown category {categories!r} (known: {known}, or one of "
                                          f"{', '.join(ENTITY_TYPES)})")


def _exact_type(categories: str, path: Path, lineno: int) -> str:
    ours = [c for c in categories.split("|") if c in ENTITY_TYPES]
    return ours[0] if ours else entity_type(categories, path, lineno)


def predicate(raw: str, path: Path, lineno: int) -> str:
    raw = raw.strip()
    if raw in PREDICATE_MAP:
        return PREDICATE_MAP[raw]
    if raw in PREDICATES:
        return raw
    raise ImportFormatError(path, lineno, f"unknown predicate {raw!r}: use one of the biolink predicates "
                                          f"{sorted(PREDICATE_MAP)} or {sorted(PREDICATES)}")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split("|") if v.strip()]


def read_kgx(nodes: Path, edges: Path, source: str = NAME, version: str = "", license: str = ""
             ) -> Iterator[Record]:
    for lineno, row in read_tsv(nodes, ["id", "category", "name"]):
        eid = curie(row["id"], nodes, lineno)
        etype = _exact_type(row["category"], nodes, lineno)
        if not row["name"].strip():
            raise ImportFormatError(nodes, lineno, f"node {eid} has no name")
        synonyms = []
        for text in _split(row.get("synonym")):
            kind, sep, rest = text.partition("::")     # our writer tags kinds as "layperson::text"
            synonyms.append(Synonym(rest, kind, source) if sep and kind in ("exact", "related", "layperson", "brand")
                            else Synonym(text, "exact", source))
        xrefs = [curie(x, nodes, lineno) for x in _split(row.get("xref"))]
        yield checked(nodes, lineno, lambda: Entity(eid, etype, row["name"].strip(), synonyms, xrefs,
                                                    row.get("description", "") or "", [source]))
    for lineno, row in read_tsv(edges, ["subject", "predicate", "object"]):
        pred = predicate(row["predicate"], edges, lineno)
        evidence: dict = {}
        pmids = [p.split(":", 1)[1] for p in _split(row.get("publications")) if p.upper().startswith("PMID:")]
        if pmids:
            evidence["pmids"] = pmids
        ks = _split(row.get("primary_knowledge_source")) or _split(row.get("provided_by"))
        if ks:
            evidence["sources"] = ks
        yield Fact(curie(row["subject"], edges, lineno), pred, curie(row["object"], edges, lineno),
                   [Provenance(source, version, license, evidence)])


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ").replace("|", "/")


def write_kgx(entities: Iterable[Entity], facts: Iterable[Fact], nodes: Path, edges: Path) -> tuple[int, int]:
    """Write entities and facts as KGX TSV; returns (nodes written, edges written)."""
    n = m = 0
    with open(nodes, "w", encoding="utf-8") as fh:
        fh.write("id\tcategory\tname\tdescription\tsynonym\txref\tprovided_by\n")
        for e in entities:
            syns = "|".join(f"{s.kind}::{_clean(s.text)}" for s in e.synonyms)
            fh.write("\t".join([e.id, f"{TYPE_TO_BIOLINK[e.type]}|{e.type}", _clean(e.name), _clean(e.description),
                                syns, "|".join(e.xrefs), "|".join(e.sources)]) + "\n")
            n += 1
    with open(edges, "w", encoding="utf-8") as fh:
        fh.write("id\tsubject\tpredicate\tobject\tpublications\tprimary_knowledge_source\n")
        for f in facts:
            pmids = sorted({p for prov in f.provenance for p in prov.evidence.get("pmids", [])})
            fh.write("\t".join([f.id, f.subject, PREDICATE_TO_BIOLINK[f.predicate], f.object,
                                "|".join(f"PMID:{p}" for p in pmids), "|".join(f.sources)]) + "\n")
            m += 1
    return n, m


def locate(sources_dir: Path | None) -> dict[str, Path]:
    folder = sources_dir / "kgx" if sources_dir is not None else None
    files = require_files(folder, ["nodes.tsv", "edges.tsv"], NAME)
    return {"nodes": files["nodes.tsv"], "edges": files["edges.tsv"]}


def info(files: dict[str, Path]) -> SourceInfo:
    return SourceInfo(NAME, f"KGX graph from {files['nodes'].parent}", "local", "as given by the graph's provider",
                      str(files["nodes"].parent), "")


def records(files: dict[str, Path]) -> Iterator[Record]:
    return read_kgx(files["nodes"], files["edges"], NAME, "local", "as given by the graph's provider")


IMPORTER = Importer(name=NAME, title="KGX nodes/edges TSV", locate=locate, info=info, records=records,
                    optional=True)
