"""What a call sent and what came back, as plain frozen values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import httpx

from pytest_idclassify.client._masking import mask_header

_MISSING = object()


def summarize_data(value: str) -> str:
    """Summarise a base64 ``data`` value as ``<base64 N chars sha256:abcdef012345...>``."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"<base64 {len(value)} chars sha256:{digest[:12]}...>"


def summarize_body(body: Any) -> Any:
    """Return ``body`` with a string ``data`` field replaced by :func:`summarize_data` (other values kept)."""
    if isinstance(body, dict) and isinstance(body.get("data"), str):
        return {**body, "data": summarize_data(body["data"])}
    return body


def _masked(headers: httpx.Headers) -> httpx.Headers:
    # Original name case and order are kept for display; lookups stay case-insensitive.
    pairs = [(name.decode("latin-1"), value.decode("utf-8", "replace")) for name, value in headers.raw]
    # UTF-8 both ways: a server may send any bytes in a value (``X-Note: café``), and httpx's ASCII default raises.
    return httpx.Headers([(name, mask_header(name, value)) for name, value in pairs], encoding="utf-8")


def _decode_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Too deep for the parser (the client refuses such answers first; see max_json_depth).
        return _MISSING


@dataclass(frozen=True)
class SentRequest:
    """The request as it went on the wire (last attempt), with secrets masked.

    Attributes:
        method: the HTTP method.
        url: the full URL.
        headers: the headers sent, secrets masked (see :func:`mask_headers`); lookups ignore case.
        content: the exact body bytes sent (kept out of the repr: it may hold megabytes of base64).

    """

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes = field(repr=False)

    @classmethod
    def from_httpx(cls, request: httpx.Request) -> SentRequest:
        """Capture an :class:`httpx.Request` that has been sent."""
        return cls(request.method, str(request.url), _masked(request.headers), request.content)

    @property
    def is_json(self) -> bool:
        """Whether the body sent was valid JSON."""
        return _decode_json(self.content) is not _MISSING

    @property
    def body(self) -> Any:
        """The body sent, parsed from JSON; the text (or ``None`` for no body) when it was not JSON."""
        if not self.content:
            return None
        parsed = _decode_json(self.content)
        if parsed is _MISSING:
            return self.content.decode("utf-8", "replace")
        return parsed

    def summary(self) -> Any:
        """The body sent with ``data`` reduced to a summary: what reports and logs show."""
        return summarize_body(self.body)

    def __repr__(self) -> str:
        from pytest_idclassify.redaction import redact_text

        return redact_text(
            f"SentRequest(method={self.method!r}, url={self.url!r}, headers={dict(self.headers.items())!r}, "
            f"body={self.summary()!r})"
        )


@dataclass(frozen=True)
class Outcome:
    """The answer to one call (after retries).

    Attributes:
        status: the HTTP status code.
        body: the parsed JSON body, or the raw text when the body is not JSON (see ``is_json``).
        is_json: whether the body parsed as JSON.
        headers: the response headers (secrets masked); lookups ignore case.
        request_id: the ``X-Request-Id`` header, or ``None``.
        elapsed: seconds taken by the last attempt.
        total_elapsed: seconds taken by the whole call, waits between retries included.
        attempts: how many attempts went on the wire.
        waits: the seconds waited before each retry.
        sent: the request as sent by the last attempt.

    """

    status: int
    body: Any
    is_json: bool
    headers: Mapping[str, str]
    request_id: str | None
    elapsed: float
    total_elapsed: float
    attempts: int
    waits: tuple[float, ...]
    sent: SentRequest

    @classmethod
    def from_httpx(
        cls, response: httpx.Response, *, attempts: int, waits: tuple[float, ...], total_elapsed: float
    ) -> Outcome:
        """Build an outcome from a read :class:`httpx.Response`."""
        parsed = _decode_json(response.content)
        is_json = parsed is not _MISSING
        return cls(
            status=response.status_code,
            body=parsed if is_json else response.text,
            is_json=is_json,
            headers=_masked(response.headers),
            request_id=response.headers.get("x-request-id"),
            elapsed=response.elapsed.total_seconds(),
            total_elapsed=total_elapsed,
            attempts=attempts,
            waits=waits,
            sent=SentRequest.from_httpx(response.request),
        )

    def __repr__(self) -> str:
        from pytest_idclassify.redaction import redact_text

        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return redact_text(f"Outcome({shown})")

    @property
    def error_code(self) -> str | None:
        """The ``error_code`` of an error body, or ``None``."""
        return self.body.get("error_code") if isinstance(self.body, dict) else None

    @property
    def error_msg(self) -> str | None:
        """The ``error_msg`` of an error body, or ``None``."""
        return self.body.get("error_msg") if isinstance(self.body, dict) else None


@dataclass(frozen=True)
class Attempt:
    """One attempt of a call on the wire: its answer, or the connection error that stood in for one.

    Attributes:
        outcome: the answer (``None`` when the attempt got none).
        error: ``"<exception type>: <message>"`` when the attempt got no answer, else ``None``.
        elapsed: seconds the attempt took.

    """

    outcome: Outcome | None
    error: str | None
    elapsed: float

    @property
    def status(self) -> int | None:
        """The answer's HTTP status, or ``None`` for a connection error."""
        return self.outcome.status if self.outcome is not None else None
