"""Base64 at SIMD speed, with the standard library's exact answers.

Every request carries its image as base64, up to 10 MB of it: the suite encodes each one, and the
emulator and the cassettes decode them.  The standard library encodes at a few hundred MB/s and
decodes slower still (``validate=True`` adds a regular-expression pass over the text); pybase64
does both 20-50 times faster.  Its strict decoder also refuses a few non-canonical spellings that
the standard library accepts, such as ``AAAA=``: a text it refuses goes to the standard library,
so every caller gets exactly ``base64.b64decode(text, validate=True)``'s answer or error.
"""

from __future__ import annotations

import binascii

import pybase64


def encode(data: bytes) -> str:
    """Return the canonical base64 text of ``data``, as ``base64.b64encode(data).decode("ascii")`` does."""
    return pybase64.b64encode_as_string(data)


def decode_strict(text: str | bytes) -> bytes:
    """Decode like ``base64.b64decode(text, validate=True)``, which raises ``binascii.Error`` or ``ValueError``.

    ``ValueError`` is for a ``str`` with characters outside ASCII; ``binascii.Error`` (a subclass)
    for a character outside the alphabet or wrong padding.
    """
    try:
        return pybase64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        import base64

        return base64.b64decode(text, validate=True)
