"""Every importer rejects malformed input with the file and the line (files written in tmp_path)."""
from __future__ import annotations

import gzip
import json

import pytest

from kg.importers import ImportFormatError, ddxplus, disease_ontology, drugbank, hetionet, hetionet_release, hpo, kgx


def _drain(records):
    for _ in records:
        pass


def _expect(path, line, fragment, records):
    with pytest.raises(ImportFormatError) as err:
        _drain(records)
    assert err.value.file == str(path)
    assert err.value.line == line
    assert fragment in str(err.value)
    assert f"{path}" in str(err.value) and (line is None or f"line {line}" in str(err.value))


OBO_HEAD = "format-version: 1.2\ndata-version: hp/releases/2025-01-16\n\n"


def test_hpo_obo_bad_synonym(tmp_path):
    p = tmp_path / "hp.obo"
    p.write_text(OBO_HEAD + "[Term]\nid: HP:0000001\nname: All\n\n[Term]\nid: HP:0000002\nname: X\n"
                 "synonym: Abnormal height EXACT []\n")
    _expect(p, 11, "synonym", hpo.records({"obo": p}))


def test_hpo_obo_term_without_id(tmp_path):
    p = tmp_path / "hp.obo"
    p.write_text(OBO_HEAD + "[Term]\nname: nameless\n")
    _expect(p, 4, "without an id", hpo.records({"obo": p}))


def test_hpoa_short_row_and_bad_id(tmp_path):
    obo = tmp_path / "hp.obo"
    obo.write_text(OBO_HEAD + "[Term]\nid: HP:0000001\nname: All\n")
    header = "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\tmodifier\taspect\tbiocuration\n"
    good = "OMIM:1\tD one\t\tHP:0000001\tPMID:1\tPCS\t\t1/2\t\t\tP\tx\n"
    p = tmp_path / "phenotype.hpoa"
    p.write_text("#version: 2025-01-16\n" + header + good + "OMIM:2\tD two\tHP:0000001\n")
    _expect(p, 4, "expected 12 fields", hpo.records({"obo": obo, "hpoa": p}))
    p.write_text("#version: 2025-01-16\n" + header + good + good.replace("HP:0000001", "OMIM:7"))
    _expect(p, 4, "not an HP term", hpo.records({"obo": obo, "hpoa": p}))


def test_hpoa_gzipped_missing_column(tmp_path):
    obo = tmp_path / "hp.obo"
    obo.write_text(OBO_HEAD + "[Term]\nid: HP:0000001\nname: All\n")
    p = tmp_path / "phenotype.hpoa.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("#c\ndatabase_id\tdisease_name\n")
    _expect(p, 2, "header lacks", hpo.records({"obo": obo, "hpoa": p}))


def test_hetionet_bad_node_id(tmp_path):
    p = tmp_path / "nodes.tsv"
    p.write_text("id\tname\tkind\r\nGene::1\tA1BG\tGene\r\nGene:2\tA2M\tGene\r\n")
    _expect(p, 3, "not '<kind>::<identifier>'", hetionet.iter_nodes(p))


def test_hetionet_unknown_kind(tmp_path):
    p = tmp_path / "nodes.tsv"
    p.write_text("id\tname\tkind\nVirus::V1\tflu\tVirus\n")
    _expect(p, 2, "unknown Hetionet node kind", hetionet.iter_nodes(p))


def test_hetionet_unknown_edge_type(tmp_path, sources_dir):
    files = hetionet.locate(sources_dir)
    bad = tmp_path / "edges.csv"
    bad.write_text("source,target,type\nDB01359,DOID:3393,TREATS_CtD\nDB01359,DOID:3393,CURES_CcD\n")
    files = dict(files, **{"hetionet-v1.0-disease-edges.csv": bad})
    _expect(bad, 3, "unknown edge type", hetionet._disease_edges(files, hetionet.Provenance("hetionet")))


def test_disease_ontology_term_without_name(tmp_path):
    p = tmp_path / "doid.obo"
    p.write_text("format-version: 1.2\ndata-version: releases/2016-08-12\n\n[Term]\nid: DOID:4\n\n")
    _expect(p, 4, "has no name", disease_ontology.records_obo({"obo": p}))


def test_do_reports_missing_column(tmp_path):
    files = {n: tmp_path / n for n in disease_ontology.REPORT_FILES}
    files["DOreports-allXREFinDO.tsv"].write_text('id\tlabel\txref\n"DOID:4"\t"disease"\t"MESH:D004194"\n')
    files["DOreports-HumanDO.tsv"].write_text('id\tname\n"DOID:4"\t"disease"\n')
    files["DOreports-disease-symptom.tsv"].write_text("disease_id\tdisease_label\tsymptom_id\tsymptom_label\n")
    _expect(files["DOreports-HumanDO.tsv"], 1, "header lacks", disease_ontology.records_reports(files))


