"""From request body to answer: the checks of the validation order that need no network, then recognition.

Everything here is synchronous and CPU-bound; the app runs it in a worker thread so one large
image does not hold up other requests.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_idclassify._base64 import decode_strict
from pytest_idclassify._tables import documented_tables
from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._settings import EmulatorSettings

SIDE_MIN = 15
SIDE_MAX = 8192

#: leading bytes of each supported format (JPEG, PNG, BMP, TIFF little- and big-endian).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_DATA_URI = re.compile(r"^\s*data:", re.IGNORECASE)
_BASE64_ALPHABET = re.compile(r"[A-Za-z0-9+/]*={0,2}")
#: the value of each base64 character, by byte.
_SEXTET = {
    char: value for value, char in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


@dataclass(frozen=True)
class Parsed:
    """A body that passed the JSON and field checks: either image bytes to decode or a URL to fetch.

    ``sent`` holds every field of the body but ``data``, as sent (``alarm`` only when given), for
    the journal: ``alarm`` is what the request asks for, false when it was left out.
    """

    alarm: bool
    data: bytes | None = None
    url: str | None = None
    sent: Mapping[str, Any] = field(default_factory=dict)


class _NotJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are Python extensions, not JSON.
    raise _NotJson(name)


def parse_body(body: bytes, settings: EmulatorSettings) -> Parsed:
    """Apply steps 5-8 of the validation order to a body already within the size limit."""
    try:
        text = body.decode("utf-8")
        # Numbers matter to no field; reading them as floats keeps a 10,000-digit integer from costing
        # quadratic time or tripping the int-digits limit.
        document = json.loads(text, parse_int=float, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refusal(settings.code_invalid_json, reason="the body is not JSON") from None
    if isinstance(document, dict):
        data = document.get("data")
        if isinstance(data, str) and len(data) > settings.base64_limit:
            raise Refusal(
                settings.code_base64_too_long,
                reason=f"data has {len(data)} characters, over {settings.base64_limit}",
            )
    return _fields(document, settings)


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, as a client in any language knows it (numbers are read as floats)."""
    if value is None:
        return "null"
    names = ((bool, "a boolean"), ((int, float), "a number"), (str, "a string"), (list, "an array"),
             (dict, "an object"))  # fmt: skip
    return next(name for kind, name in names if isinstance(value, kind))


def _fields(document: Any, settings: EmulatorSettings) -> Parsed:
    if not isinstance(document, dict):
        raise Refusal("AIS.0101", reason="the body is not a JSON object")
    data, url, alarm = document.get("data"), document.get("url"), document.get("alarm", False)
    for name, value in (("data", data), ("url", url)):
        if name in document and not isinstance(value, str):
            raise Refusal("AIS.0101", reason=f"{name} is {_json_type(value)}, not a string")
    if not isinstance(alarm, bool):
        raise Refusal("AIS.0101", reason=f"alarm is {_json_type(alarm)}, not a boolean")
    if data and url:
        raise Refusal("AIS.0101", reason="both data and url are set")
    if not data and not url:
        raise Refusal(settings.code_neither, reason="neither data nor url is set")
    sent = {name: value for name, value in document.items() if name != "data"}
    if url:
        return Parsed(alarm=alarm, url=url, sent=sent)
    assert isinstance(data, str)
    return Parsed(alarm=alarm, data=decode_base64(data, settings), sent=sent)


def decode_base64(data: str, settings: EmulatorSettings) -> bytes:
    """Decode ``data``, refusing prefixes, characters outside the alphabet and (if strict) non-canonical forms."""
    if _DATA_URI.match(data):
        raise Refusal("AIS.0102", reason="data has a data: URI prefix")
    if not data.isascii():
        raise Refusal("AIS.0102", reason="data has non-ASCII characters")
    raw = data.encode("ascii")
    try:
        decoded = decode_strict(raw)
    except (binascii.Error, ValueError):
        decoded = None
    if decoded is not None and _canonical(raw):
        return decoded
    if settings.strict_base64:
        code = settings.code_noncanonical_base64 if _lenient(data) is not None else "AIS.0102"
        raise Refusal(code, reason="data is not canonical base64")
    repaired = _lenient(data)
    if repaired is None:
        raise Refusal("AIS.0102", reason="data is not base64")
    return repaired


def _canonical(raw: bytes) -> bool:
    """Whether base64 that decoded under ``validate=True`` is the one canonical spelling of its bytes.

    That is: whole quads, and no bits set in the last character that the padding says are unused
    (``QR==`` decodes like ``QQ==``).  Equivalent to re-encoding the decoded bytes and comparing, at no cost.
    """
    # More than two "=" decodes too (``AAAA====``), but is never canonical: no KeyError on the third.
    if len(raw) % 4 or raw.endswith(b"==="):
        return False
    if raw.endswith(b"=="):
        return _SEXTET.get(raw[-3], 0x0F) & 0x0F == 0
    if raw.endswith(b"="):
        return _SEXTET.get(raw[-2], 0x03) & 0x03 == 0
    return True


def _lenient(data: str) -> bytes | None:
    """Decode whitespace-wrapped, unpadded, over-padded or URL-safe base64; ``None`` if it is not base64 at all."""
    compact = "".join(data.split()).translate(str.maketrans("-_", "+/")).rstrip("=")
    if not compact or not _BASE64_ALPHABET.fullmatch(compact) or len(compact) % 4 == 1:
        return None
    try:
        return decode_strict(compact + "=" * (-len(compact) % 4))
    except (binascii.Error, ValueError):
        return None


