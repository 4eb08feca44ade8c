"""Deflate and zlib streams of periodic data, written without materialising the data.

A flat-colour raster is one short pattern (a palette index, an RGB triple) repeated millions of
times.  Deflate can express that as the pattern's literals followed by back-references of length
258 at distance ``len(pattern)``.  With a dynamic Huffman block that gives every back-reference a
1-bit length code and a 1-bit distance code, each 258 bytes cost 2 bits (the format's best ratio,
about 1032:1), and the bits of consecutive back-references repeat with a period of a few bytes, so
the whole stream is built by repeating a short byte string.  The cost is proportional to the output,
not to the raster.
"""

from __future__ import annotations

import heapq
import itertools

from pytest_idclassify.images._bits import repeat_bits

_MAX_MATCH = 258
_ADLER_BASE = 65521

# (base length, extra bits) for length codes 257..285 (RFC 1951, 3.2.5).
_LENGTH_BASES = (
    (3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 0), (10, 0), (11, 1), (13, 1), (15, 1), (17, 1),
    (19, 2), (23, 2), (27, 2), (31, 2), (35, 3), (43, 3), (51, 3), (59, 3), (67, 4), (83, 4), (99, 4),
    (115, 4), (131, 5), (163, 5), (195, 5), (227, 5), (258, 0),
)  # fmt: skip
# (base distance, extra bits) for distance codes 0..29.
_DIST_BASES = (
    (1, 0), (2, 0), (3, 0), (4, 0), (5, 1), (7, 1), (9, 2), (13, 2), (17, 3), (25, 3), (33, 4), (49, 4),
    (65, 5), (97, 5), (129, 6), (193, 6), (257, 7), (385, 7), (513, 8), (769, 8), (1025, 9), (1537, 9),
    (2049, 10), (3073, 10), (4097, 11), (6145, 11), (8193, 12), (12289, 12), (16385, 13), (24577, 13),
)  # fmt: skip
# Order in which the code-length code lengths are stored (RFC 1951, 3.2.7).
_CLEN_ORDER = (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15)


def _length_code(length: int) -> tuple[int, int, int]:
    """Return (symbol, extra bits value, extra bits count) for a match length in 3..258."""
    for index in range(len(_LENGTH_BASES) - 1, -1, -1):
        base, extra = _LENGTH_BASES[index]
        if length >= base:
            return 257 + index, length - base, extra
    raise AssertionError(length)  # pragma: no cover - callers pass 3..258


def _distance_code(distance: int) -> tuple[int, int, int]:
    """Return (symbol, extra bits value, extra bits count) for a distance in 1..32768."""
    for index in range(len(_DIST_BASES) - 1, -1, -1):
        base, extra = _DIST_BASES[index]
        if distance >= base:
            return index, distance - base, extra
    raise AssertionError(distance)  # pragma: no cover - callers pass 1..32768


def _huffman_lengths(freqs: dict[int, int]) -> dict[int, int]:
    """Return optimal code lengths for symbols with the given frequencies (at least two symbols)."""
    counter = itertools.count()
    heap: list[tuple[int, int, list[int]]] = [(f, next(counter), [s]) for s, f in sorted(freqs.items())]
    heapq.heapify(heap)
    depth = dict.fromkeys(freqs, 0)
    while len(heap) > 1:
        f1, _, s1 = heapq.heappop(heap)
        f2, _, s2 = heapq.heappop(heap)
        for symbol in s1 + s2:
            depth[symbol] += 1
        heapq.heappush(heap, (f1 + f2, next(counter), s1 + s2))
    return depth


def _canonical_codes(lengths: dict[int, int]) -> dict[int, tuple[int, int]]:
    """Return symbol -> (code, length) for canonical Huffman code lengths (RFC 1951, 3.2.2)."""
    codes: dict[int, tuple[int, int]] = {}
    code = 0
    previous = 0
    for symbol, length in sorted(lengths.items(), key=lambda item: (item[1], item[0])):
        code <<= length - previous
        previous = length
        codes[symbol] = (code, length)
        code += 1
    return codes


class _BitWriter:
    """Deflate's bit order: values LSB first, Huffman codes MSB first."""

    def __init__(self) -> None:
        self.value = 0
        self.nbits = 0

    def bits(self, value: int, count: int) -> None:
        self.value |= value << self.nbits
        self.nbits += count

    def huffman(self, code: tuple[int, int]) -> None:
        value, length = code
        self.bits(int(format(value, f"0{length}b")[::-1], 2) if length else 0, length)

    def flush(self) -> bytes:
        """Return every remaining bit, the last byte padded with zeros."""
        count = (self.nbits + 7) // 8
        out = self.value.to_bytes(count, "little")
        self.value = 0
        self.nbits = 0
        return out


def _encode_code_lengths(lengths: list[int]) -> list[tuple[int, int, int]]:
    """Run-length encode code lengths with symbols 0-18: (symbol, extra value, extra bits)."""
    out: list[tuple[int, int, int]] = []
    i = 0
    while i < len(lengths):
        run = 1
        while i + run < len(lengths) and lengths[i + run] == lengths[i]:
            run += 1
        if lengths[i] == 0 and run >= 11:
            take = min(run, 138)
            out.append((18, take - 11, 7))
        elif lengths[i] == 0 and run >= 3:
            take = min(run, 10)
            out.append((17, take - 3, 3))
        else:
            take = 1
            out.append((lengths[i], 0, 0))
        i += take
    return out


