"""The request journal: what the emulator was sent and what it answered, for application tests to assert on.

Every request to the API path is journaled once it is answered, redacted as cassettes are (tokens,
signatures and secret headers replaced, the project id as ``{project_id}``) and with its body
summarised: ``data`` becomes the image's digest (sha256, length, format, size), never its bytes.
The journal keeps the newest ``journal_size`` entries only, so a long-running emulator holds a
bounded amount of memory.  Read it from Python (``app.state.journal``, or the ``idclassify_emulator``
fixture's ``.requests``) or over HTTP (``GET /__idclassify/requests``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: bodies up to this size are summarised field by field; larger ones (an image) from the parsed request.
SMALL_BODY = 64 * 1024
#: a body with more commas and colons than this (a request has a few) that was not parsed into a
#: request (refused, stubbed or forwarded) is journalled by its size alone: an 11.8 MB object of
#: 850,000 keys took 9 s to summarise on the event loop and kept 110 MiB per journal entry.
SUMMARY_MAX_COMMAS = 1024

_FILTERS = ("method", "path", "status", "error_code", "image_sha256", "label", "alarm", "url", "stub", "request_id")


@dataclass(frozen=True)
class JournalEntry:
    """One answered request, redacted.

    Attributes:
        seq: its number since the emulator started (1 for the first), unchanged by :meth:`Journal.clear`.
        received_at: when it arrived (seconds since the epoch).
        method: the HTTP method.
        path: the path, with the project id as ``{project_id}``.
        headers: the request headers, secrets replaced by ``[REDACTED]``; names lower-case.
        body: the body summary: its JSON fields with ``data`` as a digest, or ``{"bytes": N}`` when it was
            not a JSON object; a number JSON cannot carry (``NaN``, ``1e999``) as that word, a string.
        image_sha256: the sha256 of the image sent in ``data`` (decoded bytes), or ``None``.
        label: the label embedded in that image (see :func:`~pytest_idclassify.emulator.embed_label`), or ``None``.
        url: the ``url`` sent (signed query parameters hidden), or ``None``.
        alarm: the ``alarm`` the request asked for (``False`` when absent), or ``None`` when the body was unreadable.
        status: the HTTP status answered.
        error_code: the ``error_code`` answered, or ``None`` for a 200.
        request_id: the ``X-Request-Id`` answered.
        duration: seconds from the request's arrival to its answer.
        stub: the name of the stub that answered, or ``None``.
        proxied: whether the answer came from the upstream service (or a replayed recording of it).
        reason: why the emulator refused the request, in its own words (the answer carries only the
            documented message: "verify aksk signature fail" for every signature fault), or ``None``.

    """

    seq: int
    received_at: float
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    image_sha256: str | None
    label: str | None
    url: str | None
    alarm: bool | None
    status: int
    error_code: str | None
    request_id: str
    duration: float
    stub: str | None = None
    proxied: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-able data (what ``GET /__idclassify/requests`` lists)."""
        out = asdict(self)
        out["headers"] = dict(self.headers)
        return out

    def matches(self, **filters: Any) -> bool:
        """Whether every given field equals its filter (``header={"name": "value"}`` checks request headers)."""
        _check_filters(filters)
        for name, wanted in filters.items():
            if name == "header":
                if not all(self.headers.get(k.lower()) == v for k, v in dict(wanted).items()):
                    return False
            elif getattr(self, name) != wanted:
                return False
        return True


def _check_filters(filters: Mapping[str, Any]) -> None:
    unknown = sorted(set(filters) - {*_FILTERS, "header"})
    if unknown:
        known = ", ".join(_FILTERS)
        raise TypeError(f"cannot filter journal entries by {unknown[0]!r}; use one of {known} or header")


@dataclass
class Journal:
    """The newest ``size`` answered requests, oldest first; safe to read while the server runs."""

    size: int = 1000
    _entries: deque[JournalEntry] = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _seq: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        # A size of 0 turns the journal off: the deque then keeps nothing.
        self._entries = deque(maxlen=max(self.size, 0))

    def next_seq(self) -> int:
        """Number the next entry."""
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, entry: JournalEntry) -> None:
        """Append an entry, dropping the oldest past the size."""
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> int:
        """Forget every entry; return how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count

    def entries(self) -> list[JournalEntry]:
        """A snapshot of the entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __getitem__(self, index: int) -> JournalEntry:
        return self.entries()[index]

    @property
    def last(self) -> JournalEntry:
        """The newest entry.

        Raises:
            AssertionError: nothing has been journaled.

        """
        entries = self.entries()
        if not entries:
            raise AssertionError("the emulator has answered no request yet (its journal is empty)")
        return entries[-1]

    def filter(self, **filters: Any) -> list[JournalEntry]:
        """The entries whose fields equal ``filters`` (e.g. ``status=200, alarm=True``), oldest first."""
        _check_filters(filters)
        return [entry for entry in self.entries() if entry.matches(**filters)]

    def count(self, **filters: Any) -> int:
        """How many entries match ``filters``."""
        return len(self.filter(**filters))

    def assert_count(self, expected: int, **filters: Any) -> list[JournalEntry]:
        """Fail unless exactly ``expected`` entries match ``filters``; return them.

        The failure lists what the emulator did receive, so a test shows what the application sent.
        """
        found = self.filter(**filters)
        if len(found) != expected:
            raise AssertionError(
                f"expected {expected} request(s) matching {_shown(filters)}{_redacted(filters)}, the emulator "
                f"received {len(found)}; its journal:\n{self.describe()}"
            )
        return found

    def assert_received(self, **filters: Any) -> JournalEntry:
        """Fail unless at least one entry matches ``filters``; return the newest that does."""
        found = self.filter(**filters)
        if not found:
            raise AssertionError(
                f"the emulator received no request matching {_shown(filters)}{_redacted(filters)}; "
                f"its journal:\n{self.describe()}"
            )
        return found[-1]

    def describe(self, limit: int = 20) -> str:
        """One line per entry (the newest ``limit``), for failure messages."""
        entries = self.entries()
        if not entries:
            return "  (empty)"
        lines = [f"  #{e.seq} {e.method} {e.path} -> {e.status} {e.error_code or ''} " + _what(e) for e in entries]
        hidden = len(lines) - limit
        return "\n".join(([f"  ... {hidden} older"] if hidden > 0 else []) + lines[-limit:])


def _what(entry: JournalEntry) -> str:
    parts = []
    if entry.image_sha256:
        parts.append(f"image sha256:{entry.image_sha256[:12]}")
    if entry.label:
        parts.append(f"label {entry.label}")
    if entry.url:
        parts.append(f"url {entry.url}")
    if entry.alarm is not None:
        parts.append(f"alarm={str(entry.alarm).lower()}")
    if entry.stub:
        parts.append(f"stub {entry.stub}")
    if entry.reason:
        parts.append(f"refused: {entry.reason}")
    return ", ".join(parts)


def _redacted(filters: Mapping[str, Any]) -> str:
    """A note when a header filter asks for a value the journal never keeps (a credential's)."""
    from pytest_idclassify.redaction import REDACTED, default_policy

    wanted = dict(filters.get("header") or {})
    policy = default_policy()
    hidden = [name for name, value in wanted.items() if policy.is_secret_name(name) and value != REDACTED]
    if not hidden:
        return ""
    return (f" (the journal keeps {', '.join(hidden)} as {REDACTED}: check that the header was sent with "
            f"'{hidden[0].lower()}' in entry.headers instead)")  # fmt: skip


def _shown(filters: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in filters.items()) or "anything"
