"""CURIE normalisation: every spelling the sources use, and clear errors for garbage."""
import pytest

from kg.ids import CurieError, normalize_curie


@pytest.mark.parametrize("raw,default,expected", [
    ("D014839", None, "MESH:D014839"),          # Hetionet symptom / MeSH descriptor
    ("DB00945", None, "DRUGBANK:DB00945"),      # Hetionet compound
    ("1017", "NCBIGene", "NCBIGene:1017"),      # Entrez gene number
    ("MSH:D006973", None, "MESH:D006973"),
    ("MESH:D006973", None, "MESH:D006973"),
    ("UMLS_CUI:C0020538", None, "UMLS:C0020538"),
    ("UMLS:c0020538", None, "UMLS:C0020538"),
    ("MIM:154700", None, "OMIM:154700"),
    ("OMIM:154700", None, "OMIM:154700"),
    ("ORPHANET:558", None, "ORPHA:558"),
    ("Orphanet:558", None, "ORPHA:558"),
    ("ORDO:558", None, "ORPHA:558"),
    ("ICD10:I10", None, "ICD10CM:I10"),
    ("ICD10CM:I10", None, "ICD10CM:I10"),
    ("SNOMEDCT_US_2016_03_01:155295004", None, "SNOMEDCT:155295004"),
    ("SNOMEDCT_US:24184005", None, "SNOMEDCT:24184005"),
    ("DOID:10763", None, "DOID:10763"),
    ("HP:0000822", None, "HP:0000822"),
    ("UBERON:0000002", None, "UBERON:0000002"),
    ("GO:0008150", None, "GO:0008150"),
    ("N0000000069", None, "NDFRT:N0000000069"),
    ("C0000727", "UMLS", "UMLS:C0000727"),      # the caller's namespace wins over shape guesses
    (' "DOID:4" ', None, "DOID:4"),             # quoted DOreports cells
])
def test_normalize(raw, default, expected):
    assert normalize_curie(raw, default) == expected


@pytest.mark.parametrize("raw,fragment", [
    ("", "empty"),
    ("heart attack", "whitespace"),
    ("12345", "no prefix"),
    ("http://purl.obolibrary.org/obo/HP_0000822", "URL"),
    (":123", "empty prefix"),
    ("HP:", "empty prefix"),
    ("NCBIGene:ABC", "number"),
    ("MESH:D00#1", "characters"),
    ("9bad:1", "prefix"),
])
def test_garbage_is_rejected_with_a_reason(raw, fragment):
    with pytest.raises(CurieError) as err:
        normalize_curie(raw)
    assert fragment in str(err.value)
    assert isinstance(err.value, ValueError)
