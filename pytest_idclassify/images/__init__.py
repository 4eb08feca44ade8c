"""Image synthesis: exact pixel sizes and byte sizes in every format, malformed inputs, specimens.

Everything here is built from an :class:`ImageRecipe` or one of the functions it uses; the
specimen generator (:func:`render_scene`, :func:`render_card`) draws the nine document types.
docs/reference/images.md describes every name.

Names that need numpy, Pillow or OpenCV (pixel encoding, the specimens) load on first use
(PEP 562), so the hand-written encoders and recipes of flat images import none of them.
"""

from __future__ import annotations

import typing as _typing

from pytest_idclassify._lazy import lazy_exports as _lazy_exports
from pytest_idclassify._limits import BASE64_LIMIT_BINARY, BASE64_LIMIT_DECIMAL
from pytest_idclassify.images._base64 import (
    BASE64_VARIANTS,
    base64_limit,
    canonical_length,
    encode_base64,
    next_base64_length,
)
from pytest_idclassify.images._flat import encode_flat, jpeg_decoded_colour
from pytest_idclassify.images._formats import (
    FORMATS,
    MAX_SIDE,
    SUPPORTED_FORMATS,
    UNSUPPORTED_FORMATS,
    normalise_format,
)
from pytest_idclassify.images._malformed import (
    CORRUPTIONS,
    animated_gif,
    bomb_png,
    bomb_png_header,
    corrupt_data,
    truncate,
    with_exif_orientation,
    wrong_magic,
)
from pytest_idclassify.images._modes import MODES
from pytest_idclassify.images._names import DEGRADATIONS, DOCUMENT_TYPES
from pytest_idclassify.images._padding import pad_to_base64_length, pad_to_bytes
from pytest_idclassify.images._probe import ImageInfo, probe
from pytest_idclassify.images._recipe import CONTENTS, ImageRecipe

if _typing.TYPE_CHECKING:
    from pytest_idclassify.images._pillow import encode_pixels
    from pytest_idclassify.images._specimens import (
        Scene,
        degrade,
        render_card,
        render_scene,
    )

_LAZY = {
    "encode_pixels": "pytest_idclassify.images._pillow",
    **dict.fromkeys(
        ("Scene", "degrade", "render_card", "render_scene"),
        "pytest_idclassify.images._specimens",
    ),
}

__all__ = [
    "BASE64_LIMIT_BINARY",
    "BASE64_LIMIT_DECIMAL",
    "BASE64_VARIANTS",
    "CONTENTS",
    "CORRUPTIONS",
    "DEGRADATIONS",
    "DOCUMENT_TYPES",
    "FORMATS",
    "MAX_SIDE",
    "MODES",
    "SUPPORTED_FORMATS",
    "UNSUPPORTED_FORMATS",
    "ImageInfo",
    "ImageRecipe",
    "Scene",
    "animated_gif",
    "base64_limit",
    "bomb_png",
    "bomb_png_header",
    "canonical_length",
    "corrupt_data",
    "degrade",
    "encode_base64",
    "encode_flat",
    "encode_pixels",
    "jpeg_decoded_colour",
    "next_base64_length",
    "normalise_format",
    "pad_to_base64_length",
    "pad_to_bytes",
    "probe",
    "render_card",
    "render_scene",
    "truncate",
    "with_exif_orientation",
    "wrong_magic",
]


# Not for type checkers, which read the imports above (see lazy_exports).
if not _typing.TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
