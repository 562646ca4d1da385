"""Equivalence cliques: the merge rules on small hand-made records, and the known cases on the real graph."""
from __future__ import annotations

from kg.cliques import merge_graph
from kg.model import Entity, Fact, Provenance, Synonym


def _merge(entities, facts=()):
    return merge_graph({e.id: e for e in entities}, list(facts))


def test_disease_and_phenotype_merge_through_umls():
    do = Entity("DOID:10763", "Disease", "hypertension", [Synonym("HTN")], ["UMLS:C0020538", "ICD10CM:I10"], "", ["do"])
    hp = Entity("HP:0000822", "Phenotype", "Hypertension", [Synonym("High blood pressure", "layperson")],
                ["UMLS:C0020538"], "", ["hpo"])
    facts = [Fact("DRUGBANK:DB1", "treats", "DOID:10763", [Provenance("hetionet")]),
             Fact("OMIM:1", "has_phenotype", "HP:0000822", [Provenance("hpo")])]
    drug = Entity("DRUGBANK:DB1", "Compound", "d")
    omim = Entity("OMIM:1", "Disease", "o")
    merged, out_facts, report = _merge([do, hp, drug, omim], facts)
    e = merged["DOID:10763"]
    assert "HP:0000822" not in merged and e.type == "Disease"
    assert "HP:0000822" in e.xrefs and "UMLS:C0020538" in e.xrefs
    assert {("HTN", "exact"), ("High blood pressure", "layperson")} <= {(s.text, s.kind) for s in e.synonyms}
    assert e.sources == ["do", "hpo"]
    assert {(f.subject, f.object) for f in out_facts.values()} == {("DRUGBANK:DB1", "DOID:10763"),
                                                                  ("OMIM:1", "DOID:10763")}


def test_icd10_never_merges():
    a = Entity("DOID:1", "Disease", "a", xrefs=["ICD10CM:I10"])
    b = Entity("DDXPLUS:b", "Disease", "b", xrefs=["ICD10CM:I10"])
    merged, _, _ = _merge([a, b])
    assert set(merged) == {"DOID:1", "DDXPLUS:b"}


def test_never_two_ids_of_one_ontology():
    a = Entity("DOID:1", "Disease", "a", xrefs=["UMLS:C1"])
    b = Entity("DOID:2", "Disease", "b", xrefs=["UMLS:C1"])
    c = Entity("HP:1", "Phenotype", "c", xrefs=["UMLS:C1"])
    merged, _, _ = _merge([a, b, c])
    # UMLS:C1 is ambiguous for DOID (claimed twice): neither DOID term merges with the HP term through it
    assert set(merged) == {"DOID:1", "DOID:2", "HP:1"}


def test_same_namespace_refused_even_through_a_chain():
    a = Entity("DOID:1", "Disease", "cough", xrefs=["UMLS:C1"])
    h = Entity("HP:1", "Phenotype", "Cough", xrefs=["UMLS:C1", "UMLS:C2"])
    b = Entity("DOID:2", "Disease", "chronic cough", [Synonym("cough")], xrefs=["UMLS:C2"])
    merged, _, report = _merge([a, h, b])
    assert "DOID:1" in merged and "DOID:2" in merged and "HP:1" not in merged
    assert report.refused_same_namespace == 1


def test_broad_mesh_and_multi_omim_do_not_merge():
    # a DO term listing several OMIM ids is a grouping: it merges with none of them
    group = Entity("DOID:5844", "Disease", "myocardial infarction", xrefs=["OMIM:608446", "OMIM:608557"])
    o1, o2 = Entity("OMIM:608446", "Disease", "MI susceptibility 1"), Entity("OMIM:608557", "Disease", "MI 2")
    # a MeSH code claimed by two DO terms is ambiguous
    d1 = Entity("DOID:3", "Disease", "x", xrefs=["MESH:D1"])
    d2 = Entity("DOID:4", "Disease", "y", xrefs=["MESH:D1"])
    mesh = Entity("MESH:D1", "Disease", "z")
    # a one-to-one OMIM xref merges
    single = Entity("DOID:9", "Disease", "w", xrefs=["OMIM:100"])
    o3 = Entity("OMIM:100", "Disease", "W")
    merged, _, _ = _merge([group, o1, o2, d1, d2, mesh, single, o3])
    assert {"DOID:5844", "OMIM:608446", "OMIM:608557", "DOID:3", "DOID:4", "MESH:D1", "DOID:9"} == set(merged)
    assert "OMIM:100" in merged["DOID:9"].xrefs


def test_types_that_must_not_merge():
    gene = Entity("NCBIGene:1", "Gene", "g", xrefs=["UMLS:C9"])
    pheno = Entity("HP:9", "Phenotype", "p", xrefs=["UMLS:C9"])
    drug = Entity("DRUGBANK:DB1", "Compound", "d", xrefs=["MESH:D9"])
    symptom = Entity("MESH:D9", "Symptom", "s")
    merged, _, report = _merge([gene, pheno, drug, symptom])
    assert len(merged) == 4 and report.refused_type == 2


