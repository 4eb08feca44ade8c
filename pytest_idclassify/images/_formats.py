"""Image format names, aliases and the hard limits of each container."""

from __future__ import annotations

from pytest_idclassify.errors import ImageSpecError

#: The formats the API documents as recognised ("JPEG, JPG, PNG, BMP, or TIFF"); jpg is an alias.
SUPPORTED_FORMATS: tuple[str, ...] = ("bmp", "jpeg", "png", "tiff")
#: Formats the toolkit can produce for negative cases: the API does not recognise them.
UNSUPPORTED_FORMATS: tuple[str, ...] = ("gif", "webp")
#: Every format the toolkit can produce, canonical names.
FORMATS: tuple[str, ...] = tuple(sorted(SUPPORTED_FORMATS + UNSUPPORTED_FORMATS))

_ALIASES = {"jpg": "jpeg", "tif": "tiff"}

#: Largest side each container can declare (JPEG's and GIF's fields are 16-bit; libjpeg stops at
#: 65500; WebP's VP8 header has 14 bits; PNG, BMP and TIFF hold 31- or 32-bit values).
MAX_SIDE: dict[str, int] = {
    "bmp": 2**31 - 1,
    "gif": 65535,
    "jpeg": 65500,
    "png": 2**31 - 1,
    "tiff": 2**32 - 1,
    "webp": 16383,
}

#: File-name extension of each format.
EXTENSIONS: dict[str, str] = {"bmp": "bmp", "gif": "gif", "jpeg": "jpg", "png": "png", "tiff": "tiff", "webp": "webp"}

#: Pillow's name of each format.
PILLOW_NAMES: dict[str, str] = {
    "bmp": "BMP",
    "gif": "GIF",
    "jpeg": "JPEG",
    "png": "PNG",
    "tiff": "TIFF",
    "webp": "WEBP",
}


def normalise_format(fmt: str, *, argument: str = "fmt") -> str:
    """Return the canonical name of an image format (``"JPG"`` -> ``"jpeg"``).

    Raises:
        ImageSpecError: the name is not one of :data:`FORMATS` or an alias.

    """
    if not isinstance(fmt, str):
        raise ImageSpecError(f"{argument}={fmt!r} is not a format name; use one of {', '.join(FORMATS)} (or jpg, tif)")
    name = fmt.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise ImageSpecError(
            f"{argument}={fmt!r} is not a known image format; use one of {', '.join(FORMATS)} (or jpg, tif)"
        )
    return name


def check_side(fmt: str, width: int, height: int) -> None:
    """Raise :class:`ImageSpecError` unless both sides are positive and fit the container."""
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ImageSpecError(f"{name}={value!r} is not an integer; pass a side in pixels, 1..{MAX_SIDE[fmt]}")
        if value < 1:
            raise ImageSpecError(f"{name}={value} is not a valid side; a side is 1..{MAX_SIDE[fmt]} pixels for {fmt}")
        if value > MAX_SIDE[fmt]:
            extra = " (the WebP format cannot exceed 16383 px per side)" if fmt == "webp" else ""
            raise ImageSpecError(
                f"{name}={value} is beyond what a {fmt} file can declare{extra}; use 1..{MAX_SIDE[fmt]}, "
                f"or png/bmp/tiff for larger sides"
            )
