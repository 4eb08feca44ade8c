"""The client's request bodies are exactly the compact JSON ``json.dumps`` writes, long plain strings included."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pytest_idclassify.client._encoding import encode_json

LONG = 1 << 16


def _reference(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                         max_size=3))  # fmt: skip
# Long strings near what the plain-copy path decides on: plain base64, and with one character to escape.
long_strings = st.builds(
    lambda prefix, odd, position: (prefix * (LONG // len(prefix) + 1))[:position] + odd + "A" * 8,
    st.sampled_from(["QUJD", "aGVsbG8gd29ybGQ=", "+/09"]),
    st.sampled_from(["", '"', "\\", "\n", "\x00", "\x1f", "\x7f", "é", "\ud800", "=", " "]),
    st.integers(LONG - 10, LONG + 10),
)


@given(st.dictionaries(st.text(max_size=8), values | long_strings, max_size=4))
def test_a_body_is_what_json_dumps_writes(body: dict[str, Any]) -> None:
    try:
        expected = _reference(body)
    except UnicodeEncodeError:  # a lone surrogate: both refuse it
        try:
            encode_json(body)
        except UnicodeEncodeError:
            return
        raise AssertionError("a lone surrogate was sent") from None
    assert encode_json(body) == expected


def test_a_request_with_a_10_mb_image_is_byte_for_byte_the_same() -> None:
    data = base64.b64encode(bytes(range(256)) * 30_000).decode()
    for body in ({"data": data, "alarm": True}, {"alarm": False, "data": data}, [data], data, {1: data}):
        assert encode_json(body) == _reference(body)