def deflate_periodic(pattern: bytes, total: int) -> bytes:
    """Return a raw deflate stream (one dynamic block) of ``pattern`` repeated to ``total`` bytes.

    ``total`` may cut the last repetition short.  The pattern must be 1..32768 bytes long.
    """
    period = len(pattern)
    if not 1 <= period <= 32768:
        raise ValueError(f"pattern length {period} is outside 1..32768")
    head = pattern[: min(total, period)]
    rest = total - len(head)
    full, remainder = divmod(rest, _MAX_MATCH)
    tail_literals = b""
    tail_match = 0
    if remainder >= 3:
        tail_match = remainder
    elif remainder:
        # Too short for a match: the bytes continue the pattern from where the matches stopped.
        start = (len(head) + full * _MAX_MATCH) % period
        tail_literals = (pattern * 3)[start : start + remainder]

    freqs: dict[int, int] = {}
    for byte in head + tail_literals:
        freqs[byte] = freqs.get(byte, 0) + 1
    freqs[256] = 1
    if full:
        freqs[285] = full
    tail_symbol = _length_code(tail_match) if tail_match else None
    if tail_symbol:
        freqs[tail_symbol[0]] = freqs.get(tail_symbol[0], 0) + 1
    if len(freqs) == 1:
        freqs[0] = freqs.get(0, 0) + 1  # a lone symbol cannot form a complete code
    if len(freqs) == 1:  # pragma: no cover - only when the single symbol was literal 0 itself
        freqs[1] = 1
    lit_lengths = _huffman_lengths(freqs)
    lit_codes = _canonical_codes(lit_lengths)
    dist_symbol, dist_extra, dist_nbits = _distance_code(period)
    # A single distance code of length 1 is the one incomplete code inflate accepts.
    dist_codes = {dist_symbol: (0, 1)}

    hlit = max(257, max(lit_lengths) + 1)
    hdist = dist_symbol + 1
    all_lengths = [lit_lengths.get(s, 0) for s in range(hlit)] + [1 if s == dist_symbol else 0 for s in range(hdist)]
    clen_symbols = _encode_code_lengths(all_lengths)
    clen_freqs: dict[int, int] = {}
    for symbol, _, _ in clen_symbols:
        clen_freqs[symbol] = clen_freqs.get(symbol, 0) + 1
    clen_lengths = _huffman_lengths(clen_freqs)
    clen_codes = _canonical_codes(clen_lengths)
    hclen = max(4, max(i for i, s in enumerate(_CLEN_ORDER) if s in clen_lengths) + 1)

    writer = _BitWriter()
    writer.bits(1, 1)  # BFINAL
    writer.bits(2, 2)  # BTYPE = dynamic Huffman
    writer.bits(hlit - 257, 5)
    writer.bits(hdist - 1, 5)
    writer.bits(hclen - 4, 4)
    for symbol in _CLEN_ORDER[:hclen]:
        writer.bits(clen_lengths.get(symbol, 0), 3)
    for symbol, extra, nbits in clen_symbols:
        writer.huffman(clen_codes[symbol])
        writer.bits(extra, nbits)
    for byte in head:
        writer.huffman(lit_codes[byte])

    def match_bits(w: _BitWriter, symbol: int, extra: int, nbits: int) -> None:
        w.huffman(lit_codes[symbol])
        w.bits(extra, nbits)
        w.huffman(dist_codes[dist_symbol])
        w.bits(dist_extra, dist_nbits)

    # One full match is a fixed bit string: write them all at once by repetition.
    if full:
        one = _BitWriter()
        match_bits(one, 285, 0, 0)
        repeated, repeated_bits = repeat_bits(one.value, one.nbits, full)
        writer.bits(repeated, repeated_bits)
    if tail_symbol:
        match_bits(writer, *tail_symbol)
    for byte in tail_literals:
        writer.huffman(lit_codes[byte])
    writer.huffman(lit_codes[256])
    return writer.flush()


def _adler_combine(adler1: int, adler2: int, len2: int) -> int:
    """Return the Adler-32 of A+B from those of A and B (zlib's ``adler32_combine``)."""
    rem = len2 % _ADLER_BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 += (adler2 & 0xFFFF) + _ADLER_BASE - 1
    sum2 += (adler1 >> 16) + (adler2 >> 16) + _ADLER_BASE - rem
    sum1 %= _ADLER_BASE
    sum2 %= _ADLER_BASE
    return sum1 | (sum2 << 16)


def adler32_periodic(pattern: bytes, total: int) -> int:
    """Return the Adler-32 of ``pattern`` repeated to ``total`` bytes, in O(log total) steps."""
    import zlib

    period = len(pattern)
    count, remainder = divmod(total, period)
    result = 1
    block = zlib.adler32(pattern)
    block_len = period
    while count:
        if count & 1:
            result = _adler_combine(result, block, block_len)
        block = _adler_combine(block, block, block_len)
        block_len *= 2
        count >>= 1
    return _adler_combine(result, zlib.adler32(pattern[:remainder]), remainder)


def zlib_periodic(pattern: bytes, total: int) -> bytes:
    """Return a zlib stream (RFC 1950) of ``pattern`` repeated to ``total`` bytes."""
    # CMF 0x78 (deflate, 32 KiB window), FLG 0xDA (best compression, header check bits).
    return b"\x78\xda" + deflate_periodic(pattern, total) + adler32_periodic(pattern, total).to_bytes(4, "big")
