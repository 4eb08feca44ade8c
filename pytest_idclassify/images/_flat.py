"""Hand-written encoders of flat-colour images of any size, costing milliseconds at 8192 px.

Each encoder writes the container by hand and expresses "the same pixel everywhere" in the
format's own terms, so the raster is never materialised:

- PNG: a one-entry palette at 1 bit per pixel, so every filtered row is zero bytes, compressed
  by :func:`zlib_periodic`;
- BMP: 8-bit RLE (runs of 255) with a one-entry palette, or 1-bit uncompressed rows of zeros;
- TIFF: RGB (or grey) strips compressed with deflate, every full strip the same stream;
- JPEG: baseline, quantiser 1, a DC-only first MCU and then DC difference 0 / end-of-block for
  every other block, with Huffman tables in which both are 1-bit codes of value 0, so the rest of
  the scan is zero bytes;
- GIF: LZW of a run of one index (:func:`lzw_zero_run`);
- WebP: Pillow (the format is only used for negative cases and cannot exceed 16383 px).
"""

from __future__ import annotations

import functools
import io
import struct
import zlib

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._deflate import zlib_periodic
from pytest_idclassify.images._formats import check_side, normalise_format
from pytest_idclassify.images._lzw import lzw_zero_run

RGB = tuple[int, int, int]

# Keep each PNG chunk and TIFF strip near 1 MiB: libpng (as built for OpenCV) refuses chunks of
# more than about 8 MB, and 1 MiB keeps the decoders' per-strip buffers small.
_CHUNK_LIMIT = 1 << 20


def check_colour(colour: object, *, argument: str = "colour") -> RGB:
    """Return ``colour`` as an RGB triple of ints in 0..255, or raise :class:`ImageSpecError`."""
    if (
        isinstance(colour, tuple)
        and len(colour) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in colour)
    ):
        return (int(colour[0]), int(colour[1]), int(colour[2]))
    raise ImageSpecError(f"{argument}={colour!r} is not an RGB colour; pass three ints in 0..255, e.g. (128, 128, 128)")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_flat(width: int, height: int, colour: RGB) -> bytes:
    """Return a PNG of one colour: 1-bit palette of one entry, every row zero bytes."""
    row = 1 + (width + 7) // 8  # filter byte 0 then the packed indices, all zero
    stream = zlib_periodic(b"\x00", row * height)
    idat = b"".join(_png_chunk(b"IDAT", stream[i : i + _CHUNK_LIMIT]) for i in range(0, len(stream), _CHUNK_LIMIT))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 3, 0, 0, 0))
        + _png_chunk(b"PLTE", bytes(colour))
        + idat
        + _png_chunk(b"IEND", b"")
    )


def _bmp(width: int, height: int, bits: int, compression: int, palette: bytes, pixels: bytes) -> bytes:
    offset = 14 + 40 + len(palette)
    size = offset + len(pixels)
    if size >= 2**32:
        raise ImageSpecError(
            f"a {width}x{height} BMP would be {size} bytes, more than the 4 GiB a BMP header can state; "
            "use rle8 or smaller sides"
        )
    colours = len(palette) // 4
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, compression, len(pixels), 2835, 2835, colours, 0)
    return b"BM" + struct.pack("<IHHI", size, 0, 0, offset) + info + palette + pixels


def bmp_flat(width: int, height: int, colour: RGB, *, compression: str = "rle8") -> bytes:
    """Return a BMP of one colour, ``compression`` "rle8" (runs of 255) or "none" (1 bit per pixel)."""
    entry = bytes((colour[2], colour[1], colour[0], 0))
    if compression == "rle8":
        runs, rest = divmod(width, 255)
        row = b"\xff\x00" * runs + (bytes((rest, 0)) if rest else b"")
        # Every row ends with end-of-line, the bitmap with end-of-bitmap.
        pixels = (row + b"\x00\x00") * (height - 1) + row + b"\x00\x01"
        return _bmp(width, height, 8, 1, entry, pixels)
    if compression == "none":
        stride = (width + 31) // 32 * 4
        return _bmp(width, height, 1, 0, entry * 2, bytes(stride * height))
    raise ImageSpecError(f"compression={compression!r} is not a BMP compression; use 'rle8' or 'none'")


