"""Colour modes and the formats that can store each: plain data, so checking a recipe needs no Pillow."""

from __future__ import annotations

from pytest_idclassify.errors import ImageSpecError

#: Colour modes, name -> the formats that can store them.
MODES: dict[str, tuple[str, ...]] = {
    "rgb": ("bmp", "gif", "jpeg", "png", "tiff", "webp"),
    "grey": ("bmp", "gif", "jpeg", "png", "tiff", "webp"),
    "rgba": ("png", "tiff", "webp"),
    "cmyk": ("jpeg", "tiff"),
    "palette": ("bmp", "gif", "png", "tiff"),
    "grey16": ("png", "tiff"),
}


def check_mode(mode: str, fmt: str) -> str:
    """Return ``mode`` if ``fmt`` can store it, else raise :class:`ImageSpecError`."""
    if mode not in MODES:
        raise ImageSpecError(f"mode={mode!r} is not a colour mode; use one of {', '.join(MODES)}")
    if fmt not in MODES[mode]:
        raise ImageSpecError(f"mode={mode!r} cannot be stored in {fmt}; {mode} works in {', '.join(MODES[mode])}")
    return mode
