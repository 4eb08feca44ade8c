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


@dataclass(frozen=True)
class Descriptor:
    """A card's grey layout on :data:`GRID`, zero mean and unit variance (all zeros when flat)."""

    layout: npt.NDArray[np.float32]

    def rotated(self) -> Descriptor:
        """The same card turned by 180 degrees."""
        return Descriptor(np.ascontiguousarray(self.layout[::-1, ::-1]))


def grey(card: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Return the card's luminance (ITU-R BT.601 weights, as JPEG uses)."""
    return cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)


def describe(card: npt.NDArray[np.uint8]) -> Descriptor:
    """Compute the descriptor of a rectified, RGB card image."""
    small = cv2.resize(grey(card), GRID, interpolation=cv2.INTER_AREA).astype(np.float32)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    centred = small - small.mean()
    spread = float(centred.std())
    if spread < 1e-3:
        return Descriptor(np.zeros_like(centred))
    return Descriptor(centred / spread)


def distance(observed: Descriptor, template: Descriptor) -> float:
    """Trimmed mean squared difference of two layouts: 0 for the same layout, about 2 for unrelated ones."""
    residual = np.square(observed.layout - template.layout).ravel()
    keep = max(1, int(residual.size * (1.0 - TRIMMED_SHARE)))
    return float(np.partition(residual, keep - 1)[:keep].mean())