def tiff_flat(width: int, height: int, colour: RGB) -> bytes:
    """Return a little-endian TIFF of one colour: deflate strips, RGB (or 8-bit grey for a grey colour)."""
    grey = colour[0] == colour[1] == colour[2]
    pattern = bytes(colour[:1]) if grey else bytes(colour)
    row_bytes = width * len(pattern)
    rows_per_strip = max(1, min(height, _CHUNK_LIMIT // row_bytes))
    full, last_rows = divmod(height, rows_per_strip)
    full_strip = zlib_periodic(pattern, rows_per_strip * row_bytes)
    strips = [full_strip] * full
    if last_rows:
        strips.append(zlib_periodic(pattern, last_rows * row_bytes))
    count = len(strips)

    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    bits_offset = len(out)
    if not grey:
        out += struct.pack("<HHH", 8, 8, 8)
    offsets = []
    for strip in strips:
        offsets.append(len(out))
        out += strip
    if len(out) % 2:
        out += b"\x00"  # TIFF wants word-aligned offsets for out-of-line values
    offsets_at = len(out)
    out += struct.pack(f"<{count}I", *offsets)
    counts_at = len(out)
    out += struct.pack(f"<{count}I", *(len(s) for s in strips))
    if len(out) >= 2**32:
        raise ImageSpecError(
            f"a {width}x{height} TIFF would pass the 4 GiB a classic TIFF can address; use smaller sides"
        )

    def inline_or(offset: int, value: int) -> int:
        return value if count == 1 else offset

    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1 if grey else 3, 8 if grey else bits_offset),
        (259, 3, 1, 8),  # Adobe deflate
        (262, 3, 1, 1 if grey else 2),  # BlackIsZero or RGB
        (273, 4, count, inline_or(offsets_at, offsets[0])),
        (277, 3, 1, len(pattern)),
        (278, 4, 1, rows_per_strip),
        (279, 4, count, inline_or(counts_at, len(strips[0]))),
        (284, 3, 1, 1),  # chunky
    ]
    ifd_at = len(out)
    out += struct.pack("<H", len(entries))
    for tag, kind, n, value in entries:
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 and n == 1 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, kind, n) + packed
    out += b"\x00\x00\x00\x00"
    out[4:8] = struct.pack("<I", ifd_at)
    return bytes(out)


def _rgb_to_ycc_float(colour: RGB) -> tuple[float, float, float]:
    r, g, b = colour
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return y, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b


def _ycc_to_rgb(y: int, cb: int, cr: int) -> RGB:
    """Mirror libjpeg's integer YCbCr -> RGB (jdcolor.c), so the chosen triple decodes as predicted."""

    def fix(x: float) -> int:
        return int(x * 65536 + 0.5)

    half = 1 << 15
    r = y + ((fix(1.402) * (cr - 128) + half) >> 16)
    g = y + ((-fix(0.34414) * (cb - 128) - fix(0.71414) * (cr - 128) + half) >> 16)
    b = y + ((fix(1.772) * (cb - 128) + half) >> 16)
    return (min(255, max(0, r)), min(255, max(0, g)), min(255, max(0, b)))


@functools.lru_cache(maxsize=256)
def jpeg_ycc(colour: RGB) -> tuple[int, int, int]:
    """Return the YCbCr triple whose libjpeg decoding is nearest to ``colour``."""
    fy, fcb, fcr = _rgb_to_ycc_float(colour)
    best: tuple[int, tuple[int, int, int]] | None = None
    for y in range(round(fy) - 2, round(fy) + 3):
        for cb in range(round(fcb) - 2, round(fcb) + 3):
            for cr in range(round(fcr) - 2, round(fcr) + 3):
                if not (0 <= y <= 255 and 0 <= cb <= 255 and 0 <= cr <= 255):
                    continue
                error = max(abs(a - b) for a, b in zip(_ycc_to_rgb(y, cb, cr), colour, strict=True))
                if best is None or error < best[0]:
                    best = (error, (y, cb, cr))
    assert best is not None
    return best[1]


def jpeg_decoded_colour(colour: RGB) -> RGB:
    """Return the colour a flat JPEG of ``colour`` decodes to (exact for greys, else within a level or two)."""
    if colour[0] == colour[1] == colour[2]:
        return colour
    return _ycc_to_rgb(*jpeg_ycc(colour))


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _dc_bits(value: int) -> tuple[int, str]:
    """Return (category, magnitude bits) of a DC difference (T.81 F.1.2.1)."""
    category = abs(value).bit_length()
    if category == 0:
        return 0, ""
    raw = value if value > 0 else value + (1 << category) - 1
    return category, format(raw, f"0{category}b")


