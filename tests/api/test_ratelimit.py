"""The per-key token bucket, on a controlled clock."""
from __future__ import annotations

from api.ratelimit import TokenBucketLimiter, retry_after_header


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_burst_then_refill_at_the_rate():
    clock = Clock()
    limiter = TokenBucketLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("a")
    assert 0.49 < wait <= 0.5                  # one token needs 1/rate seconds
    assert limiter.acquire("b") == 0.0        # keys have their own buckets
    clock.now += 0.5
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    clock.now += 60                            # never more than the burst
    assert [limiter.acquire("a") for _ in range(4)][-1] > 0


def test_zero_rate_disables_and_retry_after_rounds_up():
    assert TokenBucketLimiter(rate=0, burst=1).acquire("x") == 0.0
    assert retry_after_header(0.01) == "1" and retry_after_header(1.2) == "2"


def test_full_buckets_are_forgotten_when_there_are_too_many_keys():
    clock = Clock()
    limiter = TokenBucketLimiter(rate=1.0, burst=1, clock=clock, max_keys=10)
    for i in range(10):
        limiter.acquire(f"k{i}")
    clock.now += 5
    limiter.acquire("k0")
    limiter.acquire("new")  # the 11th key triggers the sweep of the refilled ones
    assert set(limiter._buckets) == {"k0", "new"}
    assert limiter.acquire("k0") > 0  # k0's state survived: it just spent its token