def test_cross_type_merge_needs_agreeing_names():
    # HPO lists a syndrome's CUI on one of its features; the names share nothing, so no merge
    syndrome = Entity("DOID:2736", "Disease", "Hajdu-Cheney syndrome", xrefs=["UMLS:C9"])
    feature = Entity("HP:0009771", "Phenotype", "Osteolytic defects of the phalanges of the hand", xrefs=["UMLS:C9"])
    merged, _, report = _merge([syndrome, feature])
    assert len(merged) == 2 and report.refused_type == 1
    # a layperson synonym counts as a name
    disease = Entity("DOID:5844", "Disease", "myocardial infarction", xrefs=["UMLS:C2"])
    pheno = Entity("HP:0001658", "Phenotype", "MI", [Synonym("Heart attack", "layperson"),
                                                     Synonym("Myocardial infarction", "exact")], ["UMLS:C2"])
    merged, _, _ = _merge([disease, pheno])
    assert list(merged) == ["DOID:5844"]


def test_symptom_named_like_a_phenotype_merges_and_hpo_wins():
    hp = Entity("HP:0001945", "Phenotype", "Fever", [Synonym("Pyrexia")], ["UMLS:C0015967"])
    mesh = Entity("MESH:D005334", "Symptom", "Fever")
    symp = Entity("SYMP:0000613", "Symptom", "fever")
    finding = Entity("DDXPLUS:E_91", "Finding", "Fever", [], ["HP:0001945"], "Do you have a fever?")
    merged, _, _ = _merge([hp, mesh, symp, finding])
    assert list(merged) == ["HP:0001945"]
    e = merged["HP:0001945"]
    assert e.type == "Phenotype" and {"MESH:D005334", "SYMP:0000613", "DDXPLUS:E_91"} <= set(e.xrefs)


def test_duplicate_facts_merge_provenance():
    a = Entity("DOID:1", "Disease", "asthma", xrefs=["UMLS:C1"])
    h = Entity("HP:1", "Phenotype", "Asthma", xrefs=["UMLS:C1"])
    g = Entity("NCBIGene:7", "Gene", "G")
    facts = [Fact("DOID:1", "associated_with", "NCBIGene:7", [Provenance("hetionet", evidence={"pmids": ["1"]})]),
             Fact("HP:1", "associated_with", "NCBIGene:7", [Provenance("hpo")]),
             Fact("HP:1", "associated_with", "NCBIGene:7", [Provenance("hetionet", evidence={"pmids": ["2"]})]),
             Fact("HP:1", "subclass_of", "DOID:1", [Provenance("hpo")])]        # becomes a self-loop
    _, out, report = _merge([a, h, g], facts)
    assert len(out) == 1 and report.self_loops_dropped == 1
    fact = next(iter(out.values()))
    assert fact.sources == ["hetionet", "hpo"]
    het = next(p for p in fact.provenance if p.source == "hetionet")
    assert het.evidence["pmids"] == ["1", "2"]


# ---- the known cases on the real, fully built graph ---------------------------------------------------
def test_hypertension_is_one_concept(full_graph):
    from kg.store import open_store
    with open_store(full_graph) as store:
        assert store.resolve("HP:0000822") == store.resolve("DOID:10763") == "DOID:10763"
        assert store.resolve("UMLS:C0020538") == "DOID:10763"
        e = store.get_entity("DOID:10763")
        assert e.type == "Disease"
        assert {"disease_ontology", "hpo", "hetionet"} <= set(e.sources)
        texts = {(s.text.lower(), s.kind) for s in e.synonyms}
        assert ("high blood pressure", "layperson") in texts          # HPO's synonym
        assert ("htn", "exact") in texts                              # DO's synonym
        # both sets of facts: Hetionet's treats edges and HPO's disease annotations
        treats = store.facts("DOID:10763", predicates=["treats"], direction="in", limit=None)
        annotated = store.facts("DOID:10763", predicates=["has_phenotype"], direction="in", limit=None)
        assert any("hetionet" in f.sources for f in treats)
        assert sum(1 for f in annotated if "hpo" in f.sources) > 100


def test_heart_attack_lands_on_myocardial_infarction(full_graph):
    from kg.store import open_store
    with open_store(full_graph) as store:
        pid = store.resolve("HP:0001658")
        assert pid == store.resolve("DOID:5844") == store.resolve("UMLS:C0027051") == "DOID:5844"
        e = store.get_entity(pid)
        assert {"disease_ontology", "hetionet", "hpo"} <= set(e.sources)
        assert "heart attack" in {s.text.lower() for s in e.synonyms}
        assert any(h.id == "DOID:5844" for h in store.search("heart attack", limit=5))


def test_ddxplus_fever_merges_into_hpo(full_graph):
    from kg.store import open_store
    with open_store(full_graph) as store:
        assert store.resolve("DDXPLUS:E_91") == store.resolve("MESH:D005334") == "HP:0001945"
