"""Progress of a contract run: cases done, failures so far, calls used of the budget.

On a terminal it is one live line, rewritten after each case; in a log (CI, a pipe) it is a line
every :data:`EVERY_CASES` cases or :data:`EVERY_SECONDS` seconds, whichever comes first, so a long
run shows it is alive without flooding the log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from pytest_idclassify.report._model import attempt_count

#: in a log, write a progress line at least every this many cases...
EVERY_CASES = 25
#: ...or every this many seconds.
EVERY_SECONDS = 10.0


class Progress:
    """Counts contract cases as their reports arrive and says where the run stands.

    ``live`` rewrites one line in place (a terminal); otherwise ``write`` gets a line now and then.
    """

    def __init__(self, write: Callable[[str], None], *, live: bool, budget: int | None = None, calls_spent: int = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._write = write
        self._live = live
        self._budget = budget
        self._clock = clock
        self.total: int | None = None
        self.done = 0
        self.failed = 0
        self.calls = calls_spent
        self._last_cases = 0
        self._last_time = clock()

    def line(self) -> str:
        """Where the run stands: ``idclassify: 57/147 cases, 1 failed, 58 of 500 calls``."""
        cases = f"{self.done}/{self.total}" if self.total else str(self.done)
        calls = f"{self.calls} of {self._budget} calls" if self._budget else f"{self.calls} calls"
        return f"idclassify: {cases} cases, {self.failed} failed, {calls}"

    def add(self, record: Mapping[str, Any], *, failed: bool) -> None:
        """Count one case's record (``failed``: its test failed or erred) and show progress when due."""
        self.done += 1
        self.failed += int(failed)
        self.calls += sum(attempt_count(call) for call in record.get("calls", ()))
        now = self._clock()
        if self._live:
            self._write(self.line())
        elif self.done - self._last_cases >= EVERY_CASES or now - self._last_time >= EVERY_SECONDS:
            self._last_cases, self._last_time = self.done, now
            self._write(self.line())
