"""The fact retriever on the real full graph, checked against the source edge files."""
import csv
import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _hetionet_edges(sources_dir, kind: str, target: str) -> set[str]:
    out = set()
    with open(sources_dir / "hetionet" / "hetionet-v1.0-disease-edges.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["type"] == kind and row["target"] == target:
                out.add(row["source"])
    return out


def test_drugs_that_treat_a_disease_match_hetionet(full_context, sources_dir):
    store = full_context.store
    result = full_context.retriever.retrieve("what drugs treat type 2 diabetes?", limit=200)
    assert result.intent.predicates[0] == "treats"
    disease = store.resolve("DOID:9352")
    assert disease in [m.entity.id for m in result.mentions]
    got = {sf.fact.subject for sf in result.facts if sf.fact.predicate == "treats" and sf.fact.object == disease}
    expected = {store.resolve(f"DRUGBANK:{db}") for db in _hetionet_edges(sources_dir, "TREATS_CtD", "DOID:9352")}
    assert got == expected and len(got) > 10
    assert result.total_candidates["treats"] == len(expected)
    # every fact carries its entities and provenance
    assert all(sf.subject is not None and sf.object is not None and sf.fact.provenance for sf in result.facts)
    scores = [sf.score for sf in result.facts]
    assert scores == sorted(scores, reverse=True)


def test_lay_question_reaches_the_subclasses(full_context):
    # "sugar diabetes" is diabetes mellitus, whose drugs are recorded on its subclasses
    result = full_context.retriever.retrieve("what can I take for sugar diabetes?", limit=50)
    assert result.facts, "no facts for a lay treatment question"
    assert all(sf.fact.predicate in ("treats", "palliates") for sf in result.facts)
    assert all(sf.subject.type == "Compound" for sf in result.facts)


def test_genes_of_a_disease(full_context):
    result = full_context.retriever.retrieve("which genes are associated with asthma?", limit=20)
    assert result.facts and all(sf.fact.predicate == "associated_with" for sf in result.facts)
    assert all("Gene" in (sf.subject.type, sf.object.type) for sf in result.facts)
    assert result.total_candidates["associated_with"] >= len(result.facts)


def test_reverse_direction_drug_uses(full_context):
    store = full_context.store
    result = full_context.retriever.retrieve("what is metformin used for?", limit=50)
    metformin = store.resolve("DRUGBANK:DB00331")
    assert result.facts and all(sf.fact.subject == metformin for sf in result.facts)
    assert store.resolve("DOID:9352") in {sf.fact.object for sf in result.facts}


def test_symptoms_of_a_disease(full_context):
    result = full_context.retriever.retrieve("what are the symptoms of asthma?", limit=30)
    assert result.facts and all(sf.fact.predicate in ("has_phenotype", "presents_symptom") for sf in result.facts)


def test_yes_no_puts_the_joining_fact_first(full_context):
    store = full_context.store
    result = full_context.retriever.retrieve("Does metformin treat type 2 diabetes?", limit=10)
    top = result.facts[0].fact
    assert (top.subject, top.predicate, top.object) == (store.resolve("DRUGBANK:DB00331"), "treats",
                                                        store.resolve("DOID:9352"))


def test_paths_between_two_entities(full_context):
    result = full_context.retriever.retrieve("how is obesity related to type 2 diabetes?", limit=10)
    assert result.intent.kind == "path" and result.paths
    ends = {result.paths[0].entities[0], result.paths[0].entities[-1]}
    assert {m.entity.id for m in result.mentions} >= ends
    assert all(len(p.facts) == len(p.entities) - 1 for p in result.paths)


def test_questions_outside_the_graph_retrieve_nothing(full_context):
    result = full_context.retriever.retrieve("what's the weather tomorrow?")
    assert result.mentions == [] and result.facts == []


def test_facts_for_given_entities(full_context):
    from retrieval.intent import parse_intent
    store = full_context.store
    facts = full_context.retriever.facts_for([store.resolve("DOID:9352")], parse_intent("what drugs treat it"), 5)
    assert len(facts) == 5 and all(sf.fact.predicate in ("treats", "palliates") for sf in facts)


def test_llamaindex_adapter_returns_fact_nodes(full_context):
    from llama_index.core.schema import NodeWithScore
    from retrieval.llamaindex import GraphFactRetriever
    retriever = GraphFactRetriever(full_context.retriever, top_k=5)
    nodes = retriever.retrieve("what drugs treat type 2 diabetes?")
    assert 0 < len(nodes) <= 5 and all(isinstance(n, NodeWithScore) for n in nodes)
    node = nodes[0].node
    fact = full_context.store.get_fact(node.node_id)
    assert fact is not None and node.metadata["predicate"] == fact.predicate
    assert node.metadata["sources"] == [p.source for p in fact.provenance]
    assert "treats" in node.get_content() and node.metadata["subject_name"] in node.get_content()
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)


def _cli(full_context, args, stdin=None):
    env_home = str(full_context.settings.home)
    cmd = [sys.executable, "-m", "kgqa", "--store", full_context.settings.store_url] + args
    import os
    env = dict(os.environ, KGQA_HOME=env_home)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=600)


def test_cli_link_jsonl_and_retrieve(full_context):
    out = _cli(full_context, ["link", "--jsonl"], stdin="my heart is racing\nI love my dog\n\nno fever\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(l) for l in out.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["my heart is racing", "I love my dog", "no fever"]
    assert rows[0]["mentions"][0]["entity"]["id"] == full_context.store.resolve("HP:0001649")
    assert rows[1]["mentions"] == []
    assert rows[2]["mentions"][0]["negated"] is True
    assert set(rows[0]["mentions"][0]) >= {"start", "end", "text", "score", "entity"}
    out = _cli(full_context, ["retrieve", "what drugs treat type 2 diabetes?", "--json", "--limit", "3"])
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["facts"]) == 3 and data["total_candidates"]["treats"] > 3
    bad = _cli(full_context, ["link", "--types", "Dinosaur", "x"])
    assert bad.returncode == 2 and "unknown entity type" in bad.stderr and "Traceback" not in bad.stderr
