"""Numbers JSON cannot carry, as words: what the toolkit writes for other tools stays JSON.

Python's ``json`` reads ``NaN``, ``Infinity`` and a number past a double's range (``1e999``) and
writes them back as bare words that ``JSON.parse``, jq and most other tools refuse.  A body that
held one (a case sends ``"alarm": NaN`` on purpose, a client sends it by mistake) keeps it as its
word, a string.
"""

from __future__ import annotations

import math
from typing import Any


def json_words(value: Any) -> Any:
    """Return ``value`` (parsed JSON) with every float that is not finite replaced by its word, a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: json_words(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_words(item) for item in value]
    return value
