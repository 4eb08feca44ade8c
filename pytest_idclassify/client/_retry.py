"""When to retry a call, and how long to wait first."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from pytest_idclassify.errors import ConfigurationError

#: Exceptions after which the request may not have been processed, so sending it again is safe.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


#: 5xx answers that say the server will never serve the request (RFC 9110): sending it again only spends calls.
_PERMANENT_5XX = frozenset({501, 505})


def is_retryable_status(status: int) -> bool:
    """429 (APIG.0308 throttling, ModelArts.4401 concurrency) and every 5xx but 501 and 505; never another 4xx."""
    return status == 429 or (500 <= status <= 599 and status not in _PERMANENT_5XX)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` value asks to wait (delta-seconds or HTTP date), or ``None``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or _utcnow())).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in count and in total waiting time.

    The wait before retry *n* (0-based) is uniform in ``[0, min(cap, base * 2**n)]``, unless the
    answer carries ``Retry-After``, which is honoured as given.  A retry whose wait would take the
    total past ``max_retry_time`` is not made: the last answer is returned instead.

    Attributes:
        max_retries: retries allowed after the first attempt.
        max_retry_time: total seconds of waiting allowed across retries.
        base: the first backoff ceiling in seconds.
        cap: the largest backoff ceiling in seconds.

    """

    max_retries: int = 3
    max_retry_time: float = 60.0
    base: float = 0.5
    cap: float = 20.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.max_retry_time < 0 or self.base < 0 or self.cap < 0:
            raise ConfigurationError(f"{self!r}: every bound must be >= 0 (IDCLASSIFY_MAX_RETRIES)")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Return a full-jitter backoff for retry number ``retry`` (0-based)."""
        return rng.uniform(0.0, min(self.cap, self.base * (2.0**retry)))

    def next_wait(
        self,
        *,
        retry: int,
        waited: float,
        response: httpx.Response | None,
        rng: random.Random,
        now: Callable[[], datetime] = _utcnow,
    ) -> float | None:
        """Return the seconds to wait before retry ``retry`` (0-based), or ``None`` to stop.

        ``response`` is ``None`` after a connection error or timeout.
        """
        if retry >= self.max_retries:
            return None
        if response is not None and not is_retryable_status(response.status_code):
            return None
        asked = parse_retry_after(response.headers.get("retry-after"), now()) if response is not None else None
        wait = asked if asked is not None else self.backoff(retry, rng)
        if waited + wait > self.max_retry_time:
            return None
        return wait
