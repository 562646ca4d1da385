"""Liveness and readiness: no key needed, nothing about the graph's content."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import get_state
from api.errors import JSONBody
from api.models import HealthOut, ReadyOut
from api.state import AppState

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="liveness: the process answers")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut, summary="readiness: graph and indexes loaded (503 until then)",
            responses={503: {"model": ReadyOut, "description": "still loading, or a component failed"}})
async def readyz(state: AppState = Depends(get_state)):
    readiness = state.readiness
    statuses = dict(readiness.status)
    if readiness.ready:
        return JSONBody({"status": "ready", "components": statuses})
    failed = any(s == "failed" for s in statuses.values())
    return JSONBody({"status": "failed" if failed else "starting", "components": statuses},
                    status_code=503, headers={"Retry-After": "5"})
