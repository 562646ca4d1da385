"""Round trips and the general importers on small files the tests write."""
from __future__ import annotations

import bz2
import gzip
import json

from kg.importers import hetionet_release, kgx
from kg.model import Entity, Fact, Provenance, Synonym
from tests.graph.conftest import count_records


def test_kgx_round_trip(tmp_path):
    entities = [
        Entity("DOID:10763", "Disease", "hypertension", [Synonym("high blood pressure", "layperson", "hpo"),
                                                        Synonym("HTN", "exact", "do")], ["UMLS:C0020538"], "artery disease"),
        Entity("DRUGBANK:DB00945", "Compound", "Acetylsalicylic acid", [Synonym("Aspirin", "exact")], ["CAS:50-78-2"]),
        Entity("HP:0001945", "Phenotype", "Fever"),
        Entity("MESH:D005334", "Symptom", "Fever (MeSH)"),
    ]
    facts = [Fact("DRUGBANK:DB00945", "treats", "DOID:10763", [Provenance("hetionet", evidence={"pmids": ["1", "2"]})]),
             Fact("DOID:10763", "has_phenotype", "HP:0001945", [Provenance("hpo")]),
             Fact("DOID:10763", "presents_symptom", "MESH:D005334", [Provenance("do")])]
    nodes, edges = tmp_path / "nodes.tsv", tmp_path / "edges.tsv"
    assert kgx.write_kgx(entities, facts, nodes, edges) == (4, 3)
    back = list(kgx.read_kgx(nodes, edges, source="mine"))
    got_e = {r.id: r for r in back if isinstance(r, Entity)}
    got_f = {r.id: r for r in back if isinstance(r, Fact)}
    assert set(got_e) == {e.id for e in entities}
    for e in entities:
        g = got_e[e.id]
        assert (g.type, g.name, g.xrefs, g.description) == (e.type, e.name, e.xrefs, e.description)
        assert [(s.text, s.kind) for s in g.synonyms] == [(s.text, s.kind) for s in e.synonyms]
    assert set(got_f) == {f.id for f in facts}                     # same triples, same stable ids
    assert got_f[facts[0].id].provenance[0].evidence["pmids"] == ["1", "2"]
    assert got_f[facts[0].id].provenance[0].source == "mine"


def test_kgx_accepts_biolink_names(tmp_path):
    nodes, edges = tmp_path / "n.tsv", tmp_path / "e.tsv"
    nodes.write_text("id\tcategory\tname\nMONDO:0005044\tbiolink:Disease|biolink:NamedThing\thypertension\n"
                     "CHEBI:15365\tbiolink:SmallMolecule\taspirin\n")
    edges.write_text("subject\tpredicate\tobject\tpublications\nCHEBI:15365\tbiolink:ameliorates_condition\t"
                     "MONDO:0005044\tPMID:123|DOI:x\n")
    recs = list(kgx.read_kgx(nodes, edges))
    assert [r.type for r in recs if isinstance(r, Entity)] == ["Disease", "Compound"]
    fact = recs[-1]
    assert fact.predicate == "palliates" and fact.provenance[0].evidence["pmids"] == ["123"]


def _tiny_nodes(path):
    path.write_text("id\tname\tkind\nGene::1\tA1BG\tGene\nGene::2\tA2M\tGene\nCompound::DB00001\tLepirudin\tCompound\n"
                    "Pharmacologic Class::N0000000001\tThrombin inhibitors\tPharmacologic Class\n"
                    "Biological Process::GO:0008150\tbiological_process\tBiological Process\n")


def test_hetionet_release_sif(tmp_path):
    nodes = tmp_path / "hetionet-v1.0-nodes.tsv"
    _tiny_nodes(nodes)
    sif = tmp_path / "hetionet-v1.0-edges.sif.gz"
    with gzip.open(sif, "wt") as fh:
        fh.write("source\tmetaedge\ttarget\nGene::1\tGiG\tGene::2\nCompound::DB00001\tCbG\tGene::1\n"
                 "Pharmacologic Class::N0000000001\tPCiC\tCompound::DB00001\nGene::2\tGpBP\tBiological Process::GO:0008150\n")
    recs = list(hetionet_release.records({"sif": sif, "nodes": nodes}))
    c = count_records(recs)
    assert c["Entity:Gene"] == 2 and c["Fact:interacts_with"] == 1 and c["Fact:binds"] == 1
    member = next(r for r in recs if isinstance(r, Fact) and r.predicate == "member_of_class")
    assert (member.subject, member.object) == ("DRUGBANK:DB00001", "NDFRT:N0000000001")   # PCiC reversed
    assert c["Fact:participates_in"] == 1


def test_hetionet_release_json(tmp_path):
    data = {"nodes": [{"kind": "Gene", "identifier": 1, "name": "A1BG", "data": {}},
                      {"kind": "Compound", "identifier": "DB00001", "name": "Lepirudin", "data": {"description": "x"}},
                      {"kind": "Disease", "identifier": "DOID:10763", "name": "hypertension", "data": {}}],
            "edges": [{"source_id": ["Compound", "DB00001"], "target_id": ["Gene", 1], "kind": "binds",
                       "direction": "both", "data": {"sources": ["DrugBank"], "pubmed_ids": [123]}},
                      {"source_id": ["Compound", "DB00001"], "target_id": ["Disease", "DOID:10763"], "kind": "treats",
                       "direction": "both", "data": {}}]}
    path = tmp_path / "hetionet-v1.0.json.bz2"
    with bz2.open(path, "wt") as fh:
        json.dump(data, fh)
    files = {"json": path}
    recs = list(hetionet_release.records(files))
    facts = {r.predicate: r for r in recs if isinstance(r, Fact)}
    assert facts["binds"].object == "NCBIGene:1" and facts["binds"].provenance[0].evidence["pmids"] == ["123"]
    assert facts["treats"].subject == "DRUGBANK:DB00001" and facts["treats"].object == "DOID:10763"
    assert next(r for r in recs if isinstance(r, Entity) and r.id == "DRUGBANK:DB00001").description == "x"
