"""Grow an image file to an exact byte length (or base64 length) without touching its pixels.

Each format has a place decoders skip: PNG private ancillary chunks (``idPd``, at most 1 MiB
each, since libpng as built for OpenCV refuses chunks over about 8 MB), JPEG comment segments
(COM, at most 65,537 bytes each), bytes after a TIFF's last structure, a gap before a BMP's pixel
array (``bfOffBits`` moved), and GIF comment extensions.  Every container has a smallest
addition (a PNG chunk costs 12 bytes, a COM segment 4), so some sizes are unreachable; those raise
:class:`ImageSpecError` naming the nearest reachable ones.
"""

from __future__ import annotations

import struct
import zlib

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._base64 import check_variant, variant_applies, variant_length
from pytest_idclassify.images._formats import normalise_format

_PNG_CHUNK = 1 << 20
_PNG_OVERHEAD = 12
_COM_PAYLOAD = 65533
_COM_OVERHEAD = 4


def _gap_reachable(fmt: str, gap: int) -> bool:
    """Tell whether ``gap`` bytes can be added to a ``fmt`` file."""
    if gap == 0:
        return True
    if fmt == "png":
        return gap >= _PNG_OVERHEAD
    if fmt == "jpeg":
        return gap >= _COM_OVERHEAD
    if fmt == "gif":
        return gap == 3 or gap >= 5
    return fmt in ("tiff", "bmp") and gap > 0


def _grouped(total: int, parts: int) -> list[tuple[int, int]]:
    """Split ``total`` into ``parts`` near-equal sizes, as (size, how many) pairs (at most two)."""
    base, extra = divmod(total, parts)
    return [(size, count) for size, count in ((base + 1, extra), (base, parts - extra)) if count]


