"""Base64 texts of an image: the canonical form and the awkward variants clients send."""

from __future__ import annotations

import functools
from collections.abc import Callable

# The two readings of the API's "should not exceed 10 MB", defined once in the clause catalogue.
from pytest_idclassify._base64 import encode
from pytest_idclassify._limits import BASE64_LIMIT_BINARY, BASE64_LIMIT_DECIMAL
from pytest_idclassify.errors import ImageSpecError

_LIMITS = {"decimal": BASE64_LIMIT_DECIMAL, "binary": BASE64_LIMIT_BINARY}

_PREFIXES = {
    "data-uri-jpeg": "data:image/jpeg;base64,",
    "data-uri-jpg": "data:image/jpg;base64,",
    "data-uri-png": "data:image/png;base64,",
    "data-uri-empty": "data:;base64,",
    "data-uri-upper": "DATA:IMAGE/JPEG;BASE64,",
    "data-uri-space": "data:image/jpeg;base64, ",
}

#: Every base64 variant, name -> what it does to the canonical text.
BASE64_VARIANTS: dict[str, str] = {
    "canonical": "RFC 4648 standard alphabet, '=' padding, no whitespace",
    **{name: f"prefixed with {prefix!r}" for name, prefix in _PREFIXES.items()},
    "mime": "MIME: CRLF after every 76 characters",
    "newlines": "LF after every 76 characters (the `base64` command's output)",
    "whitespace": "a space after every 64 characters",
    "trailing-newline": "one LF at the end",
    "missing-padding": "the '=' padding removed (needs a byte count not divisible by 3)",
    "excess-padding": "two '=' more than the canonical padding",
    "urlsafe": "URL-safe alphabet: '-' and '_' instead of '+' and '/'",
    "non-base64": "a '*' inserted in the middle",
}


def base64_limit(reading: str = "decimal") -> int:
    """Return the 10 MB limit in base64 characters: 10,000,000 ("decimal") or 10,485,760 ("binary").

    Both are multiples of 4, so "exactly the limit" is a canonical length; the next canonical
    length above it is ``base64_limit(reading) + 4`` (:func:`next_base64_length`).
    """
    if reading not in _LIMITS:
        raise ImageSpecError(f"reading={reading!r} is not a reading of 10 MB; use 'decimal' or 'binary'")
    return _LIMITS[reading]


def next_base64_length(n_chars: int) -> int:
    """Return the smallest canonical base64 length (a multiple of 4) strictly above ``n_chars``."""
    return (n_chars // 4 + 1) * 4


def canonical_length(n_bytes: int) -> int:
    """Return the length of the canonical base64 text of ``n_bytes`` bytes."""
    return 4 * ((n_bytes + 2) // 3)


def _every(text: str, width: int, sep: str) -> str:
    return sep.join(text[i : i + width] for i in range(0, len(text), width))


def _mime_length(n: int) -> int:
    length = canonical_length(n)
    return length + 2 * max(0, (length - 1) // 76)


def _lines_length(n: int) -> int:
    length = canonical_length(n)
    return length + max(0, (length - 1) // 76)


def _spaced_length(n: int) -> int:
    length = canonical_length(n)
    return length + max(0, (length - 1) // 64)


def _prefixed_length(extra: int, n: int) -> int:
    return canonical_length(n) + extra


_LENGTHS: dict[str, Callable[[int], int]] = {
    "canonical": canonical_length,
    **{name: functools.partial(_prefixed_length, len(prefix)) for name, prefix in _PREFIXES.items()},
    "mime": _mime_length,
    "newlines": _lines_length,
    "whitespace": _spaced_length,
    "trailing-newline": lambda n: canonical_length(n) + 1,
    "missing-padding": lambda n: (4 * n + 2) // 3,
    "excess-padding": lambda n: canonical_length(n) + 2,
    "urlsafe": canonical_length,
    "non-base64": lambda n: canonical_length(n) + 1,
}


def check_variant(variant: str, *, argument: str = "variant") -> str:
    """Return ``variant`` if it names a base64 variant, else raise :class:`ImageSpecError`."""
    if variant not in BASE64_VARIANTS:
        raise ImageSpecError(f"{argument}={variant!r} is not a base64 variant; use one of {', '.join(BASE64_VARIANTS)}")
    return variant


def variant_applies(variant: str, n_bytes: int) -> bool:
    """Tell whether ``variant`` differs from the canonical text for a file of ``n_bytes`` (size-only test)."""
    if variant == "missing-padding":
        return n_bytes % 3 != 0
    return True


def variant_length(variant: str, n_bytes: int) -> int:
    """Return the length of the ``variant`` text of a file of ``n_bytes`` bytes, without encoding it."""
    return _LENGTHS[check_variant(variant)](n_bytes)


def encode_base64(data: bytes, variant: str = "canonical") -> str:
    """Return the base64 text of ``data`` in the named variant (see :data:`BASE64_VARIANTS`).

    Raises:
        ImageSpecError: unknown variant, or a variant that would not change this file's text
            ("missing-padding" of a length divisible by 3, "urlsafe" of a text without '+' or '/').

    """
    check_variant(variant)
    text = encode(data)
    if variant == "canonical":
        return text
    if variant in _PREFIXES:
        return _PREFIXES[variant] + text
    if variant == "mime":
        return _every(text, 76, "\r\n")
    if variant == "newlines":
        return _every(text, 76, "\n")
    if variant == "whitespace":
        return _every(text, 64, " ")
    if variant == "trailing-newline":
        return text + "\n"
    if variant == "missing-padding":
        if not text.endswith("="):
            raise ImageSpecError(
                f"variant='missing-padding' needs a file whose size is not a multiple of 3, got {len(data)} bytes; "
                "pad the image by one or two bytes"
            )
        return text.rstrip("=")
    if variant == "excess-padding":
        return text + "=="
    if variant == "urlsafe":
        if "+" not in text and "/" not in text:
            raise ImageSpecError(
                f"variant='urlsafe' changes nothing: this {len(data)}-byte file's base64 has no '+' or '/'; "
                "use another size, seed or colour"
            )
        return text.replace("+", "-").replace("/", "_")
    middle = len(text) // 2
    return text[:middle] + "*" + text[middle:]
