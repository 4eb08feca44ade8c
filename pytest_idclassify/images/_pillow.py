"""Encode a pixel array through Pillow, in a chosen colour mode, with fixed (deterministic) settings."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import numpy.typing as npt

from pytest_idclassify.images._formats import PILLOW_NAMES
from pytest_idclassify.images._modes import check_mode

_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "jpeg": {"quality": 90, "optimize": False, "progressive": False},
    "png": {"compress_level": 6},
    "tiff": {"compression": "tiff_deflate"},
    "webp": {"quality": 90, "method": 4},
    "bmp": {},
    "gif": {},
}


def encode_pixels(pixels: npt.NDArray[np.uint8], fmt: str, mode: str = "rgb") -> bytes:
    """Return ``pixels`` (H x W x 3 uint8 RGB) encoded as ``fmt`` in colour ``mode``.

    Alpha is opaque with a left-to-right ramp (so RGBA files really carry alpha), 16-bit grey
    scales each level by 257, and palette mode uses Pillow's adaptive palette.
    """
    from PIL import Image

    check_mode(mode, fmt)
    image = Image.fromarray(np.ascontiguousarray(pixels), "RGB")
    if mode == "grey":
        image = image.convert("L")
    elif mode == "rgba":
        alpha = np.broadcast_to(
            np.linspace(255, 128, pixels.shape[1]).astype(np.uint8)[None, :], pixels.shape[:2]
        ).copy()
        image.putalpha(Image.fromarray(alpha, "L"))
    elif mode == "cmyk":
        image = image.convert("CMYK")
    elif mode == "palette":
        image = image.quantize(colors=256, dither=Image.Dither.NONE)
    elif mode == "grey16":
        grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
        image = Image.fromarray(grey)
    buffer = io.BytesIO()
    image.save(buffer, PILLOW_NAMES[fmt], **_SAVE_OPTIONS[fmt])
    return buffer.getvalue()


def flat_pixels(width: int, height: int, colour: tuple[int, int, int]) -> npt.NDArray[np.uint8]:
    """Return an H x W x 3 array of one colour."""
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[...] = colour
    return pixels


def noise_pixels(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    """Return H x W x 3 uniform noise drawn from ``numpy.random.default_rng(seed)``."""
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
