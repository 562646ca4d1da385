"""`kgqa curation ...`: propose, review, revert, audit, and move changes between deployments."""
from __future__ import annotations

import argparse
import json
import sys

from kgqa.cli import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("curation", help="curate the graph: propose, review, revert, audit, export/import")
    cs = p.add_subparsers(dest="curation_command", metavar="ACTION")

    propose = cs.add_parser("propose", help="propose a change (JSON payload; see docs/curation.md)")
    propose.add_argument("kind", choices=["add_fact", "retract_fact", "add_entity", "edit_entity", "merge_entities"])
    propose.add_argument("payload", help='JSON, e.g. \'{"subject": "DRUGBANK:DB00331", "predicate": "treats", "object": "DOID:10763"}\'')
    propose.add_argument("--by", required=True, help="the proposing curator")
    propose.add_argument("--pmid", action="append", default=[], help="PubMed id of the evidence (repeatable)")
    propose.add_argument("--note", default="", help="why: free text evidence")
    propose.add_argument("--source", default="curator", help="where the evidence comes from")
    propose.set_defaults(func=_propose)

    ls = cs.add_parser("list", help="list proposals")
    ls.add_argument("--status", choices=["pending", "approved", "rejected", "conflict"])
    ls.set_defaults(func=_list)

    approve = cs.add_parser("approve", help="approve a proposal (by a curator other than its proposer)")
    approve.add_argument("proposal_id", type=int)
    approve.add_argument("--by", required=True)
    approve.set_defaults(func=_approve)

    reject = cs.add_parser("reject", help="reject a proposal with a reason")
    reject.add_argument("proposal_id", type=int)
    reject.add_argument("--by", required=True)
    reject.add_argument("--reason", required=True)
    reject.set_defaults(func=_reject)

    revert = cs.add_parser("revert", help="revert an applied change (recorded as a change itself)")
    revert.add_argument("change_id")
    revert.add_argument("--by", required=True)
    revert.add_argument("--reason", default="")
    revert.set_defaults(func=_revert)

    audit = cs.add_parser("audit", help="the audit log, optionally for one entity")
    audit.add_argument("--entity")
    audit.add_argument("--limit", type=int, default=50)
    audit.set_defaults(func=_audit)

    export = cs.add_parser("export", help="write every change to a JSON-lines file")
    export.add_argument("file")
    export.set_defaults(func=_export)

    imp = cs.add_parser("import", help="replay changes exported from another deployment")
    imp.add_argument("file")
    imp.add_argument("--by", default="import")
    imp.set_defaults(func=_import)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _context(args):
    from kgqa.context import KGContext
    from kgqa.settings import load_settings
    return KGContext(load_settings(args.config, store=args.store))


def _service(args):
    return _context(args).curation


def _emit(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _run(fn):
    from kg.curation import CurationError, ValidationFailed
    from kg.store.base import ConflictError
    try:
        return fn()
    except (ValidationFailed, CurationError, ConflictError) as exc:
        raise UserError(str(exc)) from None


def _propose(args) -> int:
    try:
        payload = json.loads(args.payload)
    except json.JSONDecodeError as exc:
        raise UserError(f"payload is not valid JSON: {exc}") from None
    evidence = {"source": args.source, "pmids": args.pmid, "note": args.note}
    proposal = _run(lambda: _service(args).propose(args.kind, payload, evidence, args.by))
    _emit(proposal.to_json())
    return 0


def _list(args) -> int:
    _emit([p.to_json() for p in _service(args).proposals(args.status, limit=1000)])
    return 0


def _approve(args) -> int:
    change = _run(lambda: _service(args).approve(args.proposal_id, args.by))
    _emit({"change_id": change.change_id, "graph_version": change.seq})
    return 0


def _reject(args) -> int:
    _emit(_run(lambda: _service(args).reject(args.proposal_id, args.by, args.reason)).to_json())
    return 0


def _revert(args) -> int:
    change = _run(lambda: _service(args).revert(args.change_id, args.by, args.reason))
    _emit({"change_id": change.change_id, "reverts": change.reverts, "graph_version": change.seq})
    return 0


def _audit(args) -> int:
    _emit([c.to_json() for c in _service(args).audit(entity_id=args.entity, limit=args.limit)])
    return 0


def _export(args) -> int:
    n = _service(args).export_changes(args.file)
    print(f"wrote {n} changes to {args.file}", file=sys.stderr)
    return 0


def _import(args) -> int:
    report = _run(lambda: _service(args).import_changes(args.file, args.by))
    _emit(report.to_json())
    return 1 if report.conflicts else 0
