"""A shared limit on the number of calls a run may put on the wire."""

from __future__ import annotations

import threading

from pytest_idclassify.errors import BudgetExceededError, ConfigurationError


class CallBudget:
    """At most ``max_calls`` attempts on the wire, shared by every client that holds this budget.

    Each attempt counts, retries included.  :meth:`spend` is called just before an attempt is sent
    and raises :class:`BudgetExceededError` instead of letting it go out, so a live run never
    costs more than it was allowed.  Safe to share between threads and between asyncio tasks (the
    critical section never awaits).
    """

    def __init__(self, max_calls: int) -> None:
        if isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 0:
            raise ConfigurationError(
                f"CallBudget(max_calls={max_calls!r}): the budget must be a whole number >= 0 (IDCLASSIFY_CALL_BUDGET)"
            )
        self._max = max_calls
        self._used = 0
        self._lock = threading.Lock()

    @property
    def max_calls(self) -> int:
        """The number of attempts allowed in total."""
        return self._max

    @property
    def used(self) -> int:
        """The number of attempts sent so far."""
        with self._lock:
            return self._used

    @property
    def remaining(self) -> int:
        """The number of attempts that may still be sent."""
        with self._lock:
            return self._max - self._used

    def spend(self, what: str = "call") -> None:
        """Count one attempt, or raise :class:`BudgetExceededError` (nothing counted) when none is left."""
        with self._lock:
            if self._used >= self._max:
                raise BudgetExceededError(
                    f"call budget exhausted: {self._used} of {self._max} calls used, so this {what} was not sent; "
                    "raise the budget (IDCLASSIFY_CALL_BUDGET or CallBudget(max_calls=...)) or run fewer cases"
                )
            self._used += 1

    def __repr__(self) -> str:
        with self._lock:
            return f"CallBudget(max_calls={self._max}, used={self._used})"
