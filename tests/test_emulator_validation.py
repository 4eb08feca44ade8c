"""Each step of the emulator's validation order, in-process and over a real socket."""

from __future__ import annotations

import base64
import io
import json
import socket
import struct
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from pytest_idclassify.catalogue import BASE64_LIMIT_BINARY, BODY_LIMIT, clause
from pytest_idclassify.emulator import EmulatorSettings, asgi_transport, serve
from pytest_idclassify.images import ImageRecipe, encode_flat

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
TOKEN = {"X-Auth-Token": SETTINGS.tokens[0]}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` with a tiny IDAT: a decompression bomb's shape."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def encoded(width: int, height: int, fmt: str = "PNG", colour: tuple[int, int, int] = (255, 255, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def noisy_jpeg(width: int, height: int) -> bytes:
    pixels = np.random.default_rng(7).integers(0, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def tiff(*, corruption: str) -> bytes:
    return ImageRecipe(format="tiff", width=64, height=48, corruption=corruption).render()


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# (case id, clause id, request body, extra headers)
CASES: list[tuple[str, str, bytes, dict[str, str]]] = [
    ("auth-missing", "auth.token.missing", body(data="x"), {"X-Auth-Token": ""}),
    ("auth-invalid", "auth.token.invalid", body(data="x"), {"X-Auth-Token": "not-a-token"}),
    ("auth-expired", "auth.token.expired", body(data="x"), {"X-Auth-Token": SETTINGS.expired_tokens[0][0]}),
    ("not-json", "request.body.json", b'{"data": ', {}),
    ("not-utf8", "request.body.json", b'{"data": "\xff\xfe"}', {}),
    ("nan", "request.body.json", b'{"data": NaN}', {}),
    ("deep", "request.body.json", b"[" * 100_000 + b"]" * 100_000, {}),
    ("base64-over", "request.data.base64-max.code", body(data="A" * (BASE64_LIMIT_BINARY + 4)), {}),
    ("array", "request.data.type", b"[1, 2]", {}),
    ("both", "request.data-url.exclusive", body(data=b64(encoded(20, 20)), url="http://127.0.0.1/a.png"), {}),
    ("neither", "request.data-url.neither", body(alarm=True), {}),
    ("empty", "request.data-url.neither", body(data="", url=""), {}),
    ("data-null", "request.data.type", body(data=None), {}),
    ("data-int", "request.data.type", b'{"data": 1' + b"0" * 5000 + b"}", {}),
    ("alarm-string", "request.alarm.type", body(data=b64(encoded(20, 20)), alarm="yes"), {}),
    ("url-list", "request.url.type", body(url=["http://127.0.0.1/"]), {}),
    ("prefix", "request.data.prefix", body(data="data:image/png;base64," + b64(encoded(20, 20))), {}),
    ("not-base64", "request.data.base64-invalid", body(data="!!!!" + b64(encoded(20, 20))), {}),
    (
        "wrapped",
        "request.data.base64-noncanonical",
        body(data=b64(encoded(40, 40))[:20] + "\n" + b64(encoded(40, 40))[20:]),
        {},
    ),
    ("unpadded", "request.data.base64-noncanonical", body(data=b64(encoded(20, 20)).rstrip("=") or "QQ"), {}),
    ("gif", "request.image.formats", body(data=b64(encoded(20, 20, "GIF"))), {}),
    ("webp", "request.image.formats", body(data=b64(encoded(20, 20, "WEBP"))), {}),
    ("side-14", "request.image.side-min", body(data=b64(encoded(14, 100))), {}),
    ("side-8193", "request.image.side-max", body(data=b64(encoded(8193, 15))), {}),
    ("bomb", "request.image.side-max", body(data=b64(png_header_only(100_000, 100_000))), {}),
    ("truncated-jpeg", "request.image.undecodable", body(data=b64(noisy_jpeg(300, 200)[:-2000])), {}),
    ("truncated-png", "request.image.undecodable", body(data=b64(png_header_only(300, 200)[:-12])), {}),
    ("corrupt-tiff", "request.image.undecodable", body(data=b64(tiff(corruption="corrupt-data"))), {}),
    ("truncated-tiff", "request.image.undecodable", body(data=b64(tiff(corruption="truncated"))), {}),
    ("blank", "request.image.no-document", body(data=b64(encoded(320, 200)), alarm=True), {}),
    # A valid deflate TIFF at the extreme sides decodes, so it gets as far as looking for a document.
    ("tiff-8192x15", "request.image.no-document", body(data=b64(encode_flat("tiff", 8192, 15))), {}),
    ("tiff-15x8192", "request.image.no-document", body(data=b64(encode_flat("tiff", 15, 8192))), {}),
    ("project", "uri.project-id.mismatch", body(data="x"), {}),
]
#: the cases that also go over a real socket: at least one per step of the validation order.
OVER_HTTP = {
    "auth-invalid",
    "not-json",
    "base64-over",
    "both",
    "prefix",
    "gif",
    "side-14",
    "truncated-jpeg",
    "corrupt-tiff",
    "blank",
    "project",
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(SETTINGS) as url:
        yield url


async def _post_asgi(path: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url="http://emulator") as client:
        return await client.post(path, content=content, headers=headers)


def post(transport: str, path: str, content: bytes, headers: dict[str, str], base_url: str = "") -> httpx.Response:
    if transport == "asgi":
        return anyio.run(_post_asgi, path, content, headers)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        return client.post(path, content=content, headers=headers)


def assert_clause(response: httpx.Response, clause_id: str) -> None:
    spec = clause(clause_id).error
    assert spec is not None
    payload = response.json()
    assert (response.status_code, payload["error_code"]) == (spec.status, spec.code), payload
    assert spec.message_ok(payload["error_msg"]), payload
    assert set(payload) <= {"error_code", "error_msg", "request_id"}
    assert ("request_id" in payload) == spec.code.startswith("APIG.")
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    if "request_id" in payload:
        assert payload["request_id"] == request_id


def _params() -> list[Any]:
    params = [pytest.param("asgi", *case, id=f"asgi-{case[0]}") for case in CASES]
    params += [pytest.param("http", *case, id=f"http-{case[0]}") for case in CASES if case[0] in OVER_HTTP]
    return params


@pytest.mark.parametrize(("transport", "name", "clause_id", "content", "extra"), _params())
def test_validation_step(
    request: pytest.FixtureRequest, transport: str, name: str, clause_id: str, content: bytes, extra: dict[str, str]
) -> None:
    url = request.getfixturevalue("base_url") if transport == "http" else ""
    path = PATH.replace(SETTINGS.project_id, "ffffffffffffffffffffffffffffffff") if name == "project" else PATH
    response = post(transport, path, content, {**TOKEN, **extra}, url)
    assert_clause(response, clause_id)


def test_order_size_before_auth_before_json() -> None:
    # Oversized and unauthenticated: the size is decided first.
    big = b"{" + b" " * BODY_LIMIT + b"}"
    assert_clause(post("asgi", PATH, big, {}), "request.body.max-size")
    # Unauthenticated and not JSON: authentication comes first.
    assert_clause(post("asgi", PATH, b"{", {}), "auth.token.missing")
    # Both data and url, and data over the base64 limit: the limit comes first.
    over = body(data="A" * (BASE64_LIMIT_BINARY + 4), url="http://127.0.0.1/")
    assert_clause(post("asgi", PATH, over, TOKEN), "request.data.base64-max.code")
    # Bad base64 and a forbidden URL never meet: both set is AIS.0101 before either is looked at.
    assert_clause(post("asgi", PATH, body(data="!!", url="ftp://x"), TOKEN), "request.data-url.exclusive")


def test_body_over_limit_from_content_length_without_reading_it(base_url: str) -> None:
    # Over a raw socket: announce 13 MB, send none of it, and the answer still comes.
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"X-Auth-Token: {SETTINGS.tokens[0]}\r\nContent-Length: {BODY_LIMIT + 1}\r\n\r\n"
        )
        sock.sendall(head.encode())
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413")
    payload = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert payload["error_code"] == "APIG.0201"
    assert b"x-request-id" in rest.lower()


async def _streamed_post(total: int) -> tuple[httpx.Response, int, int]:
    chunk = b" " * (1024 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        sent = 0
        while sent < total:
            sent += len(chunk)
            yield chunk

    async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url="http://emulator") as client:
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            response = await client.post(PATH, content=chunks(), headers=TOKEN)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return response, before, peak


#: the most a chunked body past the limit may add to peak memory: the 12 MiB kept, one chunk, slack.
STREAM_PEAK_BOUND = BODY_LIMIT + 8 * 1024 * 1024


def test_chunked_body_over_limit_is_refused_while_streaming_with_bounded_memory() -> None:
    response, before, peak = anyio.run(_streamed_post, 64 * 1024 * 1024)
    assert "content-length" not in response.request.headers
    assert_clause(response, "request.body.max-size")
    assert peak - before < STREAM_PEAK_BOUND, f"peak grew by {(peak - before) / 2**20:.1f} MiB for a 64 MiB body"


def test_wrong_method_and_unknown_paths_are_the_gateways_404() -> None:
    for method, path in (("GET", PATH), ("PUT", PATH), ("POST", "/v2/x/ocr/other"), ("POST", PATH + "/"), ("GET", "/")):
        response = anyio.run(_request_asgi, method, path)
        assert_clause(response, "error.APIG.0101")


async def _request_asgi(method: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url="http://emulator") as client:
        return await client.request(method, path, headers=TOKEN)


def test_lenient_base64_setting_repairs_wrapped_data() -> None:
    lenient = EmulatorSettings(strict_base64=False)
    image = b64(encoded(14, 40))
    wrapped = image[:10] + "\r\n" + image[10:].rstrip("=")

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(lenient), base_url="http://emulator") as client:
            return await client.post(PATH, content=body(data=wrapped), headers=TOKEN)

    # Repaired, so it gets as far as the size check.
    assert_clause(anyio.run(go), "request.image.side-min")


def test_custom_code_for_an_undocumented_case() -> None:
    custom = EmulatorSettings(code_no_document="AIS.0104")

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(custom), base_url="http://emulator") as client:
            return await client.post(PATH, content=body(data=b64(encoded(320, 200))), headers=TOKEN)

    assert anyio.run(go).json()["error_code"] == "AIS.0104"


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", max_size=16),
    st.sampled_from(["", "=", "=="]),
)
def test_the_canonical_check_agrees_with_re_encoding(text: str, padding: str) -> None:
    import base64
    import binascii

    from pytest_idclassify.emulator._pipeline import _canonical

    raw = (text + padding).encode()
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return
    assert _canonical(raw) == (base64.b64encode(decoded) == raw)
