"""A second, minimal and correct implementation of the API, written apart from the reference emulator.

It shares no code with the emulator nor with the suite's checks (only the AK/SK verifier of the
client): its own routing, limits, base64 and image-header reading with Pillow, URL download with
httpx, error table and answers.  Recognition is fixed and plausible: an image with any variation
in it holds a passport inset by an eighth of each side, confidence 0.9, every alarm off at score 0;
a uniform image holds no document.  The contract suite must find nothing wrong with it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import uuid
import warnings
from datetime import timedelta
from typing import Any

import httpx
from PIL import Image, ImageStat
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_idclassify.client import verify_aksk
from pytest_idclassify.errors import SignatureRejected

PROJECT_ID = "0123456789abcdef0123456789abcdef"
TOKEN = "idclassify-emulator-token"
EXPIRED = {"idclassify-emulator-expired-token": "2024-01-01T00:00:00.000000Z"}
CREDENTIALS = {"IDCLASSIFYEMULATORAK0": "IdClassifyEmulatorFakeSecretKey0000000000"}

BODY_LIMIT = 12 * 1024 * 1024
DATA_LIMIT = 10 * 1024 * 1024
SIDES = range(15, 8193)
FETCH_SECONDS = 1.0
FETCH_BYTES = DATA_LIMIT * 3 // 4

_MESSAGES = {
    "APIG.0101": (404, "The API does not exist or has not been published in the environment."),
    "APIG.0201": (413, "Request entity too large."),
    "APIG.0301": (401, "Incorrect IAM authentication information: "),
    "APIG.0302": (403, "The IAM user is not authorized to access the API."),
    "ModelArts.4105": (400, "The JSON format of the input data is incorrect."),
    "ModelArts.4104": (400, "Invalid Request Content Length."),
    "ModelArts.4601": (400, "The URL is not allowed."),
    "ModelArts.4603": (400, "Obtaining the file from the URL failed."),
    "AIS.0101": (400, "The input parameter is invalid."),
    "AIS.0102": (400, "The image format is not supported."),
    "AIS.0103": (400, "The image size does not meet the requirements."),
    "AIS.0104": (400, "The image is not supported or the image quality is poor."),
    "AIS.0105": (400, "Recognition failed."),
}
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*")
_FLAGS = ("blur", "glare", "blocking_within_border", "insufficient_lighting", "copy", "border_integrity", "reproduce")


class Refused(Exception):
    """An error answer: the documented code, and a suffix for APIG.0301's reason."""

    def __init__(self, code: str, suffix: str = "") -> None:
        super().__init__(code)
        self.code, self.suffix = code, suffix


def _answer(status: int, document: dict[str, Any]) -> Response:
    headers = {"X-Request-Id": uuid.uuid4().hex}
    return Response(json.dumps(document), status_code=status, headers=headers, media_type="application/json")


def _refusal(refused: Refused) -> Response:
    status, message = _MESSAGES[refused.code]
    return _answer(status, {"error_code": refused.code, "error_msg": message + refused.suffix})


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_LIMIT:
        raise Refused("APIG.0201")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            raise Refused("APIG.0201")
    return body


def _authenticate(request: Request, body: bytes) -> None:
    if request.headers.get("authorization", "").startswith("SDK-HMAC-SHA256"):
        try:
            verify_aksk("POST", request.scope.get("raw_path", b"").decode("latin-1"),
                        request.scope.get("query_string", b"").decode("latin-1"), request.scope["headers"], body,
                        credentials=CREDENTIALS, max_skew=timedelta(minutes=15))  # fmt: skip
        except SignatureRejected:
            raise Refused("APIG.0301", "verify aksk signature fail") from None
    else:
        token = request.headers.get("x-auth-token")
        if not token:
            raise Refused("APIG.0301", "x-auth-token not found")
        if token in EXPIRED:
            raise Refused("APIG.0301", f"token expires, expires_at: {EXPIRED[token]}")
        if token != TOKEN:
            raise Refused("APIG.0301", "decrypt token fail")
    if request.path_params["project_id"] != PROJECT_ID:
        raise Refused("APIG.0302")


