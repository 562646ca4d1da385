"""The knowledge graph: data model, identifiers, importers, stores and curation.

This layer knows nothing of embeddings, answers or HTTP (see DESIGN.md: data flows one way).
"""
