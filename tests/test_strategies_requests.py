"""Property tests of the case strategies: valid draws pass the schema, invalid draws break exactly their clause."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given, settings

from pytest_idclassify.cases import Case, Expect, ImageSource, UrlImage
from pytest_idclassify.catalogue import BASE64_LIMIT_BINARY, catalogue
from pytest_idclassify.strategies import invalid_requests, valid_requests
from pytest_idclassify.validation import compiled_validator

_CJK = re.compile("[\u3400-\u9fff]")
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*")


def _url_text(value: UrlImage | str) -> str:
    """The URL a loopback server would give a :class:`UrlImage` (raw paths stay unencoded)."""
    if isinstance(value, str):
        return value
    return "http://127.0.0.1:9" + (value.path if value.raw else quote(value.path))


def _rendered(body: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in body.items():
        if isinstance(value, ImageSource):
            out[name] = value.to_base64()
        elif isinstance(value, UrlImage):
            out[name] = _url_text(value)
        else:
            out[name] = value
    return out


def _image_problems(image: bytes) -> set[str]:
    """What is wrong with an image file, judged by Pillow and the signature alone."""
    from PIL import Image, UnidentifiedImageError

    if not image.startswith(_SIGNATURES):
        return {"request.image.formats"}
    try:
        with Image.open(io.BytesIO(image)) as opened:
            width, height = opened.size
    except (UnidentifiedImageError, OSError, SyntaxError):
        return {"request.image.undecodable"}
    out = set()
    if min(width, height) < 15:
        out.add("request.image.side-min")
    if max(width, height) > 8192:
        out.add("request.image.side-max")
    if out:
        return out
    try:
        with Image.open(io.BytesIO(image)) as opened:
            opened.load()
    except (OSError, SyntaxError, ValueError):
        return {"request.image.undecodable"}
    return set()


def _data_problems(text: str) -> set[str]:
    if re.match(r"\s*data:", text, re.IGNORECASE):
        return {"request.data.prefix"}
    if re.search(r"[^A-Za-z0-9+/=\s_-]", text):
        return {"request.data.base64-invalid"}
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is None or base64.b64encode(decoded).decode() != text:
        return {"request.data.base64-noncanonical"}
    if len(text) > BASE64_LIMIT_BINARY:
        return {"request.data.base64-max"}
    return _image_problems(decoded)


def _url_problems(value: UrlImage | str) -> set[str]:
    text = _url_text(value)
    out = set()
    if urlsplit(text).scheme.lower() not in ("http", "https"):
        out.add("request.url.schemes")
    if _CJK.search(text):
        out.add("request.url.chinese-raw")
    if isinstance(value, UrlImage):
        if value.behaviour not in ("ok", "redirect"):
            out.add("request.url.fetch-failure")
        if value.image is not None and not out:
            out |= _image_problems(value.image.render())
    return out


def broken_clauses(case: Case) -> set[str]:
    """Every request clause the case's call breaks, judged independently of the strategies' code."""
    (call,) = case.calls
    if call.content is not None:
        try:
            json.loads(call.content.decode("utf-8"), parse_constant=lambda name: 1 / 0)
        except (UnicodeDecodeError, ValueError, ZeroDivisionError):
            return {"request.body.json"}
        return set()
    assert call.json is not None
    body = dict(call.json)
    out = set()
    for name in ("data", "url"):
        if name in body and not isinstance(body[name], str | ImageSource | UrlImage):
            out.add(f"request.{name}.type")
    if "alarm" in body and not isinstance(body["alarm"], bool):
        out.add("request.alarm.type")
    if out:
        return out
    data, url = body.get("data"), body.get("url")
    if data and url:
        return {"request.data-url.exclusive"}
    if not data and not url:
        return {"request.data-url.neither"}
    if data:
        return _data_problems(data.to_base64() if isinstance(data, ImageSource) else data)
    assert isinstance(url, UrlImage | str)
    return _url_problems(url)


def _schema_errors(case: Case) -> list[str]:
    (call,) = case.calls
    assert call.json is not None
    return [
        error.message for error in compiled_validator("request.schema.json").iter_errors(_rendered(dict(call.json)))
    ]


@settings(max_examples=30)
@given(valid_requests())
def test_valid_draws_pass_the_schema_and_break_nothing(case: Case) -> None:
    assert case.expect is Expect.ACCEPTED
    assert _schema_errors(case) == [], case.describe()
    assert broken_clauses(case) == set(), case.describe()
    assert catalogue()[case.clause].kind.name == "REQUEST"


@settings(max_examples=60)
@given(invalid_requests())
def test_invalid_draws_break_exactly_their_clause(case: Case) -> None:
    assert case.expect is Expect.REFUSED
    assert broken_clauses(case) == {case.clause}, case.describe()
    for companion in case.companions:
        assert companion == f"{case.clause}.code"


_SCHEMA_CLAUSES = {"request.data.type", "request.url.type", "request.alarm.type", "request.data-url.exclusive",
                   "request.url.chinese-raw"}  # fmt: skip


@settings(max_examples=40)
@given(invalid_requests(kinds=("data-type", "url-type", "alarm-type", "both", "url")))
def test_invalid_draws_of_schema_clauses_fail_the_schema(case: Case) -> None:
    errors = _schema_errors(case)
    assert bool(errors) == (case.clause in _SCHEMA_CLAUSES), (case.describe(), errors)


@pytest.mark.slow
@settings(max_examples=3)
@given(invalid_requests(kinds=("base64-max",)))
def test_base64_over_the_limit_breaks_exactly_the_limit(case: Case) -> None:
    assert broken_clauses(case) == {"request.data.base64-max"}
    assert case.companions == ("request.data.base64-max.code",)
    assert _schema_errors(case), "maxLength of data should refuse it"


@settings(max_examples=30)
@given(invalid_requests(kinds=("url",)))
def test_url_draws_name_the_server_they_need(case: Case) -> None:
    (call,) = case.calls
    assert call.json is not None
    value = call.json["url"]
    assert ("url-server" in case.needs) == isinstance(value, UrlImage)


def test_a_drawn_null_alarm_and_a_slow_url_are_filed_under_their_assumed_clauses() -> None:
    from hypothesis import find

    from pytest_idclassify.catalogue import clause
    from pytest_idclassify.strategies import urls

    null = find(invalid_requests(kinds=("alarm-type",)), lambda c: (c.calls[0].json or {}).get("alarm") is None)
    text = find(invalid_requests(kinds=("alarm-type",)), lambda c: isinstance((c.calls[0].json or {})["alarm"], str))
    assert (null.clause, text.clause) == ("request.alarm.null", "request.alarm.type")
    slow = find(urls(kinds=("slow",)), lambda drawn: True)
    assert slow.clause == "request.url.fetch-slow" and clause(slow.clause).assumed and clause(null.clause).assumed
