"""Dependencies shared by the routers: the app state, the KGContext, readiness and blocking calls.

A new router (e.g. api/routes/curation.py) typically needs:

    from api.auth import require_role
    from api.deps import get_context, run_blocking

    @router.post("/v1/curation/facts")
    async def add_fact(body: ..., ctx = Depends(get_context), who = Depends(require_role("curator"))):
        result = await run_blocking(request, do_the_work, ctx, body, who.name)
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from fastapi import Request

from kgqa.context import KGContext
from api.errors import ApiError
from api.state import AppState

T = TypeVar("T")


def get_state(request: Request) -> AppState:
    return request.app.state.kgqa


def get_context(request: Request) -> KGContext:
    return request.app.state.kgqa.context


async def run_blocking(request: Request, fn: Callable[..., T], *args: Any, timeout_s: float | None = None,
                       what: str = "request") -> T:
    """Run `fn(*args)` in the API's thread pool with its timeout (504) and queue limit (503)."""
    return await get_state(request).runner.run(fn, *args, timeout_s=timeout_s, what=what)


def require_ready(*components: str) -> Callable:
    """A dependency: 503 with Retry-After until the named components (store, linker, ...) are loaded."""

    async def dependency(request: Request) -> None:
        state = get_state(request)
        for component in components:
            status = state.readiness.status[component]
            if status == "ready":
                continue
            if status == "failed":
                raise ApiError(503, "unavailable", f"the {component} could not be loaded; see the server log",
                               headers={"Retry-After": "30"})
            if state.config.warmup:
                raise ApiError(503, "not_ready", f"the server is still loading the {component}; retry shortly",
                               headers={"Retry-After": "5"})
            # Warm-up is off: load it now, in the pool, under the request's timeout.
            try:
                await state.runner.run(state.ensure, component, what=f"loading of the {component}")
            except ApiError:
                raise
            except Exception:  # logged by AppState._load
                raise ApiError(503, "unavailable", f"the {component} could not be loaded; see the server log",
                               headers={"Retry-After": "30"}) from None

    return dependency