def sniff_format(image: bytes) -> str:
    """Name the supported format of ``image`` from its leading bytes, or refuse with AIS.0102."""
    for signature, name in _SIGNATURES:
        if image.startswith(signature):
            return name
    raise Refusal("AIS.0102", reason="not a JPEG, PNG, BMP or TIFF image")


def check_header(image: bytes, settings: EmulatorSettings) -> tuple[int, int]:
    """Read the sides from the header only and refuse them outside 15..8192 before anything is decoded."""
    fmt = sniff_format(image)
    from pytest_idclassify.images import probe

    try:
        info = probe(image)
    except Exception:
        raise Refusal(settings.code_undecodable, reason="the image header cannot be read") from None
    width, height = int(info.width), int(info.height)
    if not (SIDE_MIN <= width <= SIDE_MAX and SIDE_MIN <= height <= SIDE_MAX):
        raise Refusal("AIS.0103", reason=f"the image is {width}x{height}")
    if not _complete(image, fmt):
        raise Refusal(settings.code_undecodable, reason=f"the {fmt} stream is truncated")
    return width, height


def _complete(image: bytes, fmt: str) -> bool:
    """Whether a JPEG or PNG stream reaches its end marker; decoders fill a truncated one with grey instead."""
    if fmt == "JPEG":
        # In entropy-coded data 0xFF is always stuffed or a restart marker, so FFD9 near the end is the EOI.
        return b"\xff\xd9" in image[-4096:]
    if fmt == "PNG":
        return b"IEND" in image[-4096:]
    return True


def decode_scale(fmt: str, width: int, height: int, *, alarm: bool, settings: EmulatorSettings) -> int:
    """The DCT-domain reduction (1, 2, 4 or 8) a picture is decoded at: what the analysis can do without.

    Locating and classifying look at the card at a few hundred pixels, so a large JPEG answered
    without alarms is decoded at the largest reduction that keeps its long side at or above
    ``reduced_decode_side``.  With alarms every picture is decoded whole: the screen-reproduction
    measure reads the picture's own pixels, whose sub-pixel grid any resampling would average away.
    """
    if alarm or fmt != "JPEG" or not settings.reduced_decode_side:
        return 1
    for factor in (8, 4, 2):
        if max(width, height) // factor >= settings.reduced_decode_side:
            return factor
    return 1


def recognise(image: bytes, *, alarm: bool, settings: EmulatorSettings) -> dict[str, Any]:
    """Check, decode and analyse ``image``; return the 200 body or raise the :class:`Refusal` it deserves."""
    from pytest_idclassify.emulator import _vision
    from pytest_idclassify.emulator._vision._decode import decode_scaled

    width, height = check_header(image, settings)
    scale = decode_scale(sniff_format(image), width, height, alarm=alarm, settings=settings)
    try:
        pixels, scale = decode_scaled(image, scale_down=scale, max_jpeg_scans=settings.jpeg_max_scans)
    except _vision.UndecodableImage as exc:
        raise Refusal(settings.code_undecodable, reason=f"the image cannot be decoded: {exc}") from None
    decoded_height, decoded_width = int(pixels.shape[0]), int(pixels.shape[1])
    expected = {-(-height // scale), -(-width // scale)}
    if {decoded_height, decoded_width} != expected:
        # A header that lies about the size is as corrupt as a truncated stream (an EXIF rotation may swap sides).
        raise Refusal(settings.code_undecodable, reason="decoded size differs from the header")
    if (decoded_width, decoded_height) != (-(-width // scale), -(-height // scale)):
        width, height = height, width  # turned upright by its EXIF orientation
    try:
        analysis = _vision.analyse(pixels, with_alarms=alarm, alarm_threshold=settings.alarm_threshold)
    except _vision.NoDocumentFound:
        raise Refusal(settings.code_no_document, reason="no document found") from None
    del pixels
    quad = [(x * scale + (scale - 1) / 2, y * scale + (scale - 1) / 2) for x, y in analysis.quad]
    return {"result": _result(analysis, quad, alarm=alarm, width=width, height=height)}


def _result(analysis: Any, quad: list[tuple[float, float]], *, alarm: bool, width: int, height: int) -> dict[str, Any]:
    location = [[min(max(round(x), 0), width - 1), min(max(round(y), 0), height - 1)] for x, y in quad]
    result: dict[str, Any] = {
        "type": str(analysis.doc_type),
        "location": location,
        "confidence": round(float(analysis.confidence), 4),
    }
    if alarm:
        tables = documented_tables()
        flags = analysis.alarm_result
        result["alarm_result"] = {row.name: bool(_item(flags, row.name)) for row in tables["Table 6"].rows}
        # Scores are passed on as the engine computed them: a score out of range is the engine's bug and
        # the contract suite must be able to see it.
        result["alarm_confidence"] = {
            row.name: int(_item(analysis.alarm_confidence, row.name)) for row in tables["Table 7"].rows
        }
    return result


def _item(container: Any, name: str) -> Any:
    return container[name] if isinstance(container, Mapping) else getattr(container, name)
