"""CURIE normalisation: every source spells identifiers its own way; the graph uses one spelling.

`normalize_curie("D014839", default_prefix="MESH")` -> "MESH:D014839";
`normalize_curie("UMLS_CUI:C0020538")` -> "UMLS:C0020538"; `normalize_curie("1017", "NCBIGene")` ->
"NCBIGene:1017". Garbage raises `CurieError` naming the value.
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["CurieError", "normalize_curie", "try_normalize_curie", "prefix_of", "PREFIX_ALIASES"]


class CurieError(ValueError):
    """A value that cannot be read as an identifier."""


# Canonical prefixes, and the spellings sources use for them (matched case-insensitively).
PREFIX_ALIASES: dict[str, str] = {
    "MESH": "MESH", "MSH": "MESH", "MESH_ID": "MESH",
    "UMLS": "UMLS", "UMLS_CUI": "UMLS", "CUI": "UMLS",
    "OMIM": "OMIM", "MIM": "OMIM", "OMIMPS": "OMIMPS",
    "ORPHA": "ORPHA", "ORPHANET": "ORPHA", "ORDO": "ORPHA",
    "ICD10CM": "ICD10CM", "ICD10": "ICD10CM", "ICD-10": "ICD10CM", "ICD10WHO": "ICD10CM",
    "ICD9CM": "ICD9CM", "ICD9": "ICD9CM", "ICD-9": "ICD9CM",
    "SNOMEDCT": "SNOMEDCT", "SNOMEDCT_US": "SNOMEDCT", "SNOMED": "SNOMEDCT", "SCTID": "SNOMEDCT",
    "DOID": "DOID", "DO": "DOID",
    "HP": "HP", "HPO": "HP",
    "UBERON": "UBERON", "GO": "GO", "MONDO": "MONDO", "SYMP": "SYMP", "CHEBI": "CHEBI",
    "DRUGBANK": "DRUGBANK", "DB": "DRUGBANK",
    "NCBIGENE": "NCBIGene", "ENTREZ": "NCBIGene", "NCBI_GENE": "NCBIGene", "GENEID": "NCBIGene",
    "NCI": "NCIT", "NCIT": "NCIT", "EFO": "EFO", "DECIPHER": "DECIPHER", "GARD": "GARD",
    "KEGG": "KEGG", "MEDDRA": "MEDDRA", "NDFRT": "NDFRT", "CAS": "CAS", "UNII": "UNII",
    "INCHIKEY": "INCHIKEY", "PC": "PATHWAYCOMMONS", "PATHWAYCOMMONS": "PATHWAYCOMMONS",
    "WP": "WIKIPATHWAYS", "WIKIPATHWAYS": "WIKIPATHWAYS", "DDXPLUS": "DDXPLUS", "HGNC": "HGNC",
    "ENSEMBL": "ENSEMBL", "REACTOME": "REACTOME", "PMID": "PMID", "MP": "MP",
}

# Bare local ids that identify their namespace by shape alone (Hetionet writes them without prefix).
_BARE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"DB\d{5}"), "DRUGBANK"),
    (re.compile(r"[CD]\d{6}(\d{3})?"), "MESH"),       # MeSH descriptors D000001 / supplementary C000001
    (re.compile(r"N\d{10}"), "NDFRT"),
    (re.compile(r"PC\d+_\d+"), "PATHWAYCOMMONS"),
    (re.compile(r"WP\d+(_r\d+)?"), "WIKIPATHWAYS"),
]

_LOCAL_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/>+]*$")
# SNOMEDCT_US_2016_03_01:12345 -> SNOMEDCT:12345 (edition dates dropped)
_SNOMED_EDITION = re.compile(r"^SNOMEDCT(_US)?(_\d{4}_\d{2}_\d{2})?$", re.I)


def _canonical_prefix(raw_prefix: str) -> str:
    p = raw_prefix.strip()
    if _SNOMED_EDITION.match(p):
        return "SNOMEDCT"
    canonical = PREFIX_ALIASES.get(p.upper())
    if canonical is not None:
        return canonical
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.\-]*", p):
        raise CurieError(f"identifier prefix {raw_prefix!r} is not a valid CURIE prefix")
    return p  # an unknown but well-formed prefix is kept as given (e.g. a user's own namespace)


@lru_cache(maxsize=1 << 18)        # importers normalise the same ids over and over
def normalize_curie(raw: str, default_prefix: str | None = None) -> str:
    """The graph's spelling of an identifier.

    `raw` may be a CURIE in any known spelling (`MSH:D1`, `UMLS_CUI:C1`, `ORPHANET:558`), a Hetionet
    bare id (`DB00945`, `D014839`), or a bare local id with `default_prefix` (`1017` + "NCBIGene").
    Raises CurieError when it is empty, has spaces, or carries no recognisable namespace.
    """
    if not isinstance(raw, str):
        raise CurieError(f"identifier {raw!r} is not a string")
    value = raw.strip().strip('"')
    if not value:
        raise CurieError("empty identifier")
    if any(c.isspace() for c in value):
        raise CurieError(f"identifier {raw!r} contains whitespace")
    if value.lower().startswith(("http://", "https://")):
        raise CurieError(f"identifier {raw!r} is a URL, not a CURIE")
    if ":" in value:
        prefix, local = value.split(":", 1)
        if not prefix or not local:
            raise CurieError(f"identifier {raw!r} has an empty prefix or local part")
        canonical = _canonical_prefix(prefix)
        # Some sources repeat the prefix inside the local part ("HP:HP:0001"); tolerate "GO:GO:1".
        if local.upper().startswith(canonical.upper() + ":"):
            local = local.split(":", 1)[1]
    else:
        local = value
        if default_prefix is not None:   # the caller knows the namespace: it wins over shape guesses
            canonical = _canonical_prefix(default_prefix)
        else:
            canonical = next((prefix for pattern, prefix in _BARE_PATTERNS if pattern.fullmatch(value)), "")
            if not canonical:
                raise CurieError(f"identifier {raw!r} has no prefix and no default namespace was given")
    if not _LOCAL_OK.match(local):
        raise CurieError(f"identifier {raw!r}: local part {local!r} has characters an identifier cannot have")
    if canonical == "NCBIGene" and not local.isdigit():
        raise CurieError(f"identifier {raw!r}: an NCBI Gene id is a number")
    if canonical == "UMLS":
        local = local.upper()
    return f"{canonical}:{local}"


def try_normalize_curie(raw: str, default_prefix: str | None = None) -> str | None:
    """Like normalize_curie, but None instead of an error (for optional cross-references)."""
    try:
        return normalize_curie(raw, default_prefix)
    except CurieError:
        return None


def prefix_of(curie: str) -> str:
    return curie.split(":", 1)[0]
