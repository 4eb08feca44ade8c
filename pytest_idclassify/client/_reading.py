"""Read an answer without trusting it: capped on the wire, capped decompressed, JSON depth checked.

A response is sent with ``stream=True`` and read here chunk by chunk, so an endless chunked answer,
a 10 GB body or a small gzip bomb stops at the cap instead of filling memory.  httpx decodes each
received chunk (64 KiB at most) as it comes, so the memory a bomb can take is the decoded cap plus
one chunk's expansion; an answer compressed more than once is refused unread, since each layer
multiplies that expansion.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import httpx

from pytest_idclassify._nesting import nests_deeper
from pytest_idclassify.errors import CallTimeoutError, ResponseTooDeepError, ResponseTooLargeError

_OPENS_AS_JSON = re.compile(rb"\s*[\[{]")
# The same for text decoded from UTF-16 or UTF-32, or from UTF-8 with a BOM.
_OPENS_AS_JSON_TEXT = re.compile(r"\s*[\[{]")


@dataclass(frozen=True)
class ReadLimits:
    """How much of an answer a client accepts, and how long a call may take.

    Attributes:
        max_response_bytes: the most bytes read off the wire for one answer.
        max_decoded_bytes: the most bytes an answer may decompress to.
        max_json_depth: the deepest nesting of arrays and objects parsed.
        url: the URL shown in error messages (already redacted).

    """

    max_response_bytes: int
    max_decoded_bytes: int
    max_json_depth: int
    url: str

    def too_large(self, what: str, limit: int, setting: str, var: str) -> ResponseTooLargeError:
        """The error for an answer past one of the size caps."""
        return ResponseTooLargeError(
            f"the answer from {self.url} is larger than {limit} bytes {what} ({setting}={limit}); reading "
            f"stopped there. A conforming answer is a few KB: check the target, or raise {var}"
        )


def json_too_deep(body: bytes, limit: int) -> bool:
    """Tell whether a JSON ``body`` nests ``[]``/``{}`` (outside strings) more than ``limit`` levels deep.

    The body is read in the encoding :func:`json.loads` finds in it, as the outcome's parse reads it:
    UTF-8, UTF-8 after a BOM, or UTF-16 or UTF-32 (with a BOM, or told by their zero bytes).  Only a
    body that opens as a JSON array or object is looked at: other text is not parsed as JSON.
    """
    # Each bracket character holds a bracket byte in every one of those encodings: fewer bytes, no depth.
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    encoding = json.detect_encoding(body)
    if encoding == "utf-8":
        return bool(_OPENS_AS_JSON.match(body)) and nests_deeper(body, limit)
    try:
        # Decoded as json.loads decodes bytes (json.detect_encoding is its own choice of codec): read
        # as bytes, a UTF-16 backslash's zero byte would pass for the character it escapes.
        text = body.decode(encoding, "surrogatepass")
    except UnicodeDecodeError:
        return False  # not parsed as JSON either: the outcome keeps it as text
    return bool(_OPENS_AS_JSON_TEXT.match(text)) and nests_deeper(text, limit)


def _declared_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 20 else None


def _accept(response: httpx.Response, buffer: bytearray, chunk: bytes, limits: ReadLimits, until: float) -> None:
    if response.num_bytes_downloaded > limits.max_response_bytes:
        raise limits.too_large("on the wire", limits.max_response_bytes, "max_response_bytes",
                               "IDCLASSIFY_MAX_RESPONSE_BYTES")  # fmt: skip
    if len(buffer) + len(chunk) > limits.max_decoded_bytes:
        raise limits.too_large("decompressed", limits.max_decoded_bytes, "max_decoded_bytes",
                               "IDCLASSIFY_MAX_DECODED_BYTES")  # fmt: skip
    buffer += chunk
    if time.monotonic() > until:
        raise CallTimeoutError(
            f"the answer from {limits.url} was still arriving when the time ran out (a server sending it "
            "slowly); raise IDCLASSIFY_TIMEOUT (per attempt) or IDCLASSIFY_CALL_TIMEOUT (per call)"
        )


def _check_first(response: httpx.Response, limits: ReadLimits) -> None:
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    layers = [c for c in codings if c and c != "identity"]
    if len(layers) > 1:
        # Each layer multiplies a bomb's expansion within one chunk, past what the decoded cap bounds.
        raise ResponseTooLargeError(
            f"the answer from {limits.url} is compressed {len(layers)} times over (Content-Encoding: "
            f"{', '.join(layers)}); it was not read, since a bomb's expansion multiplies with each layer. "
            "A conforming answer is JSON compressed once at most: check the target"
        )
    declared = _declared_length(response)
    if declared is not None and declared > limits.max_response_bytes:
        raise limits.too_large("(its Content-Length)", limits.max_response_bytes, "max_response_bytes",
                               "IDCLASSIFY_MAX_RESPONSE_BYTES")  # fmt: skip


def _finish(response: httpx.Response, buffer: bytearray, limits: ReadLimits) -> None:
    content = bytes(buffer)
    if json_too_deep(content, limits.max_json_depth):
        raise ResponseTooDeepError(
            f"the answer from {limits.url} nests JSON more than {limits.max_json_depth} levels deep "
            f"(max_json_depth={limits.max_json_depth}); it was not parsed. A conforming answer nests 4 levels: "
            "check the target, or raise IDCLASSIFY_MAX_JSON_DEPTH"
        )
    # What httpx's own read() does once the stream is consumed; there is no public setter.
    response._content = content


def read_bounded(response: httpx.Response, limits: ReadLimits, until: float) -> None:
    """Read a streamed response's body within ``limits`` and before ``until`` (``time.monotonic()``).

    Afterwards ``response.content`` is the decoded body, as if httpx had read it; the stream is
    closed either way.

    Raises:
        ResponseTooLargeError: past ``max_response_bytes`` on the wire or ``max_decoded_bytes`` decoded.
        ResponseTooDeepError: when the body nests JSON deeper than ``max_json_depth``.
        CallTimeoutError: when the body is still arriving at ``until``.

    """
    buffer = bytearray()
    try:
        _check_first(response, limits)
        for chunk in response.iter_bytes():
            _accept(response, buffer, chunk, limits, until)
    finally:
        response.close()
    _finish(response, buffer, limits)


async def aread_bounded(response: httpx.Response, limits: ReadLimits, until: float) -> None:
    """The asynchronous twin of :func:`read_bounded`."""
    buffer = bytearray()
    try:
        _check_first(response, limits)
        async for chunk in response.aiter_bytes():
            _accept(response, buffer, chunk, limits, until)
    finally:
        await response.aclose()
    _finish(response, buffer, limits)
