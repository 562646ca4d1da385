"""Curation: proposals, review by a second curator, changes applied in one transaction, an append-only
audit log, a graph version that moves with each change, and reverts (themselves recorded changes).

The curation log is its own SQLite file (default `<KGQA_HOME>/curation.sqlite`), separate from the graph
store: it is the record of what curators decided, so a rebuild from sources can re-apply it on top, and
the same log works whichever store (SQLite or Neo4j) holds the graph.
"""
from kg.curation.records import CHANGE_KINDS, Change, Evidence, Proposal
from kg.curation.service import CurationError, CurationService, PermissionDenied, ValidationFailed

__all__ = ["CurationService", "CurationError", "PermissionDenied", "ValidationFailed",
           "Proposal", "Change", "Evidence", "CHANGE_KINDS"]
