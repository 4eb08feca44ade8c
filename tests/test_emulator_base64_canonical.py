"""The emulator's canonical-base64 check gives the re-encoding's answer without re-encoding."""

from __future__ import annotations

import base64
import binascii
import itertools

from hypothesis import given
from hypothesis import strategies as st

from pytest_idclassify.emulator._pipeline import _canonical

# Unused bits all zero (A, Q), only the low two zero (E), none zero (/), and padding.
_ALPHABET = b"AQE/="


def _decoded(raw: bytes) -> bytes | None:
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def test_every_short_text_gets_the_re_encodings_answer() -> None:
    checked = 0
    for length in range(9):
        for letters in itertools.product(_ALPHABET, repeat=length):
            raw = bytes(letters)
            decoded = _decoded(raw)
            if decoded is not None:
                checked += 1
                assert _canonical(raw) == (base64.b64encode(decoded) == raw), raw
    assert checked > 10_000


@given(st.binary(max_size=64), st.integers(0, 63))
def test_a_changed_unused_bit_is_not_canonical(data: bytes, bits: int) -> None:
    text = base64.b64encode(data)
    assert _canonical(text)
    padding = len(text) - len(text.rstrip(b"="))
    if padding:
        alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        unused = (1 << (2 * padding)) - 1
        last = alphabet.index(text[-padding - 1])
        spelled = text[: -padding - 1] + bytes([alphabet[last | (bits & unused)]]) + text[-padding:]
        assert _canonical(spelled) == (spelled == text)
