"""Render a flat, frontal specimen card, cached per (type, seed, width)."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._cards._canvas import Canvas, rounded_rect_polygon
from pytest_idclassify.images._cards._layouts import LAYOUTS, FakeHolder
from pytest_idclassify.images._names import DOCUMENT_TYPES

if tuple(LAYOUTS) != DOCUMENT_TYPES:
    raise RuntimeError("the specimen layouts and DOCUMENT_TYPES name different types, or in another order")

#: Default resolution of a flat card: 10 px/mm, so an ID-1 card is 856 px wide.
PX_PER_MM = 10.0
#: Narrowest and widest card :func:`render_card` draws.
MIN_CARD_WIDTH = 64
MAX_CARD_WIDTH = 8192
# ISO/IEC 7810 corner radius.
_CORNER_RADIUS_MM = 3.18


def check_doc_type(doc_type: str) -> None:
    """Raise :class:`ImageSpecError` unless ``doc_type`` is one of :data:`DOCUMENT_TYPES`."""
    if doc_type not in LAYOUTS:
        raise ImageSpecError(
            f"unknown document type {doc_type!r}; use one of the API's nine types: {', '.join(DOCUMENT_TYPES)}"
        )


def check_seed(seed: int) -> None:
    """Raise :class:`ImageSpecError` unless ``seed`` is a non-negative integer."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ImageSpecError(f"seed {seed!r} must be a non-negative integer, e.g. seed=0")


def default_width(doc_type: str) -> int:
    """Return the default pixel width of ``doc_type``'s card (10 px/mm: 856 for ID-1, 1250 for a passport)."""
    check_doc_type(doc_type)
    return round(LAYOUTS[doc_type].size_mm[0] * PX_PER_MM)


def card_size_mm(doc_type: str) -> tuple[float, float]:
    """Return the physical width and height of ``doc_type``'s card in millimetres."""
    check_doc_type(doc_type)
    return LAYOUTS[doc_type].size_mm


def render_card(doc_type: str, *, seed: int = 0, width: int | None = None) -> npt.NDArray[np.uint8]:
    """Draw the flat, frontal specimen card of ``doc_type`` as an RGB ``uint8`` array (H x W x 3).

    ``width`` defaults to 10 px/mm (856 px for an ID-1 card, 1250 px for a TD3 passport page);
    the height follows the document's proportions.  The same arguments give the same pixels under
    the same OpenCV release.
    The result is a fresh, writable copy.

    Raises:
        ImageSpecError: unknown ``doc_type``, negative ``seed``, or ``width`` outside [64, 8192].

    """
    return np.array(cached_card(doc_type, seed, width), np.uint8)


def cached_card(doc_type: str, seed: int, width: int | None) -> npt.NDArray[np.uint8]:
    """Validate the arguments and return the shared, read-only rendering of a card."""
    check_doc_type(doc_type)
    check_seed(seed)
    if width is None:
        width = default_width(doc_type)
    if isinstance(width, bool) or not isinstance(width, int | np.integer):
        raise ImageSpecError(f"card width {width!r} must be an integer number of pixels, e.g. width=856")
    if not MIN_CARD_WIDTH <= width <= MAX_CARD_WIDTH:
        raise ImageSpecError(
            f"card width {width} px is outside [{MIN_CARD_WIDTH}, {MAX_CARD_WIDTH}]; "
            "text and layout need at least 64 px, or pass width=None for 10 px/mm"
        )
    return _draw(doc_type, int(seed), int(width))


@functools.lru_cache(maxsize=64)
def _draw(doc_type: str, seed: int, width: int) -> npt.NDArray[np.uint8]:
    layout = LAYOUTS[doc_type]
    canvas = Canvas(layout.size_mm[0], layout.size_mm[1], width, layout.base)
    canvas.guilloche(layout.accent, strength=0.22, period=2.4)
    layout.draw(canvas, FakeHolder.from_seed(seed), layout.accent)
    pixels = canvas.pixels
    pixels.flags.writeable = False
    return pixels


@functools.lru_cache(maxsize=64)
def card_alpha(doc_type: str, width: int, height: int) -> npt.NDArray[np.float32]:
    """Return the card's coverage (1 inside, 0 outside its rounded corners), read-only, H x W float32."""
    radius = round(_CORNER_RADIUS_MM * width / LAYOUTS[doc_type].size_mm[0])
    # Supersample by 4 so the rounded corners are anti-aliased.
    big = np.zeros((height * 4, width * 4), np.uint8)
    polygon = rounded_rect_polygon((0, 0), (width * 4 - 1, height * 4 - 1), radius * 4)
    cv2.fillPoly(big, [polygon], 255)
    mask = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)
    alpha = mask.astype(np.float32) / 255.0
    alpha.flags.writeable = False
    return alpha
