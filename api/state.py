"""What one server process holds: the KGContext, the key ring, the rate limiter, the thread pool and
the readiness of each component (warmed up in a background thread at start-up)."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from kgqa.context import KGContext
from api.auth import KeyRing
from api.blocking import BlockingRunner
from api.config import ApiConfig
from api.ratelimit import TokenBucketLimiter

log = logging.getLogger("kgqa.api")

# Components in warm-up order; each route names the ones it needs (see deps.require_ready).
COMPONENTS = ("store", "linker", "retriever", "triager", "answerer")


# One call per component after loading it: parts load some things on first use (the embedding model),
# and the first client should not pay for that (nor time out on it).
def _warm_linker(linker) -> None:
    linker.link("fever and a headache")
    embedder = getattr(linker, "embedder", None)  # the dense path loads its model on first use
    if embedder is not None:
        embedder.encode(["my tummy hurts"])


_WARM_CALLS = {
    "linker": _warm_linker,
    "triager": lambda triager: triager.triage("I have a fever and a headache"),
}


@dataclass
class Readiness:
    status: dict[str, str] = field(default_factory=lambda: {c: "pending" for c in COMPONENTS})
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(s == "ready" for s in self.status.values())


class AppState:
    def __init__(self, context: KGContext, config: ApiConfig, keyring: KeyRing, own_context: bool):
        self.context = context
        self.config = config
        self.keyring = keyring
        self.own_context = own_context
        self.limiter = TokenBucketLimiter(config.rate_per_second, config.rate_burst)
        self.runner = BlockingRunner(config.threads, config.timeout_s, config.max_queue)
        self.readiness = Readiness()
        self._warm_thread: threading.Thread | None = None
        self._ensure_lock = threading.Lock()

    def warm_up(self, background: bool = True) -> None:
        if background:
            self._warm_thread = threading.Thread(target=self._warm, name="kgqa-api-warmup", daemon=True)
            self._warm_thread.start()
        else:
            self._warm()

    def ensure(self, component: str) -> None:
        """Build one component now (used when warm-up is off): the first request pays for it."""
        with self._ensure_lock:
            if self.readiness.status[component] != "ready":
                self._load(component)

    def _load(self, component: str) -> None:
        started = time.perf_counter()
        self.readiness.status[component] = "loading"
        try:
            value = getattr(self.context, component)
            if component == "store":
                value.version()  # touches the file / server: fails here rather than in a request
        except Exception:
            self.readiness.status[component] = "failed"
            log.exception("could not load the %s", component)
            raise
        warm = _WARM_CALLS.get(component)
        if warm is not None:
            try:
                warm(value)
            except Exception:  # the component loaded; a failing sample call is worth a warning, not an outage
                log.warning("warm-up call of the %s failed", component, exc_info=True)
        self.readiness.seconds[component] = round(time.perf_counter() - started, 3)
        self.readiness.status[component] = "ready"
        log.info("%s ready in %.2f s", component, self.readiness.seconds[component])

    def _warm(self) -> None:
        for component in COMPONENTS:
            try:
                self._load(component)
            except Exception:
                if component == "store":  # nothing else can work without the graph
                    for rest in COMPONENTS[1:]:
                        self.readiness.status[rest] = "failed"
                    return

    def close(self) -> None:
        self.runner.shutdown()
        if self.own_context:
            self.context.close()
