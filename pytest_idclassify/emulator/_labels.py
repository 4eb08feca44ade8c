"""Labels embedded in image metadata, so a stub can match "this test photo" without hashing it.

A label is a short ASCII text stored where every decoder ignores it: a JPEG comment segment (COM)
right after the start-of-image marker, or a PNG ``tEXt`` chunk right after ``IHDR``, with the
keyword ``idclassify-label``.  The pixels are untouched, so the emulator recognises a labelled image
exactly as the unlabelled one.  :func:`embed_label` writes one and :func:`read_label` finds it by
walking the headers only (never the compressed data).
"""

from __future__ import annotations

import re
import struct
import zlib

from pytest_idclassify.errors import ImageSpecError

#: the PNG ``tEXt`` keyword, and the prefix of the JPEG comment, that mark a label.
LABEL_KEY = "idclassify-label"
_LABEL = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")
_JPEG_PREFIX = (LABEL_KEY + "=").encode("ascii")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# How far into a file the headers are searched: labels sit at the front, so a large image costs nothing.
_SEARCH_LIMIT = 64 * 1024


def _check(label: str) -> bytes:
    if not isinstance(label, str) or not _LABEL.match(label):
        raise ImageSpecError(
            f"label {label!r} is not 1-128 characters of letters, digits and _.:/-; use e.g. 'passport-glare'"
        )
    return label.encode("ascii")


def embed_label(image: bytes, label: str) -> bytes:
    """Return ``image`` (JPEG or PNG) with ``label`` embedded in its metadata; the pixels are unchanged.

    Raises:
        ImageSpecError: the label is not short plain ASCII, or the image is neither JPEG nor PNG.

    """
    text = _check(label)
    if image.startswith(b"\xff\xd8"):
        payload = _JPEG_PREFIX + text
        return image[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + image[2:]
    if image.startswith(_PNG_SIGNATURE) and image[12:16] == b"IHDR":
        ihdr_end = 8 + 8 + struct.unpack(">I", image[8:12])[0] + 4
        data = LABEL_KEY.encode("ascii") + b"\x00" + text
        chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
        return image[:ihdr_end] + chunk + image[ihdr_end:]
    raise ImageSpecError("a label can be embedded in a JPEG or PNG image only; encode the test photo as one of them")


def read_label(image: bytes) -> str | None:
    """Return the label embedded in a JPEG or PNG image, or ``None`` (any other input, malformed ones included)."""
    if image.startswith(b"\xff\xd8"):
        return _jpeg_label(image)
    if image.startswith(_PNG_SIGNATURE):
        return _png_label(image)
    return None


def _jpeg_label(image: bytes) -> str | None:
    offset = 2
    limit = min(len(image), _SEARCH_LIMIT)
    while offset + 4 <= limit and image[offset] == 0xFF:
        marker = image[offset + 1]
        if marker in (0xDA, 0xD9):  # start of scan, end of image: the headers are over
            return None
        length = struct.unpack(">H", image[offset + 2 : offset + 4])[0]
        if length < 2:
            return None
        if marker == 0xFE:
            payload = image[offset + 4 : offset + 2 + length]
            if payload.startswith(_JPEG_PREFIX):
                return _decoded(payload[len(_JPEG_PREFIX) :])
        offset += 2 + length
    return None


def _png_label(image: bytes) -> str | None:
    offset = len(_PNG_SIGNATURE)
    limit = min(len(image), _SEARCH_LIMIT)
    while offset + 8 <= limit:
        length = struct.unpack(">I", image[offset : offset + 4])[0]
        kind = image[offset + 4 : offset + 8]
        if kind in (b"IDAT", b"IEND"):
            return None
        if kind == b"tEXt":
            keyword, _, value = image[offset + 8 : offset + 8 + length].partition(b"\x00")
            if keyword == LABEL_KEY.encode("ascii"):
                return _decoded(value)
        offset += 12 + length
    return None


def _decoded(raw: bytes) -> str | None:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if _LABEL.match(text) else None
