"""Bit strings held in Python integers (LSB first), repeated by binary doubling."""

from __future__ import annotations


def repeat_bits(value: int, nbits: int, count: int) -> tuple[int, int]:
    """Return (bits, bit count) of ``count`` copies of an ``nbits``-long bit string, LSB first.

    Costs O(log count) big-integer operations, so repeating a short pattern millions of times is
    proportional to the size of the result, not to the number of copies.
    """
    result, result_bits = 0, 0
    block, block_bits = value, nbits
    while count:
        if count & 1:
            result |= block << result_bits
            result_bits += block_bits
        count >>= 1
        if count:
            block |= block << block_bits
            block_bits *= 2
    return result, result_bits
