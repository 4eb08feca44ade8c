"""The compact JSON a request body is sent as, without scanning a base64 image character by character.

``json.dumps`` escapes every string it writes, so a 10 MB base64 ``data`` costs it tens of
milliseconds to copy through its escaper.  A long string of ASCII without a control character, a
quote or a backslash needs no escaping at all: it is copied as it is, and the bytes are the same as
``json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")``.  Strict base64
is such a string, and pybase64 validates it four times faster than any other scan here does, so
it is tried first; any other long string is scanned for the characters that need escaping.
"""

from __future__ import annotations

import binascii
import json
from typing import Any

import pybase64

# Below this a string goes through json.dumps: checking it would cost more than escaping it.
_LONG = 1 << 16
_NEEDS_ESCAPE = frozenset(range(0x20)) | {ord('"'), ord("\\")}
_NO_ESCAPE = bytes(sorted(set(range(0x80)) - _NEEDS_ESCAPE))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _plain(raw: bytes) -> bool:
    """Whether the ASCII ``raw`` holds no character JSON escapes (a control character, a quote, a backslash)."""
    try:
        pybase64.b64decode(raw, validate=True)  # strict base64: letters, digits, "+", "/" and "=" only
        return True
    except (binascii.Error, ValueError):
        return not raw.translate(None, _NO_ESCAPE)  # nothing is left once the plain characters are removed


def _value(value: Any) -> tuple[bytes, ...]:
    if isinstance(value, str) and len(value) >= _LONG and value.isascii():
        raw = value.encode("ascii")
        if _plain(raw):
            return b'"', raw, b'"'
    return (_dumps(value),)


def encode_json(body: Any) -> bytes:
    """Return ``body`` as compact UTF-8 JSON, byte for byte what ``json.dumps`` gives, its long plain strings copied."""
    if not (isinstance(body, dict) and all(isinstance(key, str) for key in body)):
        return _dumps(body)
    parts = [b"{"]
    for index, (key, item) in enumerate(body.items()):
        parts += (b"," if index else b"", _dumps(key), b":", *_value(item))
    parts.append(b"}")
    return b"".join(parts)  # the long string is copied once, into the body
