"""Geometry between the picture and the canonical card: corner order, aspect, perspective warp."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Quad = npt.NDArray[np.float64]


def side_lengths(quad: Quad) -> npt.NDArray[np.float64]:
    """Lengths of the sides TL-TR, TR-BR, BR-BL, BL-TL."""
    return np.hypot(*(np.roll(quad, -1, axis=0) - quad).T)


def long_side_first(quad: Quad) -> Quad:
    """Re-start the corner order so that the first side is a long side of the card.

    A card standing upright in portrait orientation has its top side short; starting at the next
    corner (still clockwise) turns it into the landscape reading every template is drawn in.
    """
    sides = side_lengths(quad)
    if sides[0] + sides[2] >= sides[1] + sides[3]:
        return quad
    return np.roll(quad, -1, axis=0)


def aspect(quad: Quad) -> float:
    """Width over height of the card, from the mean lengths of opposite sides (first side = width)."""
    sides = side_lengths(quad)
    height = (sides[1] + sides[3]) / 2
    return float((sides[0] + sides[2]) / 2 / height) if height > 0 else 1.0


def rectify(pixels: npt.NDArray[np.uint8], quad: Quad, size: tuple[int, int]) -> npt.NDArray[np.uint8]:
    """Warp the quadrilateral ``quad`` of ``pixels`` to an upright ``size`` (width, height) image."""
    width, height = size
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(pixels, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def shrink_for(pixels: npt.NDArray[np.uint8], quad: Quad, long_side: int) -> tuple[npt.NDArray[np.uint8], Quad]:
    """Downscale ``pixels`` (area averaging) so the card's longest side spans about ``long_side`` pixels.

    Warping straight from a much larger picture would skip pixels and alias fine print into false
    texture; averaging first keeps the measures of sharpness and periodic patterns honest.
    """
    height, width = pixels.shape[:2]
    # Only the card's bounding box is resampled: the rest of the picture is never looked at again.
    x0, y0 = np.floor(quad.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 3
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    crop = pixels[y0:y1, x0:x1]
    local = quad - np.array([x0, y0], dtype=np.float64)
    scale = long_side / max(float(side_lengths(quad).max()), 1.0)
    if scale >= 0.9:
        return crop, local
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    factor = np.array([size[0] / crop.shape[1], size[1] / crop.shape[0]])
    return small, (local + 0.5) * factor - 0.5
