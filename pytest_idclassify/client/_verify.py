"""Verification of ``SDK-HMAC-SHA256`` signatures, the way the API gateway checks them."""

from __future__ import annotations

import enum
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from pytest_idclassify.client import _canonical as c
from pytest_idclassify.client._masking import mask_secret
from pytest_idclassify.errors import SignatureRejected

_AUTHORIZATION = re.compile(
    r"^(?P<alg>\S+)\s+Access=(?P<ak>[^,\s]+),\s*SignedHeaders=(?P<sh>[^,\s]+),\s*Signature=(?P<sig>[0-9a-fA-F]+)\s*$"
)
_HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^`|~-]+$")


class RejectReason(str, enum.Enum):
    """Why a signature was rejected (for logs; the caller only ever sees the gateway message)."""

    MALFORMED_AUTHORIZATION = "malformed authorization"
    MISSING_HEADER = "missing header"
    DATE_SKEW = "date skew"
    UNKNOWN_ACCESS_KEY = "unknown access key"
    BAD_SIGNATURE = "bad signature"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class VerifiedIdentity:
    """The caller a verified signature belongs to.

    Attributes:
        access_key: the AK that signed the request.
        signed_headers: the lowercase names of the signed headers, as listed in ``Authorization``.
        signed_at: the ``X-Sdk-Date`` of the request (aware UTC).
        security_token: the ``X-Security-Token`` sent with temporary credentials, or ``None``.
        project_id: the ``X-Project-Id`` header, or ``None``.

    """

    access_key: str
    signed_headers: tuple[str, ...]
    signed_at: datetime
    security_token: str | None = None
    project_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"VerifiedIdentity(access_key={mask_secret(self.access_key)!r}, signed_headers={self.signed_headers!r}, "
            f"signed_at={self.signed_at.isoformat()!r}, security_token={mask_secret(self.security_token)!r}, "
            f"project_id={self.project_id!r})"
        )


def _reject(reason: RejectReason, detail: str) -> SignatureRejected:
    return SignatureRejected(str(reason), detail)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


HeadersIn = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]


def _lower_headers(headers: HeadersIn) -> dict[str, str]:
    items: Iterable[tuple[str | bytes, str | bytes]] = headers.items() if isinstance(headers, Mapping) else headers
    # The SDK signs header values as UTF-8 text; ASGI hands them over as raw bytes.
    result: dict[str, str] = {}
    for name, value in items:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        result[_text(name).lower()] = text
    return result


def verify_aksk(
    method: str,
    raw_path: str | bytes,
    query: str | bytes | Iterable[tuple[str, str]],
    headers: HeadersIn,
    body: bytes,
    *,
    credentials: Mapping[str, str],
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=15),
) -> VerifiedIdentity:
    """Verify an ``SDK-HMAC-SHA256`` signed request; return who signed it or raise.

    Args:
        method: the HTTP method.
        raw_path: the path as it came over the wire (percent-encoded; a ``?query`` part is split off).
        query: the raw query string, or ``(name, value)`` pairs.
        headers: the request headers, a mapping or pairs, any case (ASGI's byte pairs are accepted as they are).
        body: the exact body bytes received.
        credentials: the known secret keys by access key.
        now: the current time (aware UTC) for the date check; the real clock when ``None``.
        max_skew: how far ``X-Sdk-Date`` may be from ``now`` either way (the gateway allows 15 minutes).

    Raises:
        SignatureRejected: with ``reason`` one of :class:`RejectReason` and a ``detail`` for logs.
            Its ``gateway_message`` is the ``APIG.0301`` text a client must receive in every case.

    """
    path = _text(raw_path)
    if "?" in path:
        path, _, inline_query = path.partition("?")
        if not query:
            query = inline_query
    pairs = parse_qsl(_text(query), keep_blank_values=True) if isinstance(query, (str, bytes)) else list(query)
    lowered = _lower_headers(headers)

    header = lowered.get("authorization")
    if header is None:
        raise _reject(RejectReason.MISSING_HEADER, "the request has no Authorization header")
    match = _AUTHORIZATION.match(header.strip())
    if match is None:
        raise _reject(
            RejectReason.MALFORMED_AUTHORIZATION,
            "Authorization is not 'SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=<hex>'",
        )
    if match["alg"] != c.ALGORITHM:
        raise _reject(RejectReason.MALFORMED_AUTHORIZATION, f"algorithm {match['alg']!r} is not {c.ALGORITHM}")
    signed = match["sh"].split(";")
    if any(not _HEADER_NAME.match(name) for name in signed):
        raise _reject(RejectReason.MALFORMED_AUTHORIZATION, f"SignedHeaders {match['sh']!r} is not lowercase names")
    for required in ("host", c.DATE_HEADER):
        if required not in signed:
            raise _reject(RejectReason.MISSING_HEADER, f"{required} is not among SignedHeaders {match['sh']!r}")
    for name in signed:
        if name not in lowered:
            raise _reject(RejectReason.MISSING_HEADER, f"signed header {name!r} is not in the request")
    if "x-security-token" in lowered and "x-security-token" not in signed:
        raise _reject(RejectReason.MISSING_HEADER, "x-security-token is sent but not among SignedHeaders")

    raw_date = lowered[c.DATE_HEADER]
    try:
        signed_at = c.parse_sdk_date(raw_date)
    except ValueError:
        detail = f"X-Sdk-Date {raw_date!r} is not YYYYMMDDTHHMMSSZ"
        raise _reject(RejectReason.MALFORMED_AUTHORIZATION, detail) from None
    current = now if now is not None else datetime.now(timezone.utc)
    if abs(current - signed_at) > max_skew:
        raise _reject(
            RejectReason.DATE_SKEW,
            f"X-Sdk-Date {raw_date} is {abs(current - signed_at)} from the server time {c.format_sdk_date(current)} "
            f"(allowed {max_skew})",
        )

    access_key = match["ak"]
    secret_key = credentials.get(access_key)
    if secret_key is None:
        raise _reject(RejectReason.UNKNOWN_ACCESS_KEY, f"access key {mask_secret(access_key)!r} is not known")

    canonical = c.canonical_request(method, path, pairs, lowered, signed, c.payload_hash(body, lowered))
    expected = c.signature(secret_key, c.string_to_sign(canonical, raw_date.strip()))
    if not hmac.compare_digest(expected, match["sig"].lower()):
        raise _reject(
            RejectReason.BAD_SIGNATURE,
            f"the signature does not match the canonical request of {method.upper()} {path} "
            f"with SignedHeaders {match['sh']} and a {len(body)}-byte body",
        )
    return VerifiedIdentity(
        access_key=access_key,
        signed_headers=tuple(signed),
        signed_at=signed_at,
        security_token=lowered.get("x-security-token"),
        project_id=lowered.get("x-project-id"),
    )
