"""Records of curation: proposals (what a curator asks for) and changes (what was applied)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

# What a proposal may ask for, and the payload each kind carries.
CHANGE_KINDS = {
    "add_fact": "subject, predicate, object",
    "retract_fact": "fact_id",
    "add_entity": "id, type, name, synonyms [{text, kind}], xrefs, description",
    "edit_entity": "id, and any of: name, description, add_synonyms, remove_synonyms, add_xrefs, remove_xrefs",
    "merge_entities": "keep, merge (the entity merged into `keep` and removed)",
}

PROPOSAL_STATUSES = ("pending", "approved", "rejected", "conflict")


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class Evidence:
    source: str = "curator"                 # where the evidence comes from: "PubMed", "DrugBank", "curator"
    pmids: list[str] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Evidence":
        d = d or {}
        pmids = [str(p).strip().removeprefix("PMID:") for p in d.get("pmids", []) if str(p).strip()]
        return cls(source=str(d.get("source") or "curator"), pmids=pmids, note=str(d.get("note") or ""))


@dataclass
class Proposal:
    id: int
    kind: str
    payload: dict[str, Any]
    evidence: Evidence
    proposer: str
    status: str = "pending"
    created_at: str = ""
    reviewer: str | None = None
    reviewed_at: str | None = None
    reason: str | None = None              # rejection or conflict reason
    change_id: str | None = None           # set when approved

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = self.evidence.to_json()
        return d


@dataclass
class Change:
    """One applied change, as recorded in the append-only audit log."""
    change_id: str
    seq: int                               # the graph's curation version after this change
    kind: str                              # a CHANGE_KINDS key, or "revert"
    payload: dict[str, Any]
    evidence: Evidence
    proposer: str
    reviewer: str
    at: str
    before: Any
    after: Any
    proposal_id: int | None = None
    reverts: str | None = None             # for kind "revert": the change undone
    reverted_by: str | None = None         # derived from later revert changes

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = self.evidence.to_json()
        return d
