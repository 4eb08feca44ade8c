"""Throttling as the platform does it: a token bucket per credential, answered with 429 APIG.0308.

The gateway's message says ``policy user over ratelimit,limit:N,time:1 minute``: each credential
may send ``N`` requests a minute.  The emulator models that as a bucket of ``burst`` tokens (``N`` by
default, a whole minute's allowance at once) refilled at ``N / 60`` tokens a second; a request that
finds the bucket empty is refused with ``Retry-After`` set to the whole seconds until a token is
back.  The bucket's shape is the emulator's choice (the documentation states only the limit and
the window): see ``docs/reference/emulator-settings.md``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """Token buckets keyed by credential: ``per_minute`` requests a minute each, ``burst`` at once."""

    per_minute: int
    burst: int = 0
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        if self.per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.burst = self.burst or self.per_minute

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self.per_minute / 60.0

    def acquire(self, key: str) -> float | None:
        """Take a token for ``key``; return ``None`` when granted, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / self.rate


def retry_after_header(wait: float) -> str:
    """``Retry-After`` in whole seconds, rounded up so a client that honours it finds a token (at least 1)."""
    return str(max(1, math.ceil(wait)))
