r"""What JSON readers elsewhere cannot take, made so they can: what the toolkit writes for other tools stays JSON.

Python's ``json`` reads ``NaN``, ``Infinity`` and a number past a double's range (``1e999``) and
writes them back as bare words that ``JSON.parse``, jq and most other tools refuse.  A body that
held one (a case sends ``"alarm": NaN`` on purpose, a client sends it by mistake) keeps it as its
word, a string.

JSON also reads an escaped lone surrogate (``"\ud800"`` in the text), a character UTF-8 has no bytes for:
:func:`compact_json` keeps it escaped, so the text it writes always encodes.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_words(value: Any) -> Any:
    """Return ``value`` (parsed JSON) with every float that is not finite replaced by its word, a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: json_words(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_words(item) for item in value]
    return value


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text``, if it holds one."""
    found = _LONE_SURROGATE.search(text)
    return found.group() if found else None


def compact_json(value: Any, *, sort_keys: bool = False) -> str:
    r"""Dump JSON with no spaces and UTF-8 characters kept, a lone surrogate as its ``\uXXXX`` escape.

    ``json.dumps`` escapes nothing with ``ensure_ascii=False``, and a lone surrogate (which a client
    may send escaped) then makes the text fail to encode as UTF-8.  Only a string can hold one, so
    its escape is valid JSON and reads back as the same string.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
