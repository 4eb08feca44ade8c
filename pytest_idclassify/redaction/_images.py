"""Find base64 runs that decode to an image, wrapped or not, short or long, and name them by digest.

An ID image is personal data wherever it appears: in a request's ``data``, but also echoed in an
answer, in an error message or in a log.  A run is taken for an image when its first bytes are an
image format's signature, so ordinary base64 (a token, a hash) is left alone however long it is.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Callable

from pytest_idclassify._base64 import decode_strict

#: Runs shorter than this (in base64 characters, line breaks aside) are never taken for images.
MIN_IMAGE_RUN = 32
# One base64 line, then more lines after a real or JSON-escaped line break (MIME wraps at 76).
_RUN = re.compile(r"[A-Za-z0-9+/]{16,}(?:(?:\r?\n|\\r\\n|\\n)[A-Za-z0-9+/]{4,})*={0,2}")
_BREAKS = re.compile(r"\r?\n|\\r\\n|\\n")
_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"\x00\x00\x00\x0cjP  ",  # JPEG 2000
)
_BMP = re.compile(rb"^BM.{12}[\x0c\x28\x38\x40\x6c\x7c]\x00\x00\x00", re.S)
#: How an image found in text is written instead: its digest and size, never its bytes.
IMAGE_MARK = "[image sha256:{sha256} {length} bytes]"


def is_image_bytes(head: bytes) -> bool:
    """Tell whether ``head`` (at least the first 18 bytes of something) starts like an image file."""
    if head[:4] == b"RIFF":
        return head[8:12] == b"WEBP"
    return head.startswith(_SIGNATURES) or bool(_BMP.match(head))


def _decode(run: str) -> bytes | None:
    usable = len(run) - len(run) % 4
    try:
        return decode_strict(run[:usable])
    except (binascii.Error, ValueError):
        return None


def image_in_base64(run: str) -> bytes | None:
    """Return the bytes of a base64 run (line breaks allowed) when they are an image, else ``None``."""
    # The signature is in the first 18 bytes: look at the head before joining megabytes of lines.
    head_text = _BREAKS.sub("", run[:128])
    head = _decode(head_text[:24]) if len(head_text) >= 24 else None
    if head is None or not is_image_bytes(head):
        return None
    compact = _BREAKS.sub("", run).rstrip("=")
    if len(compact) < MIN_IMAGE_RUN:
        return None
    return _decode(compact + "=" * (-len(compact) % 4)) or _decode(compact)


def image_mark(raw: bytes) -> str:
    """The text that stands for an image: ``[image sha256:<hex> <n> bytes]``."""
    return IMAGE_MARK.format(sha256=hashlib.sha256(raw).hexdigest(), length=len(raw))


def replace_images(text: str, on_found: Callable[[bytes], None] | None = None) -> str:
    """Return ``text`` with every base64 run that decodes to an image replaced by :func:`image_mark`."""
    if len(text) < MIN_IMAGE_RUN:
        return text

    def replace(match: re.Match[str]) -> str:
        raw = image_in_base64(match.group())
        if raw is None:
            return match.group()
        if on_found is not None:
            on_found(raw)
        return image_mark(raw)

    return _RUN.sub(replace, text)
