"""Bad input never gets a 5xx or a crash: only documented errors come back."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib
from typing import Any

import anyio
import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pytest_idclassify._tables import documented_tables
from pytest_idclassify.emulator import EmulatorSettings, create_app

SETTINGS = EmulatorSettings()
APP = create_app(SETTINGS)
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
TOKEN = SETTINGS.tokens[0]
DOCUMENTED = {(row.code, row.status, row.message_kind, row.message) for row in documented_tables().error_codes}


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


def _bomb(width: int, height: int) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    # A few kB that inflate to the full, declared raster.
    idat = zlib.compress(b"\0" * (min(width * height + height, 50_000_000)), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SEED_IMAGE = _png(64, 48)
BOMBS = [_bomb(9000, 9000), _bomb(8192, 15)]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_values = (
    json_values
    | st.sampled_from(["", "data:image/png;base64,AAAA", "http://127.0.0.1:1/x.png", "ftp://x", "http://e.com/"])
    | st.builds(lambda raw: base64.b64encode(raw).decode(), st.binary(max_size=64))
    | st.builds(lambda cut: base64.b64encode(SEED_IMAGE[:cut]).decode(), st.integers(0, len(SEED_IMAGE)))
    | st.sampled_from([base64.b64encode(b).decode() for b in BOMBS])
)
objects = st.fixed_dictionaries(
    {},
    optional={"data": field_values, "url": field_values, "alarm": field_values, "extra": json_values},
).map(lambda d: json.dumps(d).encode())


def _deep(depth: int) -> bytes:
    return b'{"data":' * depth + b"1" + b"}" * depth


bodies = st.one_of(
    objects,
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.integers(1, 200_000).map(_deep),
    st.integers(50, 20_000).map(lambda n: b'{"data": ' + b"9" * n + b', "alarm": 1e999}'),
    st.binary(min_size=1, max_size=40).map(lambda junk: b'{"data": "' + junk + b'"}'),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json;charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
        "a/b;c",
    ]
)


async def _send(content: bytes, content_type: str, method: str) -> httpx.Response:
    headers = {"X-Auth-Token": TOKEN}
    if content_type:
        headers["Content-Type"] = content_type
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://emulator") as client:
        return await client.request(method, PATH, content=content, headers=headers)


def _assert_documented(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    assert response.headers["x-request-id"]
    payload = response.json()
    if response.status_code == 200:
        assert set(payload) == {"result"}
        return dict(payload)
    assert set(payload) <= {"error_code", "error_msg", "request_id"}
    rows = [r for r in DOCUMENTED if r[0] == payload["error_code"] and r[1] == response.status_code]
    assert rows, payload
    assert any(
        payload["error_msg"] == r[3] or (r[2] == "prefix" and payload["error_msg"].startswith(r[3])) for r in rows
    )
    return dict(payload)


@settings(max_examples=60)
@given(content=bodies, content_type=content_types, method=st.sampled_from(["POST", "POST", "POST", "PUT", "GET"]))
def test_random_bodies_get_only_documented_answers(content: bytes, content_type: str, method: str) -> None:
    _assert_documented(anyio.run(_send, content, content_type, method))


def test_decompression_bombs_and_truncated_images_are_refused_cheaply() -> None:
    expected = [
        (BOMBS[0], {"AIS.0103"}),  # refused from its header, never inflated
        (BOMBS[1], {"AIS.0105"}),  # within the limits: decoded (123 kB of pixels), a blank strip
        (SEED_IMAGE[:40], {"AIS.0104"}),
        (SEED_IMAGE[:-20], {"AIS.0104"}),
    ]
    for image, codes in expected:
        content = json.dumps({"data": base64.b64encode(image).decode()}).encode()
        assert _assert_documented(anyio.run(_send, content, "application/json", "POST"))["error_code"] in codes


# Headers and URLs: every parser takes ASCII digits and bounded lengths only, and every URL error is a URL code.
URL_APP = create_app(SETTINGS.replace(fetch_timeout=0.5))
digits = st.text(alphabet="0123456789\u00b9\u00b2\u00b3\u0663\uff15+-. ", min_size=1, max_size=12) | st.integers(
    1, 10**5
).map(lambda n: "9" * n)
fault_values = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60),
    st.builds("{}={}".format, st.sampled_from(["error", "throttle", "latency", "drop"]), digits),
).filter(lambda v: not {"drop", "truncate"} & set(v.replace(",", ";").replace(" ", "").split(";")))
hosts = st.sampled_from(
    [
        "127.0.0.1",
        "localhost",
        "localhost.",
        "127.0.0.1.",
        "LOCALHOST",
        "xn--",
        "xn--zz-",
        "[::1]",
        "[::1",
        "::1",
        "[fe80::1%25eth0]",
        "0x7f.1",
        "2130706433",
        "",
        "a" * 70,
        "xn--" + "a" * 70,
        "user:pw@127.0.0.1",
    ]
) | st.text(max_size=12)
ports = st.sampled_from(
    ["", ":", ":1", ":0", ":-1", ":65536", ":99999", ":+80", ":8%30", ":\u0668\u0660", ":" + "9" * 30]
)
urls = st.builds(
    "{}://{}{}{}".format,
    st.sampled_from(["http", "https", "HTTP", "ftp", "", "http:"]),
    hosts,
    ports,
    st.sampled_from(["/", "/a.png", "/%zz", "/图", "", "?q=1", "#f"]),
) | st.text(max_size=40)


async def _send_with(headers: dict[str, bytes], body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=URL_APP), base_url="http://emulator") as client:
        return await client.post(PATH, content=json.dumps(body).encode(), headers=headers)


@settings(max_examples=60)
@given(value=fault_values)
def test_random_fault_headers_get_only_documented_answers(value: str) -> None:
    headers = {"X-Auth-Token": TOKEN.encode(), "X-Idclassify-Fault": value.strip().encode("utf-8")}
    response = anyio.run(_send_with, headers, {})
    # An injected 5xx or 429 is what the header asked for; anything else must be documented and below 500.
    if response.status_code == 429 or response.status_code >= 500:
        assert "error=" in value.lower() or "throttle" in value.lower(), response.text
    else:
        _assert_documented(response)


@settings(max_examples=60)
@given(url=urls)
def test_random_urls_get_only_documented_answers(url: str) -> None:
    payload = _assert_documented(anyio.run(_send_with, {"X-Auth-Token": TOKEN.encode()}, {"url": url}))
    if "error_code" in payload:
        assert payload["error_code"] in {
            SETTINGS.code_url_refused,
            SETTINGS.code_url_fetch_failed,
            SETTINGS.code_raw_non_ascii_url,
            SETTINGS.code_neither,
            "AIS.0101",
        }, (url, payload)