def test_drugbank_bad_id_and_missing_name(tmp_path):
    p = tmp_path / "vocab.csv"
    head = "DrugBank ID;Accession Numbers;Common name;CAS;UNII;Synonyms;Standard InChI Key\n"
    p.write_text(head + "DB00001;;Lepirudin;;;;\nXX1;;Thing;;;;\n")
    _expect(p, 3, "not a DrugBank id", drugbank.records({"vocabulary": p}))
    p.write_text(head + "DB00001;;;;;;\n")
    _expect(p, 2, "no common name", drugbank.records({"vocabulary": p}))


def test_ddxplus_invalid_json_and_unknown_evidence(tmp_path):
    cond, ev = tmp_path / "release_conditions.json", tmp_path / "release_evidences.json"
    ev.write_text(json.dumps({"E_91": {"question_en": "Fever?", "is_antecedent": False, "data_type": "B"}}))
    cond.write_text('{\n "Flu": {\n  "severity": 3,\n')
    _expect(cond, 4, "not valid JSON", ddxplus.records({"conditions": cond, "evidences": ev}))
    cond.write_text(json.dumps({"Flu": {"cond-name-eng": "Flu", "icd10-id": "J11", "severity": 3,
                                        "symptoms": {"E_404": {}}, "antecedents": {}}}))
    _expect(cond, None, "unknown evidence 'E_404'", ddxplus.records({"conditions": cond, "evidences": ev}))


def test_ddxplus_map_bad_hpo_id(tmp_path):
    m = tmp_path / "map.tsv"
    m.write_text("evidence\tlabel\thpo_id\thpo_name\tjustification\nE_91\tFever\tHP:0001945\tFever\tx\n"
                 "E_1\tX\tOMIM:1\tX\tx\n")
    with pytest.raises(ImportFormatError) as err:
        ddxplus.load_hpo_map(m)
    assert err.value.line == 3 and "not an HP term" in str(err.value)


def test_kgx_unknown_predicate_and_category(tmp_path):
    nodes, edges = tmp_path / "nodes.tsv", tmp_path / "edges.tsv"
    nodes.write_text("id\tcategory\tname\nDOID:1\tbiolink:Disease\tone\nDB:DB00001\tbiolink:Drug\tdrug\n")
    edges.write_text("subject\tpredicate\tobject\nDRUGBANK:DB00001\tbiolink:treats\tDOID:1\n"
                     "DRUGBANK:DB00001\tbiolink:cures_for_sure\tDOID:1\n")
    _expect(edges, 3, "unknown predicate 'biolink:cures_for_sure'", kgx.read_kgx(nodes, edges))
    nodes.write_text("id\tcategory\tname\nDOID:1\tbiolink:Spaceship\tone\n")
    _expect(nodes, 2, "unknown category", kgx.read_kgx(nodes, edges))


def test_hetionet_release_sif_bad_metaedge(tmp_path):
    nodes = tmp_path / "hetionet-v1.0-nodes.tsv"
    nodes.write_text("id\tname\tkind\nGene::1\tA1BG\tGene\nGene::2\tA2M\tGene\n")
    sif = tmp_path / "hetionet-v1.0-edges.sif.gz"
    with gzip.open(sif, "wt") as fh:
        fh.write("source\tmetaedge\ttarget\nGene::1\tGiG\tGene::2\nGene::1\tGxG\tGene::2\n")
    _expect(sif, 3, "unknown Hetionet metaedge", hetionet_release.records({"sif": sif, "nodes": nodes}))


def test_hpo_genes_bad_gene_id(tmp_path):
    p = tmp_path / "genes_to_disease.derived.tsv"
    p.write_text("ncbi_gene_id\tgene_symbol\tdisease_id\tdisease_name\n10\tNAT2\tOMIM:243400\tx\n"
                 "NAT2\t10\tOMIM:243400\tx\n")
    _expect(p, 3, "NCBI Gene id is a number", hpo.iter_genes(p, hpo.Provenance("hpo")))


def test_do_disease_symptom_bad_id(tmp_path):
    files = {n: tmp_path / n for n in disease_ontology.REPORT_FILES}
    files["DOreports-allXREFinDO.tsv"].write_text('id\tlabel\txref\n')
    files["DOreports-HumanDO.tsv"].write_text('id\tlabel\tsubClassOf\n"DOID:4"\t"disease"\t""\n')
    files["DOreports-disease-symptom.tsv"].write_text(
        "disease_id\tdisease_label\tsymptom_id\tsymptom_label\nDOID:4\tdisease\tfever symptom\tfever\n")
    _expect(files["DOreports-disease-symptom.tsv"], 2, "whitespace", disease_ontology.records_reports(files))
