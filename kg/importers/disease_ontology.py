"""Disease Ontology, two sources with different terms of use, so two importers:

- `disease_ontology`: doid-2016-08-12.obo (CC BY 3.0): terms, definitions, synonyms (EXACT -> exact,
  others related), cross-references and is_a -> subclass_of.
- `do_reports`: the current DOreports tables (CC0 1.0): term names and parents (HumanDO.tsv), every
  cross-reference (allXREFinDO.tsv), and the disease–symptom table -> DOID presents_symptom SYMP.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from kg.importers.base import Importer, Record, checked, curie, read_tsv, require_files
from kg.importers.obo import iter_terms, read_header
from kg.ids import try_normalize_curie
from kg.model import Entity, Fact, Provenance, SourceInfo, Synonym

OBO_NAME = "disease_ontology"
REPORTS_NAME = "do_reports"
OBO_LICENSE = "CC BY 3.0 (as stated in the 2016 doid.obo; Disease Ontology later moved to CC0)"
REPORTS_LICENSE = "CC0 1.0"
ATTRIBUTION = ("Human Disease Ontology — Schriml LM et al., Nucleic Acids Research 2022; "
               "https://disease-ontology.org")
URL = "https://github.com/DiseaseOntology/HumanDiseaseOntology"
REPORTS_VERSION = "DOreports@9fbefd6"
REPORT_FILES = ["DOreports-HumanDO.tsv", "DOreports-allXREFinDO.tsv", "DOreports-disease-symptom.tsv"]


# ---- doid-2016-08-12.obo --------------------------------------------------------------------------
def locate_obo(sources_dir: Path | None) -> dict[str, Path]:
    folder = sources_dir / "disease-ontology" if sources_dir is not None else None
    return {"obo": require_files(folder, ["doid-2016-08-12.obo"], OBO_NAME)["doid-2016-08-12.obo"]}


def info_obo(files: dict[str, Path]) -> SourceInfo:
    version = read_header(files["obo"]).get("data-version", "").rsplit("/", 1)[-1]
    return SourceInfo(OBO_NAME, "Human Disease Ontology (doid.obo)", version, OBO_LICENSE, URL, ATTRIBUTION)


def records_obo(files: dict[str, Path]) -> Iterator[Record]:
    path = files["obo"]
    meta = info_obo(files)
    prov = Provenance(OBO_NAME, meta.version, meta.license)
    for term in iter_terms(path):
        if term.obsolete:
            continue
        tid = curie(term.id, path, term.line)
        xrefs = [x for x in (try_normalize_curie(r) for r in term.xrefs + term.alt_ids) if x and x != tid]
        syns = [Synonym(t, "exact" if scope == "EXACT" else "related", OBO_NAME) for t, scope, _ in term.synonyms]
        yield checked(path, term.line, lambda: Entity(tid, "Disease", term.name, syns, sorted(set(xrefs)),
                                                      term.definition, [OBO_NAME]))
        for parent in term.is_a:
            yield Fact(tid, "subclass_of", curie(parent, path, term.line), [prov])


# ---- DOreports ------------------------------------------------------------------------------------
def locate_reports(sources_dir: Path | None) -> dict[str, Path]:
    folder = sources_dir / "disease-ontology" if sources_dir is not None else None
    return require_files(folder, REPORT_FILES, REPORTS_NAME)


def info_reports(files: dict[str, Path]) -> SourceInfo:
    return SourceInfo(REPORTS_NAME, "Disease Ontology reports (names, cross-references, disease–symptom)",
                      REPORTS_VERSION, REPORTS_LICENSE, URL, ATTRIBUTION)


def records_reports(files: dict[str, Path]) -> Iterator[Record]:
    prov = Provenance(REPORTS_NAME, REPORTS_VERSION, REPORTS_LICENSE)
    xref_path = files["DOreports-allXREFinDO.tsv"]
    xrefs: dict[str, set[str]] = {}
    for lineno, row in read_tsv(xref_path, ["id", "xref"], quotechar='"'):
        x = try_normalize_curie(row["xref"])
        if x:
            xrefs.setdefault(curie(row["id"], xref_path, lineno), set()).add(x)
    terms_path = files["DOreports-HumanDO.tsv"]
    rows = list(read_tsv(terms_path, ["id", "label", "subClassOf"], quotechar='"'))  # 12k rows, ~0.9 MB
    by_label: dict[str, str | None] = {}
    for lineno, row in rows:
        tid = curie(row["id"], terms_path, lineno)
        by_label[row["label"]] = None if row["label"] in by_label else tid   # None marks an ambiguous label
    for lineno, row in rows:
        tid = curie(row["id"], terms_path, lineno)
        yield checked(terms_path, lineno, lambda: Entity(tid, "Disease", row["label"], [],
                                                          sorted(xrefs.get(tid, ())), "", [REPORTS_NAME]))
        parent = by_label.get(row["subClassOf"])
        if parent:
            yield Fact(tid, "subclass_of", parent, [prov])
    symptoms_path = files["DOreports-disease-symptom.tsv"]
    seen: set[str] = set()
    for lineno, row in read_tsv(symptoms_path, ["disease_id", "disease_label", "symptom_id", "symptom_label"]):
        disease = curie(row["disease_id"], symptoms_path, lineno)
        symptom = curie(row["symptom_id"], symptoms_path, lineno)
        if symptom not in seen:
            seen.add(symptom)
            yield checked(symptoms_path, lineno, lambda: Entity(symptom, "Symptom", row["symptom_label"], [], [],
                                                                 "", [REPORTS_NAME]))
        yield Fact(disease, "presents_symptom", symptom, [prov])


OBO_IMPORTER = Importer(name=OBO_NAME, title="Disease Ontology 2016 (obo)", locate=locate_obo, info=info_obo,
                        records=records_obo)
REPORTS_IMPORTER = Importer(name=REPORTS_NAME, title="Disease Ontology reports", locate=locate_reports,
                            info=info_reports, records=records_reports)