# The fillers return lists of parts, one object repeated, so that the padded file is built by a
# single join: building a 10 MB body by slicing and concatenating costs four 10 MB copies.
def _png_chunks(gap: int) -> list[bytes]:
    count = -(-gap // (_PNG_CHUNK + _PNG_OVERHEAD))
    out: list[bytes] = []
    for size, repeat in _grouped(gap - _PNG_OVERHEAD * count, count):
        payload = bytes(size)
        out += [struct.pack(">I", size) + b"idPd" + payload + struct.pack(">I", zlib.crc32(b"idPd" + payload))] * repeat
    return out


def _png_iend(data: bytes) -> int:
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IEND":
            return pos
        pos += 12 + length
    raise ImageSpecError("cannot pad this PNG: no IEND chunk found; pad a well-formed PNG (before corrupting it)")


def _jpeg_after_app(data: bytes) -> int:
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF and 0xE0 <= data[pos + 1] <= 0xEF:
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return pos


def _com_segments(gap: int) -> list[bytes]:
    count = -(-gap // (_COM_PAYLOAD + _COM_OVERHEAD))
    out: list[bytes] = []
    for size, repeat in _grouped(gap - _COM_OVERHEAD * count, count):
        out += [b"\xff\xfe" + struct.pack(">H", size + 2) + bytes(size)] * repeat
    return out


def _gif_comment(gap: int) -> list[bytes]:
    body = gap - 3  # introducer, label, terminator
    if body == 0:
        return [b"\x21\xfe\x00"]
    # Each sub-block costs its length byte plus 1..255 data bytes.
    out = [b"\x21\xfe"]
    for p, repeat in _grouped(body, -(-body // 256)):
        out += [bytes((p - 1,)) + bytes(p - 1)] * repeat
    return [*out, b"\x00"]


def _insert(fmt: str, data: bytes, gap: int) -> bytes:
    view = memoryview(data)  # slices of a view copy nothing until the join
    if fmt == "png":
        at = _png_iend(data)
        return b"".join([view[:at], *_png_chunks(gap), view[at:]])
    if fmt == "jpeg":
        if data[:2] != b"\xff\xd8":
            raise ImageSpecError("cannot pad this JPEG: it does not start with SOI (FF D8)")
        at = _jpeg_after_app(data)
        return b"".join([view[:at], *_com_segments(gap), view[at:]])
    if fmt == "tiff":
        return data + bytes(gap)
    if fmt == "bmp":
        if data[:2] != b"BM" or len(data) < 14:
            raise ImageSpecError("cannot pad this BMP: it does not start with 'BM'")
        size, offset = struct.unpack("<I", data[2:6])[0], struct.unpack("<I", data[10:14])[0]
        head = data[:2] + struct.pack("<I", size + gap) + data[6:10] + struct.pack("<I", offset + gap)
        return b"".join([head, view[14:offset], bytes(gap), view[offset:]])
    if fmt == "gif":
        if data[:3] != b"GIF" or len(data) < 13:
            raise ImageSpecError("cannot pad this GIF: it does not start with 'GIF'")
        at = 13 + (3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
        return b"".join([view[:at], *_gif_comment(gap), view[at:]])
    raise ImageSpecError(f"fmt={fmt!r} cannot be padded; padding works for bmp, gif, jpeg, png and tiff")


def _nearest(fmt: str, current: int, n: int) -> tuple[int | None, int]:
    """Return the reachable sizes just below and just above ``n``."""
    below = next((m for m in range(min(n, current + 16), current - 1, -1) if _gap_reachable(fmt, m - current)), None)
    if n > current + 16:
        below = n  # past the first few bytes every size is reachable
    above = next(m for m in range(max(n, current), current + 32) if _gap_reachable(fmt, m - current) and m >= n)
    return below, above


def pad_to_bytes(data: bytes, fmt: str, n: int) -> bytes:
    """Return ``data`` grown to exactly ``n`` bytes; the decoded pixels are unchanged.

    Raises:
        ImageSpecError: ``n`` is smaller than the file, or the container cannot grow by exactly
            ``n - len(data)`` bytes (the message names the nearest reachable sizes), or ``fmt``
            cannot be padded (webp).

    """
    name = normalise_format(fmt)
    if name == "webp":
        raise ImageSpecError("fmt='webp' cannot be padded; padding works for bmp, gif, jpeg, png and tiff")
    if isinstance(n, bool) or not isinstance(n, int):
        raise ImageSpecError(f"n={n!r} is not a byte count; pass an int of at least {len(data)}")
    gap = n - len(data)
    if gap < 0:
        raise ImageSpecError(
            f"n={n} bytes is smaller than this {len(data)}-byte {name} file, and padding only adds bytes: "
            f"give {len(data)} (no padding) or at least {len(data) + _min_gap(name)}"
        )
    if not _gap_reachable(name, gap):
        below, above = _nearest(name, len(data), n)
        options = f"{below} or {above}" if below is not None and below != above else f"{above}"
        raise ImageSpecError(
            f"n={n} bytes is not reachable for this {len(data)}-byte {name} file "
            f"(smallest addition: {_min_gap(name)} bytes); the nearest reachable sizes are {options}"
        )
    return data if gap == 0 else _insert(name, data, gap)


def _min_gap(fmt: str) -> int:
    return {"png": _PNG_OVERHEAD, "jpeg": _COM_OVERHEAD, "gif": 3}.get(fmt, 1)


def byte_sizes_for_base64_length(current: int, fmt: str, n_chars: int, variant: str = "canonical") -> list[int]:
    """Return the file sizes >= ``current`` whose ``variant`` text is ``n_chars`` long and that padding reaches."""
    lo, hi = current, max(current, n_chars)
    while lo < hi:  # smallest size whose text is at least n_chars long (lengths never decrease)
        mid = (lo + hi) // 2
        if variant_length(variant, mid) < n_chars:
            lo = mid + 1
        else:
            hi = mid
    sizes = []
    size = lo
    while variant_length(variant, size) == n_chars:
        if _gap_reachable(fmt, size - current) and variant_applies(variant, size):
            sizes.append(size)
        size += 1
    return sizes


def _reachable_length_below(current: int, fmt: str, n_chars: int, variant: str) -> int | None:
    """Return the longest reachable ``variant`` text length below ``n_chars``, if any."""
    lo, hi = current, max(current, n_chars)
    while lo < hi:
        mid = (lo + hi) // 2
        if variant_length(variant, mid) < n_chars:
            lo = mid + 1
        else:
            hi = mid
    for size in range(lo - 1, max(current, lo - 64) - 1, -1):
        if _gap_reachable(fmt, size - current) and variant_applies(variant, size):
            return variant_length(variant, size)
    return None


def pad_to_base64_length(data: bytes, fmt: str, n_chars: int, variant: str = "canonical") -> bytes:
    """Return ``data`` padded so that its base64 text in ``variant`` is exactly ``n_chars`` characters.

    Canonical base64 lengths are multiples of 4; a variant adds or removes characters in a known
    way (a data-URI prefix, line breaks, a trailing newline...), and the padding accounts for it.
    Of the file sizes that fit, the largest is used.

    Raises:
        ImageSpecError: no reachable file size has a text of that length (for example a canonical
            length that is not a multiple of 4, or one below the file's own); the message names
            the nearest reachable lengths.

    """
    name = normalise_format(fmt)
    check_variant(variant)
    if isinstance(n_chars, bool) or not isinstance(n_chars, int) or n_chars < 0:
        raise ImageSpecError(f"n_chars={n_chars!r} is not a length; pass a non-negative int")
    sizes = byte_sizes_for_base64_length(len(data), name, n_chars, variant)
    if sizes:
        return pad_to_bytes(data, name, sizes[-1])
    below = _reachable_length_below(len(data), name, n_chars, variant)
    smallest = len(data)
    above = n_chars + 1
    while not byte_sizes_for_base64_length(smallest, name, above, variant):
        above += 1
    hint = (
        f"{below} or {above}"
        if below is not None
        else f"{above} (the file alone is {variant_length(variant, smallest)})"
    )
    raise ImageSpecError(
        f"n_chars={n_chars} is not reachable for this {len(data)}-byte {name} file in base64 variant {variant!r}"
        f"{' (canonical lengths are multiples of 4)' if variant in ('canonical', 'urlsafe') else ''}; "
        f"the nearest reachable lengths are {hint}"
    )
