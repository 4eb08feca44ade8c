"""The SDK-HMAC-SHA256 canonical request, shared by the signer and the verifier.

Each function mirrors one step of ``huaweicloudsdkcore/signer/signer.py`` so that a signature made
here verifies with the official SDK and the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "x-sdk-date"
CONTENT_SHA256_HEADER = "x-sdk-content-sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def format_sdk_date(moment: datetime) -> str:
    """Format an aware (or naive UTC) datetime as ``YYYYMMDDTHHMMSSZ``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime(DATE_FORMAT)


def parse_sdk_date(value: str) -> datetime:
    """Parse ``YYYYMMDDTHHMMSSZ`` into an aware UTC datetime (``ValueError`` when malformed)."""
    return datetime.strptime(value.strip(), DATE_FORMAT).replace(tzinfo=timezone.utc)


def _encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    """Percent-encode each segment of ``path`` (decoded first, as the SDK does) and end it with ``/``."""
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Sort the query parameters by name (then value) and join them as encoded ``name=value``."""
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in sorted(pairs))


def payload_hash(body: bytes, headers: Mapping[str, str]) -> str:
    """Return the hex SHA-256 of ``body``, or ``UNSIGNED-PAYLOAD`` when the request declares it.

    ``headers`` must have lowercase names.
    """
    if not body:
        return EMPTY_SHA256
    if headers.get(CONTENT_SHA256_HEADER, "").strip() == UNSIGNED_PAYLOAD:
        return UNSIGNED_PAYLOAD
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    body_hash: str,
) -> str:
    """Assemble the six-part canonical request (``headers`` with lowercase names)."""
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            canonical_headers,
            ";".join(signed_headers),
            body_hash,
        ]
    )


def string_to_sign(canonical: str, sdk_date: str) -> str:
    """Return the algorithm, the date and the canonical request's hex SHA-256, one per line."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{sdk_date}\n{digest}"


def signature(secret_key: str, to_sign: str) -> str:
    """Return the hex HMAC-SHA256 of ``to_sign`` keyed with the secret key's bytes."""
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key: str, signed_headers: list[str], sig: str) -> str:
    """Return the ``Authorization`` header value."""
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed_headers)}, Signature={sig}"
