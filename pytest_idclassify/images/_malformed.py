"""Malformed and awkward files: truncated, wrong magic, corrupt data, EXIF rotation, animation, bombs."""

from __future__ import annotations

import io
import random
import struct
import zlib

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._formats import check_side, normalise_format

#: Corruptions a recipe can apply, name -> what it does.
CORRUPTIONS: dict[str, str] = {
    "truncated": "the file cut to half its length",
    "wrong-magic": "the signature bytes replaced by bytes no image format starts with",
    "corrupt-data": "header intact, image data replaced by seeded garbage that cannot be decoded",
}

# Starts with no image signature, and is not text either.
_NOT_A_SIGNATURE = b"\x00IDC\x00\x7f\x00\x01\x02\x03\x04\x05"
_SIGNATURE_LENGTH = {"png": 8, "jpeg": 2, "gif": 6, "bmp": 2, "tiff": 4, "webp": 12}


def truncate(data: bytes, keep: float = 0.5) -> bytes:
    """Return the first ``keep`` fraction of ``data`` (at least one byte, at most all but one).

    Raises:
        ImageSpecError: ``keep`` is outside (0, 1).

    """
    if not 0 < keep < 1:
        raise ImageSpecError(f"keep={keep!r} is not a fraction strictly between 0 and 1; use e.g. 0.5")
    return data[: min(len(data) - 1, max(1, int(len(data) * keep)))]


def wrong_magic(data: bytes, fmt: str) -> bytes:
    """Return ``data`` with its format signature overwritten by bytes no image format starts with."""
    length = _SIGNATURE_LENGTH[normalise_format(fmt)]
    return _NOT_A_SIGNATURE[:length] + data[length:]


