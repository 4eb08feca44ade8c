"""How deep JSON nests, read from its brackets and strings alone: no parsing, no recursion, linear time.

The client bounds the depth of an answer before parsing it, and the cassette tools keep a body too
deep to walk as text: both read nesting the same way, here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# A JSON string (escapes included) or one bracket.  An unterminated string runs to the end, so the
# scan never goes back over what a string held (which would take time quadratic in the text), and
# valid JSON, whose strings all end, is read the same.
_TOKEN = r'"[^"\\]*(?:\\.[^"\\]*)*"?|(?P<open>[\[{])|(?P<close>[\]}])'
_TEXT_TOKENS = re.compile(_TOKEN, re.S)
_BYTE_TOKENS = re.compile(_TOKEN.encode(), re.S)


def nests_deeper(text: str | bytes, limit: int) -> bool:
    """Tell whether JSON ``text`` (or its UTF-8 bytes) nests arrays and objects, outside strings, over ``limit``."""
    tokens: Iterator[re.Match[Any]]
    if isinstance(text, str):
        opened, tokens = text.count("[") + text.count("{"), _TEXT_TOKENS.finditer(text)
    else:
        opened, tokens = text.count(b"[") + text.count(b"{"), _BYTE_TOKENS.finditer(text)
    if opened <= limit:
        return False
    depth = 0
    for match in tokens:
        if match.lastgroup == "open":
            depth += 1
            if depth > limit:
                return True
        elif match.lastgroup == "close":
            depth -= 1
    return False
