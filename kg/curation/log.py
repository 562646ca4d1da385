"""The curation log: proposals and the append-only audit log of changes, in one SQLite file.

Approvals and reverts hold the log's write lock (BEGIN IMMEDIATE) while they validate and apply, so two
curators approving conflicting proposals at once are serialised: the second sees the first's effect.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from kg.curation.records import Change, Evidence, Proposal, now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, payload TEXT NOT NULL, evidence TEXT NOT NULL, proposer TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', created_at TEXT NOT NULL,
    reviewer TEXT, reviewed_at TEXT, reason TEXT, change_id TEXT
);
CREATE INDEX IF NOT EXISTS proposals_status ON proposals(status, id);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY,
    change_id TEXT UNIQUE NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, evidence TEXT NOT NULL,
    proposer TEXT NOT NULL, reviewer TEXT NOT NULL, at TEXT NOT NULL,
    before TEXT, after TEXT, proposal_id INTEGER, reverts TEXT, entities TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS changes_reverts ON changes(reverts);
-- the audit log is append-only: the database itself refuses edits and deletions
CREATE TRIGGER IF NOT EXISTS changes_no_update BEFORE UPDATE ON changes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS changes_no_delete BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class CurationLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conn().executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def write_lock(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time, across threads and processes; commits on success, rolls back on error."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ---- proposals -------------------------------------------------------------------------------
    def add_proposal(self, kind: str, payload: dict, evidence: Evidence, proposer: str) -> Proposal:
        with self.write_lock() as conn:
            cur = conn.execute(
                "INSERT INTO proposals(kind, payload, evidence, proposer, created_at) VALUES (?,?,?,?,?)",
                (kind, json.dumps(payload), json.dumps(evidence.to_json()), proposer, now_iso()))
            pid = cur.lastrowid
        return self.get_proposal(pid)

    def get_proposal(self, proposal_id: int) -> Proposal | None:
        row = self._conn().execute("SELECT * FROM proposals WHERE id=?", (proposal_id,)).fetchone()
        return _proposal(row) if row else None

    def list_proposals(self, status: str | None = None, limit: int = 50, offset: int = 0) -> list[Proposal]:
        sql, args = "SELECT * FROM proposals", []
        if status:
            sql += " WHERE status=?"
            args.append(status)
        sql += " ORDER BY id LIMIT ? OFFSET ?"
        return [_proposal(r) for r in self._conn().execute(sql, args + [limit, offset])]

    @staticmethod
    def set_proposal_status(conn: sqlite3.Connection, proposal_id: int, status: str, reviewer: str | None,
                            reason: str | None = None, change_id: str | None = None) -> None:
        conn.execute("UPDATE proposals SET status=?, reviewer=?, reviewed_at=?, reason=?, change_id=? WHERE id=?",
                     (status, reviewer, now_iso(), reason, change_id, proposal_id))

    # ---- changes ---------------------------------------------------------------------------------
    @staticmethod
    def next_seq(conn: sqlite3.Connection) -> int:
        return (conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0] or 0) + 1

    @staticmethod
    def append_change(conn: sqlite3.Connection, change: Change, entities: list[str]) -> None:
        conn.execute(
            "INSERT INTO changes(seq, change_id, kind, payload, evidence, proposer, reviewer, at, before, after,"
            " proposal_id, reverts, entities) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (change.seq, change.change_id, change.kind, json.dumps(change.payload),
             json.dumps(change.evidence.to_json()), change.proposer, change.reviewer, change.at,
             json.dumps(change.before), json.dumps(change.after), change.proposal_id, change.reverts,
             "|" + "|".join(sorted(set(entities))) + "|"))

    def get_change(self, change_id: str) -> Change | None:
        row = self._conn().execute("SELECT * FROM changes WHERE change_id=?", (change_id,)).fetchone()
        return self._change(row) if row else None

    def changes(self, entity_id: str | None = None, limit: int = 100, offset: int = 0,
                since_seq: int = 0) -> list[Change]:
        sql, args = "SELECT * FROM changes WHERE seq > ?", [since_seq]
        if entity_id:
            sql += " AND entities LIKE ?"
            args.append(f"%|{entity_id}|%")
        sql += " ORDER BY seq LIMIT ? OFFSET ?"
        return [self._change(r) for r in self._conn().execute(sql, args + [limit, offset])]

    def count_changes(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM changes").fetchone()[0]

    def reverted_by(self, change_id: str) -> str | None:
        row = self._conn().execute("SELECT change_id FROM changes WHERE reverts=? ORDER BY seq DESC LIMIT 1",
                                   (change_id,)).fetchone()
        return row[0] if row else None

    def _change(self, row: sqlite3.Row) -> Change:
        return Change(change_id=row["change_id"], seq=row["seq"], kind=row["kind"],
                      payload=json.loads(row["payload"]), evidence=Evidence.from_dict(json.loads(row["evidence"])),
                      proposer=row["proposer"], reviewer=row["reviewer"], at=row["at"],
                      before=_loads(row["before"]), after=_loads(row["after"]), proposal_id=row["proposal_id"],
                      reverts=row["reverts"], reverted_by=self.reverted_by(row["change_id"]))

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def _proposal(row: sqlite3.Row) -> Proposal:
    return Proposal(id=row["id"], kind=row["kind"], payload=json.loads(row["payload"]),
                    evidence=Evidence.from_dict(json.loads(row["evidence"])), proposer=row["proposer"],
                    status=row["status"], created_at=row["created_at"], reviewer=row["reviewer"],
                    reviewed_at=row["reviewed_at"], reason=row["reason"], change_id=row["change_id"])
