"""Read an image's format and size from its header only, without decoding it.

Every read is bounds-checked against the buffer, so garbage, truncated or hostile input raises
:class:`ImageProbeError` and nothing else; the cost is proportional to the headers walked (a JPEG's
marker segments before its frame header), never to the pixels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pytest_idclassify.errors import ImageProbeError

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class ImageInfo:
    """What an image's header says: format, stored size, and the EXIF/TIFF orientation (1 if none).

    ``width`` and ``height`` are the stored raster's; :attr:`displayed_size` applies the
    orientation, as decoders that honour EXIF (OpenCV's ``imdecode`` by default) do.
    """

    format: str
    width: int
    height: int
    orientation: int = 1

    @property
    def displayed_size(self) -> tuple[int, int]:
        """Return (width, height) once the orientation is applied (5-8 swap the sides)."""
        if self.orientation in (5, 6, 7, 8):
            return self.height, self.width
        return self.width, self.height


def _u16(data: bytes, pos: int, order: str) -> int:
    if pos < 0 or pos + 2 > len(data):
        raise ImageProbeError(f"header ends at byte {len(data)} while reading 2 bytes at {pos}: the file is truncated")
    return int(struct.unpack_from(order + "H", data, pos)[0])


def _u32(data: bytes, pos: int, order: str) -> int:
    if pos < 0 or pos + 4 > len(data):
        raise ImageProbeError(f"header ends at byte {len(data)} while reading 4 bytes at {pos}: the file is truncated")
    return int(struct.unpack_from(order + "I", data, pos)[0])


def _png(data: bytes) -> ImageInfo:
    if data[12:16] != b"IHDR":
        raise ImageProbeError(f"PNG's first chunk is {data[12:16]!r}, not IHDR: the header is corrupt")
    return ImageInfo("png", _u32(data, 16, ">"), _u32(data, 20, ">"))


def _gif(data: bytes) -> ImageInfo:
    return ImageInfo("gif", _u16(data, 6, "<"), _u16(data, 8, "<"))


def _bmp(data: bytes) -> ImageInfo:
    header = _u32(data, 14, "<")
    if header == 12:
        return ImageInfo("bmp", _u16(data, 18, "<"), _u16(data, 20, "<"))
    if header < 16:
        raise ImageProbeError(f"BMP info header size {header} is not one a BMP uses (12, or 16 and more)")
    width = struct.unpack_from("<i", data, 18)[0] if len(data) >= 22 else _u32(data, 18, "<")
    if len(data) < 26:
        raise ImageProbeError(f"header ends at byte {len(data)} while reading the BMP height: the file is truncated")
    height = struct.unpack_from("<i", data, 22)[0]
    # A negative height marks a top-down bitmap; the size is its magnitude.
    return ImageInfo("bmp", int(width), abs(int(height)))


def _tiff_ifd(data: bytes, order: str, big: bool, start: int, base: int = 0) -> dict[int, int]:
    """Return the single-valued SHORT/LONG/LONG8 entries of one IFD, tag -> value."""
    count_size, entry_size = (8, 20) if big else (2, 12)
    count = (
        int(struct.unpack_from(order + "Q", data, base + start)[0])
        if big and base + start + 8 <= len(data)
        else _u16(data, base + start, order)
        if not big
        else -1
    )
    if count < 0:
        raise ImageProbeError("BigTIFF directory offset points past the end of the file")
    if count > (len(data) - base - start) // entry_size + 1:
        raise ImageProbeError(f"TIFF directory claims {count} entries, more than the file can hold")
    values: dict[int, int] = {}
    for index in range(count):
        pos = base + start + count_size + index * entry_size
        if pos + entry_size > len(data):
            raise ImageProbeError("TIFF directory runs past the end of the file: the file is truncated")
        tag, kind = _u16(data, pos, order), _u16(data, pos + 2, order)
        value_at = pos + (12 if big else 8)
        if kind == 3:
            values[tag] = _u16(data, value_at, order)
        elif kind == 4:
            values[tag] = _u32(data, value_at, order)
        elif kind == 16 and big:
            values[tag] = int(struct.unpack_from(order + "Q", data, value_at)[0])
    return values


def _tiff(data: bytes) -> ImageInfo:
    order = "<" if data[:2] == b"II" else ">"
    big = _u16(data, 2, order) == 43
    if big:
        if len(data) < 16:
            raise ImageProbeError("BigTIFF header is shorter than 16 bytes: the file is truncated")
        start = int(struct.unpack_from(order + "Q", data, 8)[0])
    else:
        start = _u32(data, 4, order)
    if start >= len(data):
        raise ImageProbeError(f"TIFF's first directory is at byte {start}, past the end ({len(data)} bytes)")
    tags = _tiff_ifd(data, order, big, start)
    if 256 not in tags or 257 not in tags:
        raise ImageProbeError("TIFF's first directory has no ImageWidth (256) or ImageLength (257) entry")
    orientation = tags.get(274, 1)
    return ImageInfo("tiff", tags[256], tags[257], orientation if 1 <= orientation <= 8 else 1)


def _exif_orientation(segment: bytes) -> int:
    """Return the orientation of an APP1 Exif payload, 1 when absent or unreadable."""
    tiff = segment[6:]
    if tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        value = _tiff_ifd(tiff, order, False, _u32(tiff, 4, order)).get(274, 1)
    except ImageProbeError:
        return 1
    return value if 1 <= value <= 8 else 1


def _jpeg(data: bytes) -> ImageInfo:
    pos = 2
    orientation = 1
    while True:
        if pos >= len(data):
            raise ImageProbeError(f"JPEG ends at byte {len(data)} before its frame header (SOF): the file is truncated")
        if data[pos] != 0xFF:
            raise ImageProbeError(f"JPEG byte {pos} is 0x{data[pos]:02x} where a marker (0xFF) was expected")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= len(data):
            raise ImageProbeError("JPEG ends inside a marker: the file is truncated")
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # markers without a length
        if marker in (0xD9, 0xDA):
            raise ImageProbeError(f"JPEG reaches marker 0x{marker:02x} before any frame header (SOF)")
        length = _u16(data, pos, ">")
        if length < 2:
            raise ImageProbeError(f"JPEG segment 0x{marker:02x} at byte {pos} has length {length}, below 2")
        if marker in _JPEG_SOF:
            if length < 7:
                raise ImageProbeError(f"JPEG frame header at byte {pos} is {length} bytes long, too short for a size")
            height, width = _u16(data, pos + 3, ">"), _u16(data, pos + 5, ">")
            return ImageInfo("jpeg", width, height, orientation)
        if marker == 0xE1 and data[pos + 2 : pos + 8] == b"Exif\x00\x00":
            orientation = _exif_orientation(data[pos + 2 : pos + length])
        pos += length


def _webp(data: bytes) -> ImageInfo:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise ImageProbeError("WebP VP8 frame has no start code 9d 01 2a: the header is corrupt")
        return ImageInfo("webp", _u16(data, 26, "<") & 0x3FFF, _u16(data, 28, "<") & 0x3FFF)
    if chunk == b"VP8L":
        if len(data) < 25 or data[20] != 0x2F:
            raise ImageProbeError("WebP VP8L chunk has no signature byte 0x2f: the header is corrupt")
        bits = _u32(data, 21, "<")
        return ImageInfo("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        if len(data) < 30:
            raise ImageProbeError("WebP VP8X chunk is truncated before the canvas size")
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return ImageInfo("webp", width, height)
    raise ImageProbeError(f"WebP's first chunk is {chunk!r}, not VP8, VP8L or VP8X")


def probe(data: bytes) -> ImageInfo:
    """Return the format and size an image's header declares, reading the header only.

    Recognises JPEG (the first SOF segment; an APP1 Exif orientation before it is reported in
    :attr:`ImageInfo.orientation`), PNG (IHDR), BMP (core and info headers; top-down heights
    are reported positive), TIFF and BigTIFF (first directory), GIF (logical screen) and WebP
    (VP8, VP8L, VP8X).  The size is what the header claims: a file can declare a size its data
    does not hold (see the decompression-bomb helpers).

    Raises:
        ImageProbeError: the bytes start with no known signature, or the header is truncated or
            inconsistent.  No other exception escapes, whatever the input.

    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageProbeError(f"probe() takes bytes, got {type(data).__name__}")
    data = bytes(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _gif(data)
    if data.startswith(b"BM"):
        return _bmp(data)
    if data.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return _tiff(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    raise ImageProbeError(
        f"the first bytes {data[:8].hex(' ')!r} match no JPEG, PNG, BMP, TIFF, GIF or WebP signature; "
        "pass the raw file (base64-decoded, without a data: prefix)"
    )
