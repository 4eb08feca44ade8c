"""Bodies: decompressed before they are redacted, then redacted as JSON, as a form or as text."""

from __future__ import annotations

import json
import zlib

from pytest_idclassify._json_words import compact_json
from pytest_idclassify.redaction._policy import RedactionPolicy

#: The most bytes a compressed body is inflated to before redaction; past it the body is dropped.
MAX_INFLATED = 32 * 1024 * 1024
# zlib's wbits: gzip framing, zlib framing, or raw deflate (what servers send as "deflate" varies).
_WBITS = {"gzip": (31,), "x-gzip": (31,), "deflate": (15, -15)}


def inflate(raw: bytes, encoding: str, limit: int = MAX_INFLATED) -> bytes | None:
    """Return ``raw`` decoded from its ``Content-Encoding``, or ``None`` when that fails within ``limit`` bytes.

    ``gzip``, ``deflate`` and (when brotli is installed) ``br`` are decoded; ``identity`` is kept.
    """
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
    data = raw
    for coding in reversed(codings):
        decoded = _inflate_one(data, coding, limit)
        if decoded is None:
            return None
        data = decoded
    return data


def _inflate_one(data: bytes, coding: str, limit: int) -> bytes | None:
    if coding == "br":
        try:
            import brotli  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            return None
        try:
            out: bytes = brotli.decompress(data)
        except Exception:  # brotli raises its own error type
            return None
        return out if len(out) <= limit else None
    for wbits in _WBITS.get(coding, ()):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, limit + 1)
        except zlib.error:
            continue
        return out if len(out) <= limit and not inflater.unconsumed_tail else None
    return None


def redact_body_bytes(raw: bytes, policy: RedactionPolicy, content_type: str = "") -> bytes:
    """Return a (decoded) body redacted: JSON by field name, a form by field name, other text as text.

    JSON that the redaction leaves unchanged keeps its exact bytes; in bytes that are not UTF-8
    (binary, or text with a stray byte) every remembered value is replaced, byte for byte.
    """
    if not raw:
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return policy.scrub_bytes(raw)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        pass
    else:
        if isinstance(value, (dict, list)):
            redacted = policy.redact_mapping(value)
            return raw if redacted == value else compact_json(redacted).encode("utf-8")
    if "x-www-form-urlencoded" in content_type.lower() or policy.looks_like_form(text):
        return policy.redact_form(text).encode("utf-8")
    return policy.redact_text(text).encode("utf-8")
