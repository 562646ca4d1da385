"""Blocking work (store reads, linking, answering, triage) runs in a bounded thread pool with a timeout.

- more jobs waiting than `max_queue` -> 503 "busy" at once (with Retry-After), instead of piling up;
- a job that takes longer than its timeout -> 504; its thread finishes in the background and keeps its
  slot until then, so timed-out work can never multiply the load.
Errors the user can fix (UserError, ModelError, TriageInputError, ...) become 422; a store that fails becomes 503.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from kg.model import ModelError
from kg.store.base import StoreError
from api.errors import ApiError

log = logging.getLogger("kgqa.api")
T = TypeVar("T")


# Exceptions that mean "the request was wrong", raised by the parts the API calls (module, class name).
_USER_ERRORS = [("kgqa.cli", "UserError"), ("qa.abstain", "EmptyQuestionError"), ("qa.llm", "UnknownLLMError"),
                ("qa.triage", "TriageInputError")]


def _user_error_types() -> tuple[type[BaseException], ...]:
    import importlib
    found: list[type[BaseException]] = [ModelError]
    for module_name, class_name in _USER_ERRORS:
        try:
            found.append(getattr(importlib.import_module(module_name), class_name))
        except (ImportError, AttributeError):  # that part is not installed or not written yet
            continue
    return tuple(found)


class BlockingRunner:
    def __init__(self, threads: int, timeout_s: float, max_queue: int):
        self.threads = threads
        self.timeout_s = timeout_s
        self.max_queue = max_queue
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kgqa-api")
        self._pending = 0
        self._lock = threading.Lock()
        self._user_errors = _user_error_types()

    @property
    def pending(self) -> int:
        return self._pending

    def _done(self, _: Future) -> None:
        with self._lock:
            self._pending -= 1

    async def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None, what: str = "request") -> T:
        with self._lock:
            if self._pending >= self.threads + self.max_queue:
                raise ApiError(503, "busy", "the server is busy; retry shortly", headers={"Retry-After": "1"})
            self._pending += 1
        try:
            future = self._pool.submit(fn, *args)
        except BaseException:
            with self._lock:
                self._pending -= 1
            raise
        future.add_done_callback(self._done)
        limit = timeout_s or self.timeout_s
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except (asyncio.TimeoutError, TimeoutError):
            future.cancel()  # drops it if it has not started; a running thread finishes on its own
            raise ApiError(504, "timeout", f"the {what} took longer than {limit:g} s; try a shorter or simpler one")
        except ApiError:
            raise
        except self._user_errors as exc:
            raise ApiError(422, "invalid_request", str(exc)) from None
        except StoreError:
            log.exception("store error during %s", what)
            raise ApiError(503, "store_unavailable", "the graph store failed; retry later",
                           headers={"Retry-After": "5"}) from None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