def _fields(body: bytes) -> tuple[str | None, str | None, bool]:
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=lambda name: _not_json())
    except (ValueError, UnicodeDecodeError):
        raise Refused("ModelArts.4105") from None
    if isinstance(document, dict) and isinstance(document.get("data"), str) and len(document["data"]) > DATA_LIMIT:
        raise Refused("ModelArts.4104")
    if not isinstance(document, dict):
        raise Refused("AIS.0101")
    data, url, alarm = document.get("data"), document.get("url"), document.get("alarm", False)
    if ("data" in document and not isinstance(data, str)) or ("url" in document and not isinstance(url, str)):
        raise Refused("AIS.0101")
    if not isinstance(alarm, bool) or bool(data) == bool(url):
        raise Refused("AIS.0101")
    return data or None, url or None, alarm


def _not_json() -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _decode(data: str) -> bytes:
    try:
        image = base64.b64decode(data.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise Refused("AIS.0102") from None
    if base64.b64encode(image).decode("ascii") != data:
        raise Refused("AIS.0102")  # whitespace, padding or alphabet other than the canonical form
    return image


async def _download(url: str) -> bytes:
    if not url.isascii():
        raise Refused("AIS.0101")
    if httpx.URL(url).scheme not in ("http", "https"):
        raise Refused("ModelArts.4601")
    try:
        async with httpx.AsyncClient(follow_redirects=True, max_redirects=3) as client:
            response = await asyncio.wait_for(client.get(url), FETCH_SECONDS)
    except (httpx.HTTPError, asyncio.TimeoutError):
        raise Refused("ModelArts.4603") from None
    if response.status_code != 200 or not response.headers.get("content-type", "").startswith("image/"):
        raise Refused("ModelArts.4603")
    if len(response.content) > FETCH_BYTES:
        raise Refused("ModelArts.4603")
    return response.content


def _recognise(image: bytes, alarm: bool) -> dict[str, Any]:
    if not image.startswith(_MAGIC):
        raise Refused("AIS.0102")
    with warnings.catch_warnings():
        # Pillow warns of large pixel counts and corrupt tags; sides and decoding are judged here instead.
        warnings.simplefilter("ignore")
        try:
            picture = Image.open(io.BytesIO(image))
        except Image.DecompressionBombError:
            raise Refused("AIS.0103") from None  # only sides far beyond 8192 px reach Pillow's hard limit
        except Exception:  # Pillow raises many kinds for a header it cannot read
            raise Refused("AIS.0104") from None
        width, height = picture.size
        if width not in SIDES or height not in SIDES:
            raise Refused("AIS.0103")
        try:
            picture.load()
        except Exception:  # truncated or corrupt data, whatever the decoder calls it
            raise Refused("AIS.0104") from None
    low, high = zip(*ImageStat.Stat(picture.convert("L")).extrema, strict=True)
    if max(high) - min(low) < 8:
        raise Refused("AIS.0105")
    dx, dy = width // 8, height // 8
    result: dict[str, Any] = {
        "type": "passport",
        "location": [[dx, dy], [width - 1 - dx, dy], [width - 1 - dx, height - 1 - dy], [dx, height - 1 - dy]],
        "confidence": 0.9,
    }
    if alarm:
        result["alarm_result"] = {f"detect_{name}_result": False for name in _FLAGS}
        result["alarm_confidence"] = {f"{name}_score": 0 for name in _FLAGS}
    return {"result": result}


async def _classify(request: Request) -> Response:
    try:
        body = await _body(request)
        _authenticate(request, body)
        data, url, alarm = _fields(body)
        image = _decode(data) if data is not None else await _download(str(url))
        return _answer(200, await asyncio.to_thread(_recognise, image, alarm))
    except Refused as refused:
        return _refusal(refused)


async def _unknown(request: Request, exc: Exception) -> Response:
    return _refusal(Refused("APIG.0101"))


def create_independent_app() -> Starlette:
    """The minimal server, with the emulator's published fake project id, token and AK/SK."""
    app = Starlette(routes=[Route("/v2/{project_id}/ocr/auto-id-doc-classification", _classify, methods=["POST"])],
                    exception_handlers={404: _unknown, 405: _unknown})  # fmt: skip
    app.router.redirect_slashes = False
    return app
