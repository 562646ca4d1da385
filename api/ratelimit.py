"""Per-key token buckets: each key may burst `burst` requests, refilled at `rate` per second.

In-process: with `--workers N` each worker keeps its own buckets, so a key's ceiling is N times the rate.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Callable


class TokenBucketLimiter:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000):
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}   # key -> (tokens, last refill time)
        self._lock = threading.Lock()
        self._max_keys = max_keys

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """Take `cost` tokens. Returns 0 when allowed, else the seconds until enough tokens are back."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            allowed = tokens >= cost
            self._buckets[key] = (tokens - cost if allowed else tokens, now)
            if len(self._buckets) > self._max_keys:
                self._evict_full(now)
            return 0.0 if allowed else (cost - tokens) / self.rate

    def _evict_full(self, now: float) -> None:
        """Forget buckets that have refilled completely: they behave exactly like new ones."""
        full_after = self.burst / self.rate
        for key in [k for k, (_, last) in self._buckets.items() if now - last >= full_after]:
            del self._buckets[key]


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds; round up so a client that obeys it is let through."""
    return str(max(1, math.ceil(seconds)))
