"""Curation over HTTP (curator keys): proposals, review, the audit log and reverts.

The caller's key name is the curator: a curator approving their own proposal gets 403.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from kg.curation import CurationError, PermissionDenied, ValidationFailed
from kg.store.base import ConflictError
from kgqa.apikeys import Principal
from kgqa.context import KGContext
from api.auth import require_role
from api.deps import get_context, require_ready, run_blocking
from api.errors import ApiError, error_responses
from api.models import CURIE_PATTERN, MAX_ID_CHARS, Text, _Strict

router = APIRouter(prefix="/v1/curation", tags=["curation"])
curator = require_role("curator")
ready = require_ready("store")
_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422, 429, 503, 504)

ChangeKind = Literal["add_fact", "retract_fact", "add_entity", "edit_entity", "merge_entities"]


class EvidenceIn(_Strict):
    source: str = Field("curator", max_length=100, description="where the evidence comes from")
    pmids: list[Annotated[str, Field(pattern=r"^(PMID:)?\d{1,9}$")]] = Field(default_factory=list, max_length=50)
    note: str = Field("", max_length=2000)


class ProposalIn(_Strict):
    kind: ChangeKind
    payload: dict[str, Any] = Field(description="depends on the kind; see docs/curation.md")
    evidence: EvidenceIn = Field(default_factory=EvidenceIn)

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{
        "kind": "add_fact",
        "payload": {"subject": "DRUGBANK:DB00331", "predicate": "treats", "object": "DOID:10763"},
        "evidence": {"source": "PubMed", "pmids": ["12345678"], "note": "randomised controlled trial"}}]}}


class RejectIn(_Strict):
    reason: Text


class RevertIn(_Strict):
    reason: str = Field("", max_length=2000)


ChangeId = Annotated[str, Path(pattern=r"^chg_[0-9a-f]{1,32}$", description="a change id from approve")]
ProposalId = Annotated[int, Path(ge=1, le=2**62)]


def _translate(fn, *args):
    """Curation's own errors -> HTTP: invalid 422, not yours to approve 403, state/conflict 409, unknown 404."""
    try:
        return fn(*args)
    except ValidationFailed as exc:
        raise ApiError(422, "invalid_proposal", str(exc)) from None
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except ConflictError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except CurationError as exc:
        status = 404 if str(exc).startswith("no ") else 409
        raise ApiError(status, "not_found" if status == 404 else "conflict", str(exc)) from None


def _propose(ctx: KGContext, body: ProposalIn, who: str) -> dict:
    evidence = body.evidence.model_dump()
    return _translate(ctx.curation.propose, body.kind, body.payload, evidence, who).to_json()


def _approve(ctx: KGContext, proposal_id: int, who: str) -> dict:
    change = _translate(ctx.curation.approve, proposal_id, who)
    return {"change_id": change.change_id, "proposal_id": proposal_id, "graph_version": ctx.store.version()}


def _reject(ctx: KGContext, proposal_id: int, who: str, reason: str) -> dict:
    return _translate(ctx.curation.reject, proposal_id, who, reason).to_json()


def _revert(ctx: KGContext, change_id: str, who: str, reason: str) -> dict:
    change = _translate(ctx.curation.revert, change_id, who, reason)
    return {"change_id": change.change_id, "reverts": change.reverts, "graph_version": ctx.store.version()}


@router.post("/proposals", status_code=201, responses=_ERRORS, summary="propose a change, with evidence")
async def propose(body: ProposalIn, request: Request, who: Principal = Depends(curator), _=Depends(ready),
                  ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, _propose, ctx, body, who.name, what="proposal")


@router.get("/proposals", responses=_ERRORS, summary="proposals, optionally by status (paginated)")
async def list_proposals(request: Request,
                         status: Literal["pending", "approved", "rejected", "conflict"] | None = None,
                         limit: Annotated[int, Query(ge=1, le=200)] = 50,
                         offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                         _=Depends(curator), ctx: KGContext = Depends(get_context)):
    items = await run_blocking(request, lambda: [p.to_json() for p in ctx.curation.proposals(status, limit, offset)],
                               what="proposal listing")
    return {"items": items, "limit": limit, "offset": offset}


@router.post("/proposals/{proposal_id}/approve", responses=_ERRORS,
             summary="approve (another curator's) proposal: applies it and returns the change id")
async def approve(proposal_id: ProposalId, request: Request, who: Principal = Depends(curator), _=Depends(ready),
                  ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, _approve, ctx, proposal_id, who.name, what="approval")


@router.post("/proposals/{proposal_id}/reject", responses=_ERRORS, summary="reject a proposal with a reason")
async def reject(proposal_id: ProposalId, body: RejectIn, request: Request, who: Principal = Depends(curator),
                 ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, _reject, ctx, proposal_id, who.name, body.reason, what="rejection")


@router.get("/audit", responses=_ERRORS, summary="the append-only audit log of changes (paginated)")
async def audit(request: Request,
                entity: Annotated[str | None, Query(min_length=3, max_length=MAX_ID_CHARS, pattern=CURIE_PATTERN,
                                                    description="only changes touching this entity")] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                _=Depends(curator), ctx: KGContext = Depends(get_context)):
    items = await run_blocking(request, lambda: [c.to_json() for c in ctx.curation.audit(entity, limit, offset)],
                               what="audit listing")
    return {"items": items, "limit": limit, "offset": offset}


@router.post("/changes/{change_id}/revert", responses=_ERRORS,
             summary="revert an applied change (recorded as a change itself)")
async def revert(change_id: ChangeId, request: Request, body: RevertIn | None = None,
                 who: Principal = Depends(curator), _=Depends(ready), ctx: KGContext = Depends(get_context)):
    return await run_blocking(request, _revert, ctx, change_id, who.name, body.reason if body else "",
                              what="revert")
