"""Images and long values stored by digest: what a cassette keeps instead of the bytes.

An ID image is personal data even when it is a specimen, and a 7 MB image would make a cassette
useless to read or diff.  A request's ``data`` is therefore replaced by its SHA-256 and what the
image's header says (format and size); the bytes themselves never reach the cassette unless the
caller opts in, and even then they go to a content-addressed file beside it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from collections.abc import Mapping
from typing import Any

from pytest_idclassify._base64 import decode_strict
from pytest_idclassify.images._libraries import rendering_libraries

#: The key that marks a value stored by digest where the value itself is not an image's ``data``.
DIGEST_KEY = "$digest"

_B64_HEAD = re.compile(r"[A-Za-z0-9+/]*")
# Enough of a base64 string to read any header probe() understands (JPEG markers come early).
_PROBE_CHARS = 64 * 1024
_MAGIC = (
    (b"\xff\xd8", "jpeg"),
    (b"\x89PNG", "png"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"GIF8", "gif"),
)


def _probe(raw: bytes) -> tuple[str | None, int | None, int | None]:
    """Return (format, width, height) from the header; the format alone when the size cannot be read."""
    try:
        from pytest_idclassify.images import probe
    except ImportError:  # the public images package may not be there; its private module always is
        from pytest_idclassify.images._probe import probe
    from pytest_idclassify.errors import ImageProbeError

    try:
        info = probe(raw)
    except ImageProbeError:
        sniffed = next((name for magic, name in _MAGIC if raw.startswith(magic)), None)
        return sniffed, None, None
    return info.format, int(info.width), int(info.height)


def digest_bytes(raw: bytes) -> dict[str, Any]:
    """Return ``{"sha256", "length", "format", "width", "height"}`` for raw bytes (format from the header)."""
    fmt, width, height = _probe(raw[:_PROBE_CHARS])
    return {
        "sha256": hashlib.sha256(raw).hexdigest(),
        "length": len(raw),
        "format": fmt,
        "width": width,
        "height": height,
    }


def decode_data(data: str) -> bytes | None:
    """Return the bytes of a strict base64 string, or ``None`` when it is not one (prefix, whitespace...)."""
    try:
        return decode_strict(data)
    except (binascii.Error, ValueError):
        return None


def image_digest(data: str) -> dict[str, Any]:
    """Return the digest a cassette stores for a request's ``data`` value.

    For strict base64 the digest is of the decoded image bytes, so it is the same digest a user
    computes from the image file.  Anything else (a ``data:`` prefix, line breaks, a truncated
    example such as the API page's ``/9j/4AAQ...``) is digested as the text it is, marked
    ``"encoding": "text"``; its format is read from the leading base64 run when possible.  A recipe
    noted with :func:`note_image` is added with the versions of the libraries that rendered it.
    """
    raw = decode_data(data)
    if raw is not None:
        out = digest_bytes(raw)
    else:
        text = data.encode("utf-8", "surrogatepass")
        head = _B64_HEAD.match(data[:_PROBE_CHARS])
        run = head.group() if head else ""
        run = run[: len(run) - len(run) % 4]
        fmt, width, height = _probe(base64.b64decode(run)) if run else (None, None, None)
        out = {
            "sha256": hashlib.sha256(text).hexdigest(),
            "length": len(text),
            "format": fmt,
            "width": width,
            "height": height,
            "encoding": "text",
        }
    note = _NOTES.get(out["sha256"])
    if note is not None:
        out["recipe"] = note[0]
        out["rendered_with"] = dict(note[1])
    return out


def text_digest(value: str | bytes) -> dict[str, Any]:
    """Return the digest stored for a long value that is not an image's ``data`` (a body, a long string)."""
    raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    out = digest_bytes(raw)
    out["kind"] = "text" if isinstance(value, str) else "bytes"
    return out


def is_image_digest(value: Any) -> bool:
    """Tell whether ``value`` is a digest :func:`image_digest` made (a dict with a 64-hex ``sha256``)."""
    return isinstance(value, dict) and isinstance(value.get("sha256"), str) and len(value["sha256"]) == 64


_NOTES_LOCK = threading.Lock()
_NOTES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
_NOTES_VERSION = [0]


def notes_version() -> int:
    """Return a counter that changes whenever a note is added (part of the canonical-body cache key)."""
    return _NOTES_VERSION[0]


def note_image(data: str | bytes, recipe: str, *, libraries: Mapping[str, str] | None = None) -> str:
    """Remember which recipe rendered an image, so cassettes store the recipe beside its digest.

    Call it before sending the image (the contract suite does, for every image it renders).
    ``data`` is the base64 string sent or the raw image bytes; ``libraries`` defaults to
    :func:`rendering_libraries`.  When a replayed image's bytes differ from the recording's, the
    recipe and library versions decide: other OpenCV, Pillow or numpy releases replay the recipe's
    recording (noted in the run's summary); the same ones miss, saying the recipe's renderer changed.
    Returns the digest (hex SHA-256) under which the note is kept.
    """
    if isinstance(data, str):
        raw = decode_data(data)
        key = hashlib.sha256(raw if raw is not None else data.encode("utf-8", "surrogatepass")).hexdigest()
    else:
        key = hashlib.sha256(data).hexdigest()
    versions = tuple(sorted((libraries if libraries is not None else rendering_libraries()).items()))
    with _NOTES_LOCK:
        _NOTES[key] = (recipe, versions)
        _NOTES_VERSION[0] += 1
    return key


def noted_recipe(sha256: str) -> tuple[str, dict[str, str]] | None:
    """Return the recipe and library versions noted for a digest, if any."""
    note = _NOTES.get(sha256)
    return None if note is None else (note[0], dict(note[1]))
