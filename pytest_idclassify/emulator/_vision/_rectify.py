"""Geometry between the picture and the canonical card: corner order, aspect, perspective warp."""

from __future__ import annotations

from typing import Any, TypeVar

import cv2
import numpy as np
import numpy.typing as npt

Quad = npt.NDArray[np.float64]
Corners = TypeVar("Corners", bound="np.ndarray[Any, Any]")


def turned(corners: Corners, shift: int) -> Corners:
    """The corners re-started ``shift`` places on: ``np.roll(corners, -shift, axis=0)``, for less."""
    count = len(corners)
    return corners[(np.arange(count) + shift) % count]  # type: ignore[return-value]  # same array type, rows reordered


def side_lengths(quad: Quad) -> npt.NDArray[np.float64]:
    """Lengths of the sides TL-TR, TR-BR, BR-BL, BL-TL."""
    return np.asarray(np.hypot(*(turned(quad, 1) - quad).T), np.float64)


def long_side_first(quad: Quad) -> Quad:
    """Re-start the corner order so that the first side is a long side of the card.

    A card standing upright in portrait orientation has its top side short; starting at the next
    corner (still clockwise) turns it into the landscape reading every template is drawn in.
    """
    return turned(quad, landscape_turn(quad))


def landscape_turn(quad: Quad) -> int:
    """Return 0 when the quad's first side is a long side, else 1 (the shift :func:`long_side_first` applies)."""
    sides = side_lengths(quad)
    return 0 if sides[0] + sides[2] >= sides[1] + sides[3] else 1


def aspect(quad: Quad) -> float:
    """Width over height of the card, from the mean lengths of opposite sides (first side = width)."""
    sides = side_lengths(quad)
    height = (sides[1] + sides[3]) / 2
    return float((sides[0] + sides[2]) / 2 / height) if height > 0 else 1.0


def rectify(
    pixels: npt.NDArray[np.uint8], quad: Quad, size: tuple[int, int], *, border: int = cv2.BORDER_REPLICATE
) -> npt.NDArray[np.uint8]:
    """Warp the quadrilateral ``quad`` of ``pixels`` to an upright ``size`` (width, height) image."""
    width, height = size
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return np.asarray(cv2.warpPerspective(pixels, matrix, size, flags=cv2.INTER_LINEAR, borderMode=border), np.uint8)


def shrink_for(pixels: npt.NDArray[np.uint8], quad: Quad, long_side: int) -> tuple[npt.NDArray[np.uint8], Quad]:
    """Crop the card's bounding box and halve it until the card's longest side is under ``2 * long_side``.

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
    # Halving with pyrDown is exact area averaging at a fraction of INTER_AREA's cost; the last
    # step, less than a halving, is left to the warp's bilinear sampling.
    scale = long_side / max(float(side_lengths(quad).max()), 1.0)
    while scale <= 0.5 and min(crop.shape[:2]) >= 4:
        crop = np.asarray(cv2.pyrDown(crop), np.uint8)
        local = (local + 0.5) / 2 - 0.5
        scale *= 2
    return crop, local


def sides_on_frame(quad: Quad, frame: tuple[int, int], tolerance: float = 2.5) -> list[bool]:
    """Tell, for each side (TL-TR, TR-BR, BR-BL, BL-TL), whether it runs along the picture's frame."""
    width, height = frame
    near = [
        (quad[:, 0] <= tolerance),
        (quad[:, 1] <= tolerance),
        (quad[:, 0] >= width - 1 - tolerance),
        (quad[:, 1] >= height - 1 - tolerance),
    ]
    return [any(edge[index] and edge[(index + 1) % 4] for edge in near) for index in range(4)]


def extend_cut(quad: Quad, cut_side: int, aspect: float) -> Quad:
    """Rebuild the whole card from a visible part whose side ``cut_side`` is the picture's frame.

    The side opposite the cut is intact; the two sides next to it keep their directions and get the
    length the document's ``aspect`` demands.  Which of the card's dimensions the intact side is
    follows from how much of the neighbouring sides is visible: the frame never hides more than
    half a card, so a neighbour longer than 70% of the intact side must be a long side.
    """
    start, end = cut_side, (cut_side + 1) % 4
    far_start, far_end = (cut_side + 3) % 4, (cut_side + 2) % 4
    intact = float(np.hypot(*(quad[far_start] - quad[far_end])))
    visible = (float(np.hypot(*(quad[start] - quad[far_start]))) + float(np.hypot(*(quad[end] - quad[far_end])))) / 2
    length = intact * aspect if visible > 0.7 * intact else intact / aspect
    rebuilt: Quad = quad.copy()
    for corner, anchor in ((start, far_start), (end, far_end)):
        direction = quad[corner] - quad[anchor]
        norm = float(np.hypot(*direction))
        if norm > 0:
            rebuilt[corner] = quad[anchor] + direction / norm * max(length, norm)
    return rebuilt
