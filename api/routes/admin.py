"""Operator views (admin keys): readiness with load times, the thread pool, limits and keys by role."""
from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Depends

from api.auth import require_role
from api.deps import get_state
from api.errors import error_responses
from api.models import AdminStatus
from api.state import AppState

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/status", response_model=AdminStatus, summary="server status for operators (admin keys only)",
            responses=error_responses(401, 403, 429))
async def status(_=Depends(require_role("admin")), state: AppState = Depends(get_state)) -> dict:
    cfg = state.config
    file_roles = Counter(r.role for r in state.keyring.key_file.records() if r.active) if state.keyring.key_file else {}
    return {
        "components": dict(state.readiness.status),
        "load_seconds": dict(state.readiness.seconds),
        "pending_jobs": state.runner.pending,
        "threads": cfg.threads,
        "limits": {"max_body_bytes": cfg.max_body_bytes, "rate_per_second": cfg.rate_per_second,
                   "rate_burst": cfg.rate_burst, "timeout_s": cfg.timeout_s, "ask_timeout_s": cfg.ask_timeout_s,
                   "max_queue": cfg.max_queue},
        "cors_origins": list(cfg.cors_origins),
        "keys": {"settings": dict(Counter(p.role for p in state.keyring.settings_principals())),
                 "file": dict(file_roles)},
    }
