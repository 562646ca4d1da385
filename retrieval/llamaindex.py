"""A LlamaIndex retriever over the graph: one `TextNode` per fact, provenance in its metadata.

    from retrieval.llamaindex import GraphFactRetriever
    retriever = GraphFactRetriever(ctx.retriever, top_k=10)
    nodes = retriever.retrieve("what drugs treat asthma?")          # list[NodeWithScore]
    engine = RetrieverQueryEngine.from_args(retriever, llm=...)     # plugs into query engines

The node id is the fact id, so citations from an LLM map back to graph facts.
"""
from __future__ import annotations

from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from kg.model import PREDICATES
from retrieval.types import ScoredFact


def fact_sentence(sf: ScoredFact) -> str:
    """The fact as one plain sentence: "Metformin treats type 2 diabetes mellitus."."""
    s = sf.subject.name if sf.subject else sf.fact.subject
    o = sf.object.name if sf.object else sf.fact.object
    verb = PREDICATES.get(sf.fact.predicate, sf.fact.predicate.replace("_", " "))
    return f"{s} {verb} {o}."


def fact_node(sf: ScoredFact) -> TextNode:
    f = sf.fact
    pmids = sorted({str(p) for prov in f.provenance for p in (prov.evidence or {}).get("pmids", []) or []})
    metadata: dict[str, Any] = {
        "fact_id": f.id,
        "subject_id": f.subject, "subject_name": sf.subject.name if sf.subject else "",
        "subject_type": sf.subject.type if sf.subject else "",
        "predicate": f.predicate,
        "object_id": f.object, "object_name": sf.object.name if sf.object else "",
        "object_type": sf.object.type if sf.object else "",
        "sources": [p.source for p in f.provenance],
        "source_versions": [p.version for p in f.provenance],
        "licenses": sorted({p.license for p in f.provenance if p.license}),
        "pmids": pmids,
        "provenance": [p.to_json() for p in f.provenance],
    }
    # the LLM sees the sentence and where it comes from, not the raw provenance JSON
    hidden = ["provenance", "licenses", "source_versions", "subject_type", "object_type", "subject_id", "object_id"]
    return TextNode(id_=f.id, text=fact_sentence(sf), metadata=metadata,
                    excluded_llm_metadata_keys=hidden, excluded_embed_metadata_keys=list(metadata))


class GraphFactRetriever(BaseRetriever):
    """LlamaIndex `BaseRetriever` backed by `retrieval.retriever.FactRetriever`."""

    def __init__(self, fact_retriever, top_k: int = 20, **kwargs):
        self._facts = fact_retriever
        self._top_k = top_k
        self.last_result = None     # the full RetrievalResult of the last query (mentions, intent, paths)
        super().__init__(**kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        result = self._facts.retrieve(query_bundle.query_str, limit=self._top_k)
        self.last_result = result
        return [NodeWithScore(node=fact_node(sf), score=float(sf.score)) for sf in result.facts]
