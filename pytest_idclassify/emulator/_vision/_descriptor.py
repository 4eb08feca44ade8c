"""The low-resolution layout descriptor that documents are compared by.

A document type is told by where its large dark and light masses sit (bands, portrait, seal, chip,
machine-readable zone), so the descriptor is the card's grey layout on a coarse grid, normalised to
zero mean and unit variance: darkness, contrast loss, blur and the loss of colour barely move it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

#: width in pixels of a rectified card (its height follows from the document's aspect).
CARD_LONG_SIDE = 400
#: the descriptor grid (columns, rows); every document is resampled to it, whatever its aspect.
GRID = (40, 26)
#: share of grid cells ignored as outliers when two layouts are compared (glare, occluders, fingers).
TRIMMED_SHARE = 0.15


#: grey level from which a cell counts as clipped (glare): its print cannot be read there.
CLIPPED_LEVEL = 252


@dataclass(frozen=True)
class Descriptor:
    """A card's grey layout on :data:`GRID`, and which cells of it can be trusted.

    Cells that are clipped white or lie outside the picture (a card cut by the frame) are marked
    invalid; comparisons use the valid cells only, normalised over them.
    """

    layout: npt.NDArray[np.float32]
    valid: npt.NDArray[np.bool_]

    def rotated(self) -> Descriptor:
        """The same card turned by 180 degrees."""
        return Descriptor(np.ascontiguousarray(self.layout[::-1, ::-1]), np.ascontiguousarray(self.valid[::-1, ::-1]))


def grey(card: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Return the card's luminance (ITU-R BT.601 weights, as JPEG uses)."""
    return np.asarray(cv2.cvtColor(card, cv2.COLOR_RGB2GRAY), np.uint8)


def describe(card: npt.NDArray[np.uint8], inside: npt.NDArray[np.uint8] | None = None) -> Descriptor:
    """Compute the descriptor of a rectified card (RGB or grey); ``inside`` (0/255) marks what was in the picture."""
    luma = card if card.ndim == 2 else grey(card)
    small = np.asarray(cv2.GaussianBlur(cv2.resize(luma, GRID, interpolation=cv2.INTER_AREA), (3, 3), 0), np.float32)
    peak = cv2.resize(cv2.dilate(luma, np.ones((3, 3), np.uint8)), GRID, interpolation=cv2.INTER_AREA)
    valid = peak < CLIPPED_LEVEL
    # A mask at or above 250 everywhere averages to at least 250 in every cell: nothing to resize.
    if inside is not None and int(inside.min()) < 250:
        valid &= cv2.resize(inside, GRID, interpolation=cv2.INTER_AREA) >= 250
    return Descriptor(small, valid)


def _normalised(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    centred = values - values.mean()
    spread = float(centred.std())
    return centred / spread if spread > 1e-3 else np.zeros_like(centred)


def distance(observed: Descriptor, template: Descriptor) -> float:
    """Trimmed mean squared difference of two layouts over the observed card's valid cells.

    Both layouts are normalised to zero mean and unit variance over those cells first, so exposure
    and contrast do not count: 0 for the same layout, about 2 for unrelated ones, 4 when the only
    valid cells are too few to tell (under a tenth of the grid).
    """
    valid = observed.valid
    if np.count_nonzero(valid) < valid.size // 10:
        return 4.0
    residual = np.square(_normalised(observed.layout[valid]) - _normalised(template.layout[valid]))
    keep = max(1, int(residual.size * (1.0 - TRIMMED_SHARE)))
    return float(np.partition(residual, keep - 1)[:keep].mean())


def normalised_rows(cells: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row of ``cells`` (k x n) at zero mean and unit variance, as :func:`distance` normalises a layout."""
    centred = cells - cells.mean(axis=1, keepdims=True)
    spread = centred.std(axis=1, keepdims=True)
    return np.where(spread > 1e-3, centred / np.maximum(spread, 1e-3), 0.0).astype(np.float32)


def distances(
    observed: Descriptor, layouts: npt.NDArray[np.float32], *, whole: npt.NDArray[np.float32] | None = None
) -> npt.NDArray[np.float64]:
    """:func:`distance` from ``observed`` to every layout of the stack ``layouts`` (k x rows x columns) at once.

    The observed card is normalised once and the templates row by row, over the same valid cells.
    ``whole``, when kept, is ``normalised_rows(layouts[:, mask])`` for an all-true ``mask``: a card
    whose every cell is valid (no glare, nothing cut off) is compared with it as it is.  (Selected
    by a mask, the cells lie column by column, and the sums follow that order: a reshape of the
    layouts would give values a few units apart in the last place.)
    """
    valid = observed.valid
    if np.count_nonzero(valid) < valid.size // 10:
        return np.full(len(layouts), 4.0)
    seen = _normalised(observed.layout[valid])
    reference = whole if whole is not None and bool(valid.all()) else normalised_rows(layouts[:, valid])
    residual = np.square(seen[None, :] - reference)
    keep = max(1, int(residual.shape[1] * (1.0 - TRIMMED_SHARE)))
    return np.asarray(np.partition(residual, keep - 1, axis=1)[:, :keep].mean(axis=1), np.float64)