def _png_chunks(data: bytes) -> list[tuple[int, bytes, bytes]]:
    chunks = []
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        chunks.append((pos, data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def _garbage(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _corrupt_png(data: bytes, seed: int) -> bytes:
    out = bytearray(data[:8])
    for _, kind, body in _png_chunks(data):
        if kind == b"IDAT":
            # Keep the zlib header; block type 3 is reserved, so inflate fails on the first block.
            body = body[:2] + b"\x07" + _garbage(max(0, len(body) - 3), seed)
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return bytes(out)


def _corrupt_jpeg(data: bytes, seed: int) -> bytes:
    # libjpeg treats damaged entropy-coded data as a warning and still returns pixels, so the
    # corruption goes where the decoder must stop: the Huffman tables the scan refers to are
    # replaced by a table whose code counts overflow (libjpeg: "Bogus Huffman table definition").
    out = bytearray(data[:2])
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        segment = data[pos : pos + 2 + length]
        if marker == 0xC4:
            table = segment[4]
            segment = (
                b"\xff\xc4" + struct.pack(">H", 2 + 1 + 16 + 8) + bytes((table,)) + b"\xff" * 16 + _garbage(8, seed)
            )
        out += segment
        pos += 2 + length
        if marker == 0xDA:
            break
    return bytes(out) + _garbage(max(16, len(data) - pos - 2), seed) + b"\xff\xd9"


def _corrupt_after(data: bytes, start: int, seed: int) -> bytes:
    return data[:start] + _garbage(len(data) - start, seed)


def corrupt_data(data: bytes, fmt: str, seed: int = 0) -> bytes:
    """Return ``data`` with an intact header but image data that decoders reject.

    PNG: IDAT streams start with a reserved deflate block type (CRCs are fixed, so the chunk
    layer is valid).  JPEG: the Huffman tables are bogus.  TIFF: the strips hold garbage after an
    invalid deflate block.  GIF: the LZW stream is garbage.  BMP: the file ends where the pixel
    array starts.  WebP: the VP8/VP8L payload is garbage.
    """
    name = normalise_format(fmt)
    if name == "png":
        return _corrupt_png(data, seed)
    if name == "jpeg":
        return _corrupt_jpeg(data, seed)
    if name == "tiff":
        from pytest_idclassify.images._probe import probe

        probe(data)  # refuse a non-TIFF early
        return _corrupt_tiff(data, seed)
    if name == "gif":
        return _corrupt_gif(data, seed)
    if name == "bmp":
        (offset,) = struct.unpack("<I", data[10:14])
        return data[:offset]
    return _corrupt_after(data, 30, seed)


def _corrupt_tiff(data: bytes, seed: int) -> bytes:
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    offsets: list[int] = []
    counts: list[int] = []
    for index in range(count):
        pos = ifd + 2 + 12 * index
        tag, kind, n = struct.unpack(order + "HHI", data[pos : pos + 8])
        if tag in (273, 279):
            size = 2 if kind == 3 else 4
            code = "H" if kind == 3 else "I"
            where = pos + 8 if n * size <= 4 else struct.unpack(order + "I", data[pos + 8 : pos + 12])[0]
            values = list(struct.unpack(order + code * n, data[where : where + n * size]))
            (offsets if tag == 273 else counts).extend(values)
    out = bytearray(data)
    for offset, length in zip(offsets, counts, strict=True):
        garbage = b"\x78\xda\x07" + _garbage(max(0, length - 3), seed)
        out[offset : offset + length] = garbage[:length]
    return bytes(out)


def _corrupt_gif(data: bytes, seed: int) -> bytes:
    at = data.find(b"\x2c", 13)
    if at < 0:
        raise ImageSpecError("cannot corrupt this GIF: no image descriptor (0x2c) found")
    start = at + 10 + (3 * 2 ** ((data[at + 9] & 7) + 1) if data[at + 9] & 0x80 else 0)
    # Codes above the table size from the first one: a strict decoder stops at once.
    body = b"\xff" * 32 + _garbage(64, seed)
    return data[: start + 1] + bytes((len(body),)) + body + b"\x00\x3b"


def _exif_app1(orientation: int) -> bytes:
    # Big-endian TIFF structure: one IFD with one entry, Orientation (0x0112), SHORT, count 1.
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """Return ``jpeg`` with an APP1 Exif segment right after SOI that sets the orientation tag.

    Orientations 5-8 swap the sides when honoured: an 8192 x 15 stored JPEG with orientation 6
    shows as 15 x 8192 (OpenCV's ``imdecode`` applies it by default, Pillow only through
    ``ImageOps.exif_transpose``).

    Raises:
        ImageSpecError: ``orientation`` is outside 1..8, or ``jpeg`` does not start with SOI.

    """
    if isinstance(orientation, bool) or not isinstance(orientation, int) or not 1 <= orientation <= 8:
        raise ImageSpecError(f"orientation={orientation!r} is not an EXIF orientation; use 1..8 (6 and 8 rotate by 90)")
    if jpeg[:2] != b"\xff\xd8":
        raise ImageSpecError("EXIF orientation needs a JPEG: the data does not start with SOI (FF D8)")
    return jpeg[:2] + _exif_app1(orientation) + jpeg[2:]


def animated_gif(width: int, height: int, frames: int = 3, seed: int = 0) -> bytes:
    """Return an animated GIF of ``frames`` frames of seeded flat colours (Pillow)."""
    from PIL import Image

    check_side("gif", width, height)
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 2:
        raise ImageSpecError(f"frames={frames!r} does not make an animation; use 2 or more")
    rng = random.Random(seed)
    images = [
        Image.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        for _ in range(frames)
    ]
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buffer.getvalue()


def bomb_png_header(width: int = 65535, height: int = 65535) -> bytes:
    """Return a tiny PNG whose IHDR declares ``width`` x ``height`` (8-bit RGB) over a few bytes of data.

    The file is invalid past its header (the data is far too short); it tests that a server
    refuses by the declared size before allocating a raster.
    """
    check_side("png", width, height)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(64))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def bomb_png(width: int = 60000, height: int = 60000) -> bytes:
    """Return a valid 1-bit palette PNG of ``width`` x ``height`` (60000 x 60000 is about 436 KB).

    Deflate cannot beat about 1032:1, so the file grows with the raster (about 1/8256 of the
    pixel count); it decodes to 3.6 billion pixels, beyond Pillow's bomb limit and OpenCV's
    ``CV_IO_MAX_IMAGE_PIXELS`` default (2**30).
    """
    from pytest_idclassify.images._flat import png_flat

    check_side("png", width, height)
    return png_flat(width, height, (0, 0, 0))
