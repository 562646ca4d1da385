"""The curation workflow: propose -> review by another curator -> apply + audit -> revert."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from kg.store.base import ConflictError, GraphStore
from kg.curation.apply import Effect, apply_change, curated_provenance, revert_change
from kg.curation.log import CurationLog
from kg.curation.records import Change, Evidence, Proposal, now_iso
from kg.curation.validate import ValidationFailed, validate

Listener = Callable[[Change, Effect], None]


class CurationError(RuntimeError):
    """The request does not fit the proposal's state (unknown id, already reviewed ...)."""


class PermissionDenied(CurationError):
    """A curator may not review their own proposal."""


@dataclass
class ReplayReport:
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)      # already present here
    conflicts: list[str] = field(default_factory=list)    # "change_id: reason"

    def to_json(self) -> dict:
        return {"applied": self.applied, "skipped": self.skipped, "conflicts": self.conflicts}


class CurationService:
    def __init__(self, store: GraphStore, log: CurationLog, listeners: Iterable[Listener] = ()):
        self.store = store
        self.log = log
        self.listeners: list[Listener] = list(listeners)

    @classmethod
    def open(cls, store: GraphStore, path: str | Path) -> "CurationService":
        return cls(store, CurationLog(path))

    # ---- proposals -------------------------------------------------------------------------------
    def propose(self, kind: str, payload: dict[str, Any], evidence: Evidence | dict | None,
                proposer: str) -> Proposal:
        if not proposer:
            raise CurationError("a proposal needs its proposer")
        ev = evidence if isinstance(evidence, Evidence) else Evidence.from_dict(evidence)
        checked = validate(self.store, kind, payload, ev)
        return self.log.add_proposal(kind, checked, ev, proposer)

    def proposals(self, status: str | None = None, limit: int = 50, offset: int = 0) -> list[Proposal]:
        return self.log.list_proposals(status, limit, offset)

    def _pending(self, conn, proposal_id: int) -> Proposal:
        proposal = self.log.get_proposal(proposal_id)
        if proposal is None:
            raise CurationError(f"no proposal {proposal_id}")
        # re-read inside the write lock: another curator may have reviewed it a moment ago
        row = conn.execute("SELECT status FROM proposals WHERE id=?", (proposal_id,)).fetchone()
        if row["status"] != "pending":
            raise CurationError(f"proposal {proposal_id} is {row['status']}, not pending")
        return proposal

    def approve(self, proposal_id: int, reviewer: str) -> Change:
        """Apply the proposal in one store transaction and record it; returns the change."""
        with self.log.write_lock() as conn:
            proposal = self._pending(conn, proposal_id)
            if reviewer == proposal.proposer:
                raise PermissionDenied("a curator cannot approve their own proposal; another curator must review it")
            try:
                payload = validate(self.store, proposal.kind, proposal.payload, proposal.evidence)
            except ValidationFailed as exc:
                self.log.set_proposal_status(conn, proposal_id, "conflict", reviewer, f"no longer valid: {exc}")
                conflict = ConflictError(f"proposal {proposal_id} conflicts with the graph now: {exc}")
            else:
                conflict = None
                change = self._apply(conn, proposal.kind, payload, proposal.evidence, proposal.proposer,
                                     reviewer, proposal_id)
                self.log.set_proposal_status(conn, proposal_id, "approved", reviewer, change_id=change.change_id)
        if conflict:
            raise conflict
        return change

    def reject(self, proposal_id: int, reviewer: str, reason: str) -> Proposal:
        if not reason or not reason.strip():
            raise CurationError("a rejection needs a reason")
        with self.log.write_lock() as conn:
            self._pending(conn, proposal_id)
            self.log.set_proposal_status(conn, proposal_id, "rejected", reviewer, reason.strip())
        return self.log.get_proposal(proposal_id)

    # ---- changes ---------------------------------------------------------------------------------
    def _apply(self, conn, kind: str, payload: dict, evidence: Evidence, proposer: str, reviewer: str,
               proposal_id: int | None, change_id: str | None = None, at: str | None = None) -> Change:
        change_id = change_id or f"chg_{uuid.uuid4().hex[:16]}"
        at = at or now_iso()
        seq = self.log.next_seq(conn)
        with self.store.transaction():
            effect = apply_change(self.store, kind, payload, curated_provenance(evidence, proposer, reviewer, at, change_id))
            self.store.set_meta("curation_version", str(seq))
        change = Change(change_id, seq, kind, payload, evidence, proposer, reviewer, at, effect.before,
                        effect.after, proposal_id)
        self.log.append_change(conn, change, effect.touched)
        self._notify(change, effect)
        return change

    def revert(self, change_id: str, actor: str, reason: str = "") -> Change:
        with self.log.write_lock() as conn:
            original = self.log.get_change(change_id)
            if original is None:
                raise CurationError(f"no change {change_id}")
            if original.kind == "revert":
                raise CurationError("a revert cannot itself be reverted; propose the change again instead")
            if original.reverted_by:
                raise ConflictError(f"{change_id} was already reverted by {original.reverted_by}")
            new_id, seq, at = f"chg_{uuid.uuid4().hex[:16]}", self.log.next_seq(conn), now_iso()
            with self.store.transaction():
                effect = revert_change(self.store, original.kind, original.before, original.after, change_id)
                self.store.set_meta("curation_version", str(seq))
            change = Change(new_id, seq, "revert", {"change_id": change_id},
                            Evidence(source="curator", note=reason), actor, actor, at, effect.before, effect.after,
                            reverts=change_id)
            self.log.append_change(conn, change, effect.touched)
        self._notify(change, effect)
        return change

    def audit(self, entity_id: str | None = None, limit: int = 100, offset: int = 0) -> list[Change]:
        return self.log.changes(entity_id=entity_id, limit=limit, offset=offset)

    def get_change(self, change_id: str) -> Change | None:
        return self.log.get_change(change_id)

    def version(self) -> int:
        return int(self.store.get_meta("curation_version", "0") or 0)

    def _notify(self, change: Change, effect: Effect) -> None:
        for listener in self.listeners:
            listener(change, effect)

    # ---- moving changes between deployments and across rebuilds ------------------------------------
    def export_changes(self, path: str | Path) -> int:
        """Write every change, in order, as JSON lines; returns how many."""
        n = 0
        with open(path, "w", encoding="utf-8") as fh:
            for change in self._all_changes():
                fh.write(json.dumps({k: v for k, v in change.to_json().items() if k not in ("seq", "reverted_by")},
                                    ensure_ascii=False) + "\n")
                n += 1
        return n

    def import_changes(self, path: str | Path, actor: str) -> ReplayReport:
        """Replay exported changes here, keeping their ids, curators and times; conflicts are reported."""
        report = ReplayReport()
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    cid, kind, payload = rec["change_id"], rec["kind"], rec["payload"]
                    if not isinstance(payload, dict):
                        raise TypeError("payload is not an object")
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise CurationError(f"{path}:{lineno}: not an exported change ({exc})") from None
                if self.log.get_change(cid) is not None:
                    report.skipped.append(cid)
                    continue
                try:
                    if kind == "revert":
                        self.revert(payload["change_id"], rec.get("proposer") or actor,
                                    rec.get("evidence", {}).get("note", ""))
                    else:
                        evidence = Evidence.from_dict(rec.get("evidence"))
                        with self.log.write_lock() as conn:
                            payload = validate(self.store, kind, payload, evidence)
                            self._apply(conn, kind, payload, evidence, rec.get("proposer") or actor,
                                        rec.get("reviewer") or actor, None, change_id=cid, at=rec.get("at"))
                    report.applied.append(cid)
                except (ValidationFailed, ConflictError, CurationError) as exc:
                    report.conflicts.append(f"{cid}: {exc}")
        return report

    def _all_changes(self) -> Iterable[Change]:
        offset = 0
        while True:
            page = self.log.changes(limit=500, offset=offset)
            if not page:
                return
            yield from page
            offset += len(page)

    def reapply(self, store: GraphStore) -> ReplayReport:
        """Re-apply every change still in effect on top of a freshly built store (used by `kgqa build`).
        Does not write to the log; a change that no longer fits the new graph is reported, not applied."""
        report = ReplayReport()
        last = 0
        for change in self._all_changes():
            last = change.seq
            if change.kind == "revert" or change.reverted_by:
                continue
            try:
                with store.transaction():
                    if change.kind == "add_fact" and store.get_fact(change.after["id"]) is not None:
                        report.skipped.append(f"{change.change_id}: the sources now hold this fact too")
                    apply_change(store, change.kind, change.payload,
                                 curated_provenance(change.evidence, change.proposer, change.reviewer, change.at,
                                                    change.change_id))
                report.applied.append(change.change_id)
            except ConflictError as exc:
                report.conflicts.append(f"{change.change_id}: {exc}")
        store.set_meta("curation_version", str(last))
        return report