def _bits_to_bytes(bits: str) -> bytes:
    """Pack a bit string MSB first, pad the last byte with 1s (T.81 F.1.2.3), stuff 0xFF bytes."""
    padded = bits + "1" * (-len(bits) % 8)
    if not padded:
        return b""
    return int(padded, 2).to_bytes(len(padded) // 8, "big").replace(b"\xff", b"\xff\x00")


def _pack_scan(prefix: str, zeros: int) -> bytes:
    """Return the entropy-coded segment ``prefix`` followed by ``zeros`` zero bits."""
    align = (-len(prefix)) % 8
    if zeros <= align + 64:
        return _bits_to_bytes(prefix + "0" * zeros)
    head = _bits_to_bytes(prefix + "0" * align)
    full, tail = divmod(zeros - align, 8)
    return head + bytes(full) + _bits_to_bytes("0" * tail)


def jpeg_flat(width: int, height: int, colour: RGB) -> bytes:
    """Return a baseline JPEG of one colour: grey (one component) or YCbCr 4:4:4."""
    levels = (colour[0],) if colour[0] == colour[1] == colour[2] else jpeg_ycc(colour)
    # With quantiser 1 a flat block's DC coefficient is 8 x (level - 128) and decodes exactly.
    dcs = [8 * (level - 128) for level in levels]
    encoded = [_dc_bits(dc) for dc in dcs]
    categories = sorted({cat for cat, _ in encoded} - {0})
    # Category 0 gets code "0"; the others "10", "110", "1110" (never the all-ones code).
    dc_codes = {0: "0"} | {cat: "1" * (i + 1) + "0" for i, cat in enumerate(categories)}
    dc_counts = [0] * 16
    dc_counts[0] = 1
    for i in range(len(categories)):
        dc_counts[i + 1] = 1
    components = len(levels)
    blocks = ((width + 7) // 8) * ((height + 7) // 8)

    prefix = "".join(dc_codes[cat] + bits + "0" for cat, bits in encoded)  # "0" is end-of-block
    zeros = (blocks - 1) * components * 2  # DC difference 0 and end-of-block, both "0"
    scan = _pack_scan(prefix, zeros)
    ids = range(1, components + 1)
    return b"".join(
        [
            b"\xff\xd8",
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xDB, b"\x00" + b"\x01" * 64),
            _segment(
                0xC0, struct.pack(">BHHB", 8, height, width, components) + b"".join(bytes((i, 0x11, 0)) for i in ids)
            ),
            _segment(0xC4, b"\x00" + bytes(dc_counts) + bytes([0, *categories])),
            _segment(0xC4, b"\x10" + b"\x01" + bytes(15) + b"\x00"),
            _segment(0xDA, bytes((components,)) + b"".join(bytes((i, 0)) for i in ids) + b"\x00\x3f\x00"),
            scan,
            b"\xff\xd9",
        ]
    )


def gif_flat(width: int, height: int, colour: RGB) -> bytes:
    """Return a GIF89a of one colour: a two-entry global palette and one LZW-coded frame."""
    screen = struct.pack("<6sHHBBB", b"GIF89a", width, height, 0xF0, 0, 0)
    palette = bytes(colour) * 2
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return screen + palette + descriptor + lzw_zero_run(width * height) + b"\x3b"


def webp_flat(width: int, height: int, colour: RGB) -> bytes:
    """Return a lossless WebP of one colour, through Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def encode_flat(fmt: str, width: int, height: int, colour: RGB = (128, 128, 128)) -> bytes:
    """Return an image of ``width`` x ``height`` pixels of one ``colour`` in format ``fmt``.

    Works from 1 x 1 to far beyond 8192 px per side without materialising the raster (WebP
    excepted, which Pillow encodes and which stops at 16383 px).  JPEG reproduces greys exactly
    and other colours within a level or two (see :func:`jpeg_decoded_colour`).

    Raises:
        ImageSpecError: unknown format, a side below 1 or beyond the container's limit, or a
            colour that is not three ints in 0..255.

    """
    name = normalise_format(fmt)
    check_side(name, width, height)
    rgb = check_colour(colour)
    encoder = {
        "png": png_flat,
        "bmp": bmp_flat,
        "tiff": tiff_flat,
        "jpeg": jpeg_flat,
        "gif": gif_flat,
        "webp": webp_flat,
    }
    return encoder[name](width, height, rgb)
