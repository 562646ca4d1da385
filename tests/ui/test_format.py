"""Pure formatting of the app: citation numbers, evidence links, synonym groups, urgency, graph HTML."""
from __future__ import annotations

from kg.model import Entity, Fact, Provenance, Synonym
from ui.components.format import (evidence_parts, number_citations, provenance_summary, pubmed_url,
                                  strip_markers, synonyms_by_kind, urgency_method, urgency_style,
                                  xref_url)
from ui.components.graph import graph_of_facts, network_html


def test_pubmed_urls_accept_the_usual_spellings_and_reject_others():
    for raw in ("12345", 12345, "PMID:12345", "pmid: 12345", "pubmed:12345"):
        assert pubmed_url(raw) == "https://pubmed.ncbi.nlm.nih.gov/12345/"
    assert pubmed_url("DOI:10.1/x") is None
    assert pubmed_url("") is None


def test_evidence_parts_link_pubmed_first_and_keep_the_rest():
    parts = evidence_parts({"frequency": "5/7", "pmids": ["111", "PMID:222"], "pvalue": 0.000123,
                            "frequency_value": 0.71, "sources": ["GWAS", "DISEASES"]})
    assert parts[0] == ("PubMed: [PMID:111](https://pubmed.ncbi.nlm.nih.gov/111/), "
                        "[PMID:222](https://pubmed.ncbi.nlm.nih.gov/222/)")
    assert "frequency: 5/7" in parts
    assert "p-value: 0.000123" in parts
    assert "upstream sources: GWAS, DISEASES" in parts
    assert not any(p.startswith("frequency (share") for p in parts)  # said once, as the source gave it


def test_citation_numbers_follow_the_answers_citations_and_keep_extra_ones():
    sentences = [{"text": "A treats B [2].", "citations": ["F2"]},
                 {"text": "A treats C [1][2].", "citations": ["F1", "F2"]},
                 {"text": "Unsupported claim [3].", "citations": ["F9"], "supported": False},
                 {"text": "By position [1].", "citations": [1]}]
    cites = number_citations(sentences, citations=["F1", "F2"], fact_ids=["F1", "F2", "F9"])
    assert cites.fact_ids == ["F1", "F2", "F9"]
    assert [s.numbers for s in cites.sentences] == [[2], [1, 2], [3], [1]]
    assert cites.sentences[0].text == "A treats B."
    assert cites.sentences[2].supported is False


def test_citation_positions_out_of_range_are_dropped():
    cites = number_citations([{"text": "x", "citations": [5, "0"]}], citations=[], fact_ids=["F1"])
    assert cites.fact_ids == [] and cites.sentences[0].numbers == []


def test_strip_markers_removes_numbers_and_fact_ids_only():
    assert strip_markers("Metformin treats diabetes [1, 2] [Fabc123].") == "Metformin treats diabetes."
    assert strip_markers("Vitamin [B12] deficiency") == "Vitamin [B12] deficiency"


def test_synonyms_grouped_by_kind_in_model_order_without_the_name_or_duplicates():
    e = Entity("HP:0001945", "Phenotype", "Fever",
               [Synonym("high temperature", "layperson"), Synonym("Pyrexia", "exact"),
                Synonym("fever", "exact"), Synonym("pyrexia", "exact"), Synonym("Hyperthermia", "related")])
    assert synonyms_by_kind(e) == {"exact": ["Pyrexia"], "related": ["Hyperthermia"],
                                   "layperson": ["high temperature"]}


def test_urgency_levels_map_to_banners_and_unknown_is_not_downgraded():
    assert urgency_style("emergency").kind == "error"
    assert urgency_style("urgent").kind == "warning"
    assert urgency_style("routine").kind == "info"
    assert urgency_style("self-care").kind == "success"
    assert urgency_style("self_care").kind == "success"
    assert urgency_style("bogus").kind == "warning"
    assert urgency_style(None).kind == "warning"


def test_the_urgency_method_says_whether_the_learned_reader_took_part():
    assert urgency_method({"urgency": "urgent", "urgency_model": None}) == "Urgency from the red-flag rules alone."
    said = urgency_method({"urgency": "urgent", "urgency_rules": "emergency",
                           "urgency_model": {"self-care": 0.02, "routine": 0.03, "urgent": 0.9, "emergency": 0.05}})
    assert "learned reader" in said and "90% urgent" in said and "the rules alone: emergency" in said


def test_xref_urls_for_known_prefixes_only():
    assert xref_url("OMIM:154700") == "https://omim.org/entry/154700"
    assert xref_url("HP:0001945") == "https://hpo.jax.org/browse/term/HP:0001945"
    assert xref_url("FOO:1") is None


def test_provenance_summary_names_source_version_license_and_evidence():
    f = Fact("DRUGBANK:DB00331", "treats", "DOID:9352",
             [Provenance("hetionet", "v1.0", "CC0 1.0", {"pmids": ["1"]})])
    assert provenance_summary(f) == ("hetionet v1.0 (CC0 1.0): PubMed: "
                                     "[PMID:1](https://pubmed.ncbi.nlm.nih.gov/1/)")
    assert provenance_summary(Fact("A:1", "treats", "B:1")) == "no provenance recorded"


def test_network_html_is_self_contained_and_escapes_names():
    a = Entity("DRUGBANK:DB1", "Compound", "Drug <script>alert(1)</script>")
    b = Entity("DOID:1", "Disease", "Some disease")
    view = graph_of_facts([Fact(a.id, "treats", b.id, [Provenance("hetionet")])], {a.id: a, b.id: b},
                          focus=[b.id], labels=["[1] "])
    assert set(view.nodes) == {a.id, b.id} and view.nodes[b.id].focus
    assert view.edges[0].label == "[1] treats"
    page = network_html(view)
    assert "cdn.jsdelivr.net" not in page and "node_modules" not in page
    assert "vis.Network" in page and "Some disease" in page
    assert "<script>alert(1)" not in page
