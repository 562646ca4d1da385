"""DrugBank's open vocabulary (CC0): compound names, synonyms, CAS / UNII / InChIKey cross-references.

The file is semicolon-separated with columns DrugBank ID;Accession Numbers;Common name;CAS;UNII;
Synonyms;Standard InChI Key; synonyms are separated by " | ".
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from kg.importers.base import Importer, ImportFormatError, Record, checked, curie, read_tsv, require_files
from kg.model import Entity, SourceInfo, Synonym

NAME = "drugbank"
LICENSE = "CC0 1.0 (DrugBank open vocabulary)"
ATTRIBUTION = "DrugBank open data vocabulary — Knox C et al., Nucleic Acids Research 2024; https://go.drugbank.com"
URL = "https://go.drugbank.com/releases/latest#open-data"
FILE = "drugbank-vocabulary.csv"


def locate(sources_dir: Path | None) -> dict[str, Path]:
    folder = sources_dir / "drugbank" if sources_dir is not None else None
    return {"vocabulary": require_files(folder, [FILE], NAME)[FILE]}


def info(files: dict[str, Path]) -> SourceInfo:
    return SourceInfo(NAME, "DrugBank open vocabulary", "open vocabulary (copy @a376f36)", LICENSE, URL, ATTRIBUTION)


def records(files: dict[str, Path]) -> Iterator[Record]:
    path = files["vocabulary"]
    for lineno, row in read_tsv(path, ["DrugBank ID", "Common name", "CAS", "UNII", "Synonyms",
                                       "Standard InChI Key"], delimiter=";", quotechar='"'):
        drug = curie(row["DrugBank ID"], path, lineno, "DRUGBANK")
        if not drug.startswith("DRUGBANK:DB"):
            raise ImportFormatError(path, lineno, f"{row['DrugBank ID']!r} is not a DrugBank id (DB#####)")
        name = row["Common name"].strip()
        if not name:
            raise ImportFormatError(path, lineno, f"{drug} has no common name")
        synonyms = []
        seen = {name.lower()}
        for text in row["Synonyms"].split(" | "):
            text = text.strip()
            if text and text.lower() not in seen:
                seen.add(text.lower())
                synonyms.append(Synonym(text, "exact", NAME))
        xrefs = [f"{p}:{row[c].strip()}" for p, c in (("CAS", "CAS"), ("UNII", "UNII"),
                                                        ("INCHIKEY", "Standard InChI Key")) if row[c].strip()]
        yield checked(path, lineno, lambda: Entity(drug, "Compound", name, synonyms, xrefs, "", [NAME]))


IMPORTER = Importer(name=NAME, title="DrugBank open vocabulary", locate=locate, info=info, records=records)
