"""Fault injection: latency, throttling, 5xx answers, dropped connections and truncated bodies.

Grammar, shared by the ``fault`` setting and the ``X-Idclassify-Fault`` request header: items
separated by ``;`` or ``,``, each one of

- ``latency=SECONDS``    wait before answering (combines with any other item);
- ``throttle``           answer 429 APIG.0308 with ``Retry-After`` (``throttle=SECONDS`` sets it);
- ``error=STATUS``       answer 500 APIG.0601, 503 ModelArts.4403 or 504 APIG.0201 'Backend timeout.';
- ``error=CODE``         answer any documented error code, e.g. ``error=ModelArts.4402``;
- ``drop``               close the connection without sending anything;
- ``truncate``           send the status and headers, then half of the body, then close.

At most one of throttle, error, drop and truncate may be given.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass

from pytest_idclassify._tables import documented_tables
from pytest_idclassify.errors import ConfigurationError

FAULT_HEADER = "X-Idclassify-Fault"
FAULTS_DOC = "docs/how-to/inject-faults.md"
#: the longest fault specification read; a header is small, and a longer one is a mistake or an attack.
MAX_FAULT_LENGTH = 200
# Numbers in ASCII digits only, a few of them: ``int()`` would also take superscript or Arabic-Indic digits, or spend
# quadratic time on 4,301 digits before it refuses them.
_WHOLE = re.compile(r"[0-9]{1,6}")
_SECONDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{0,6})?|\.[0-9]{1,6}")

#: the documented answer of each ``error=STATUS`` shorthand: (code, message for codes listed twice).
ERROR_BY_STATUS: dict[int, tuple[str, str | None]] = {
    500: ("APIG.0601", None),
    503: ("ModelArts.4403", None),
    504: ("APIG.0201", "Backend timeout."),
}


@dataclass(frozen=True)
class Fault:
    """A parsed fault: optional latency plus at most one of throttle, error, drop or truncate."""

    latency: float = 0.0
    kind: str = ""
    code: str = ""
    message: str | None = None
    retry_after: int | None = None


def parse_fault(text: str, *, source: str = FAULT_HEADER) -> Fault:
    """Parse a fault specification; :class:`ConfigurationError` names the bad item and the grammar."""
    latency = 0.0
    kind = ""
    code = ""
    message: str | None = None
    retry_after: int | None = None

    def bad(item: str, why: str) -> ConfigurationError:
        return ConfigurationError(
            f"{source}: {item!r} {why}; write items such as 'latency=0.2', 'throttle', 'error=503', 'drop' or "
            f"'truncate', separated by ';' (see {FAULTS_DOC})"
        )

    if len(text) > MAX_FAULT_LENGTH:
        raise ConfigurationError(
            f"{source}: {len(text)} characters, over the {MAX_FAULT_LENGTH} a fault specification may have; "
            f"write items such as 'latency=0.2;error=503' (see {FAULTS_DOC})"
        )
    for raw in text.replace(",", ";").split(";"):
        item = raw.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        name, value = name.strip().lower(), value.strip()
        if name == "latency":
            if not _SECONDS.fullmatch(value):
                raise bad(item, "needs a number of seconds in ASCII digits")
            latency = float(value)
            if not 0.0 <= latency <= 300.0:
                raise bad(item, "must be within 0..300 seconds")
            continue
        if name not in {"throttle", "error", "drop", "truncate"}:
            raise bad(item, "is not a fault")
        if kind:
            raise bad(item, f"cannot be combined with {kind!r}")
        kind = name
        if name == "throttle" and value:
            if not _WHOLE.fullmatch(value):
                raise bad(item, "needs whole seconds for Retry-After, in ASCII digits")
            retry_after = int(value)
        elif name == "error":
            code, message = _error_target(value, bad(item, "needs 500, 503, 504 or a documented error code"))
        elif value:
            raise bad(item, "takes no value")
    return Fault(latency=latency, kind=kind, code=code, message=message, retry_after=retry_after)


def _error_target(value: str, problem: ConfigurationError) -> tuple[str, str | None]:
    if _WHOLE.fullmatch(value):
        if int(value) not in ERROR_BY_STATUS:
            raise problem
        return ERROR_BY_STATUS[int(value)]
    tables = documented_tables()
    for row in tables.error_codes:
        if row.code.lower() == value.lower():
            return row.code, None
    raise problem


class FaultSchedule:
    """Decides which requests of a run get the run's fault: every Nth, with a seeded probability, or all.

    The counter and the generator are per process: with several uvicorn workers each keeps its own.
    """

    def __init__(self, fault: Fault | None, *, every: int, probability: float, seed: int) -> None:
        self._fault = fault
        self._every = every
        self._probability = probability
        self._random = random.Random(seed)
        self._count = 0
        self._lock = threading.Lock()

    def next(self) -> Fault | None:
        """Count one request and return the run's fault if this request gets it."""
        if self._fault is None:
            return None
        with self._lock:
            self._count += 1
            if self._every:
                return self._fault if self._count % self._every == 0 else None
            if self._probability:
                return self._fault if self._random.random() < self._probability else None
            return self._fault
