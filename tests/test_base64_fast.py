"""The fast base64 helpers give exactly the standard library's answers, errors included."""

from __future__ import annotations

import base64
import binascii

import pybase64
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pytest_idclassify._base64 import decode_strict, encode

# The alphabet, padding, the URL-safe pair, white space, a NUL and non-ASCII: every way a text can be
# off by one character.
_CHARACTERS = "ABCQRgw019+/=-_ \n\r\t\x00é"


def _stdlib(text: str | bytes) -> bytes | type[Exception]:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        return type(exc)


def _ours(text: str | bytes) -> bytes | type[Exception]:
    try:
        return decode_strict(text)
    except (binascii.Error, ValueError) as exc:
        return type(exc)


@settings(max_examples=3000)
@given(st.text(alphabet=_CHARACTERS, max_size=24))
@example("AAAA=")  # the standard library takes it; pybase64's strict decoder does not
@example("QUJD=")
@example("QQ==QQ==")
@example("QR==")
def test_decoding_any_text_answers_as_the_standard_library_does(text: str) -> None:
    assert _ours(text) == _stdlib(text)
    if text.isascii():
        assert _ours(text.encode("ascii")) == _stdlib(text.encode("ascii"))


@settings(max_examples=500)
@given(st.binary(max_size=300), st.sampled_from(["", "=", "==", "\n", "A", "AA=", "===="]))
def test_canonical_text_and_its_neighbours_answer_as_the_standard_library_does(data: bytes, suffix: str) -> None:
    text = base64.b64encode(data).decode("ascii")
    assert _ours(text) == data
    assert _ours(text + suffix) == _stdlib(text + suffix)
    assert _ours(text.rstrip("=")) == _stdlib(text.rstrip("="))


def test_the_standard_library_is_needed_for_what_pybase64_refuses() -> None:
    # Why decode_strict falls back: without it, "AAAA=" would be refused where the standard library
    # (and so every verdict recorded before) decoded it.
    with pytest.raises(binascii.Error):
        pybase64.b64decode("AAAA=", validate=True)
    assert decode_strict("AAAA=") == base64.b64decode("AAAA=", validate=True) == b"\x00\x00\x00"


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_encoding_gives_the_standard_librarys_text(data: bytes) -> None:
    assert encode(data) == base64.b64encode(data).decode("ascii")


def test_a_megabyte_round_trips() -> None:
    data = bytes(range(256)) * 4096 + b"\x01\x02"
    assert encode(data) == base64.b64encode(data).decode("ascii")
    assert decode_strict(encode(data)) == data
