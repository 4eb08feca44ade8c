"""GIF's LZW code stream for a run of identical palette indices, built without a raster.

An LZW encoder fed N copies of one index emits runs of length 1, 2, 3... (each code adds the next
longer run to the table) until the table is full, then a clear code, and the same codes again.
One table cycle is computed once and repeated by shifting integers, so an 8192 x 8192 image
costs a few thousand loop steps.
"""

from __future__ import annotations

import functools

from pytest_idclassify.images._bits import repeat_bits

_MIN_CODE_SIZE = 2
_CLEAR = 1 << _MIN_CODE_SIZE
_EOI = _CLEAR + 1
# Clear one entry before the 4096-entry table is full, as giflib does; decoders accept any clear.
_LAST_ENTRY = 4094


@functools.lru_cache(maxsize=8)
def _cycle(remaining: int) -> tuple[int, int, int, bool]:
    """Encode up to one table cycle of ``remaining`` zero indices, starting just after a clear.

    Returns (bits, bit count, indices consumed, whether the data ended in this cycle).
    The cycle ends either with the last code and EOI, or with a clear code.
    """
    value = 0
    nbits = 0
    width = _MIN_CODE_SIZE + 1
    next_code = _EOI + 1
    longest = 1  # the table holds runs 1..longest; run L has code 0 (L == 1) or L + 4
    consumed = 0
    emitted = 0
    while True:
        run = min(longest, remaining - consumed)
        value |= (0 if run == 1 else run + _EOI - 1) << nbits
        nbits += width
        consumed += run
        emitted += 1
        if consumed == remaining:
            # The decoder adds one more entry after reading this code; read EOI at its width.
            if emitted >= 2 and next_code == 1 << width and width < 12:
                width += 1
            value |= _EOI << nbits
            nbits += width
            return value, nbits, consumed, True
        added = next_code
        next_code += 1
        longest += 1
        if added == 1 << width and width < 12:
            width += 1
        if added == _LAST_ENTRY:
            value |= _CLEAR << nbits
            nbits += width
            return value, nbits, consumed, False


def lzw_zero_run(total: int) -> bytes:
    """Return the GIF image data (min code size byte, sub-blocks, terminator) of ``total`` zero indices."""
    if total < 1:
        raise ValueError(f"total={total} must be at least 1")
    value = _CLEAR
    nbits = _MIN_CODE_SIZE + 1
    unit_value, unit_bits, unit_pixels, _ = _cycle(1 << 62)
    units = (total - 1) // unit_pixels
    rep_value, rep_bits = repeat_bits(unit_value, unit_bits, units)
    value |= rep_value << nbits
    nbits += rep_bits
    tail_value, tail_bits, _, _ = _cycle(total - units * unit_pixels)
    value |= tail_value << nbits
    nbits += tail_bits
    stream = value.to_bytes((nbits + 7) // 8, "little")
    view = memoryview(stream)
    blocks = [bytes((len(view[i : i + 255]),)) + view[i : i + 255] for i in range(0, len(stream), 255)]
    return bytes((_MIN_CODE_SIZE,)) + b"".join(blocks) + b"\x00"
