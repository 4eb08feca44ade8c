"""``ImageRecipe``: a frozen, hashable description of every image the toolkit makes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._base64 import check_variant, encode_base64
from pytest_idclassify.images._flat import check_colour, encode_flat
from pytest_idclassify.images._formats import check_side, normalise_format
from pytest_idclassify.images._malformed import CORRUPTIONS, corrupt_data, truncate, with_exif_orientation, wrong_magic
from pytest_idclassify.images._modes import check_mode
from pytest_idclassify.images._padding import pad_to_base64_length, pad_to_bytes

#: What a recipe's pixels are: one colour, seeded noise, or a synthetic document specimen.
CONTENTS: tuple[str, ...] = ("flat", "noise", "specimen")


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        span = f"{low}..{high}" if high is not None else f"an int >= {low}"
        raise ImageSpecError(f"{name}={value!r} is out of range; use {span}")
    return value


@dataclass(frozen=True)
class ImageRecipe:
    """Everything needed to make one image file, byte for byte.

    A recipe is frozen and hashable, prints as a one-line summary (``png 15x8192 flat#808080
    pad=b64:10000000``) fit for failure messages, and renders deterministically: the same recipe
    gives the same bytes on every run and machine with the same OpenCV, Pillow and numpy releases
    (no fonts, no unseeded randomness; a flat image's hand-written encoders need none of them).

    Attributes:
        format: bmp, gif, jpeg (alias jpg), png, tiff (alias tif) or webp.
        width: side in pixels, 1 up to the container's limit (65500 for JPEG, 16383 for WebP).
        height: as ``width``.
        content: "flat" (one ``colour``), "noise" (uniform, from ``seed``) or "specimen"
            (a photographed ``doc_type`` card from ``seed``, with ``degradations``).
        colour: RGB of a flat image.
        seed: seed of the noise or of the specimen scene, >= 0.
        doc_type: a specimen's document type, one of ``DOCUMENT_TYPES``.
        degradations: a specimen's (name, severity) pairs, severities in [0, 1]; a mapping is
            accepted and stored sorted.
        mode: colour mode: rgb, grey, rgba, cmyk, palette or grey16 (where the format allows).
        exif_orientation: JPEG only: add an APP1 Exif orientation (1..8).
        pad_bytes: grow the file to exactly this many bytes.
        pad_base64: grow the file so that :meth:`to_base64` is exactly this many characters.
        corruption: None, or one of ``CORRUPTIONS`` (applied after padding).
        base64_variant: how :meth:`to_base64` spells the text, one of ``BASE64_VARIANTS``.

    """

    format: str = "png"
    width: int = 64
    height: int = 64
    content: str = "flat"
    colour: tuple[int, int, int] = (128, 128, 128)
    seed: int = 0
    doc_type: str | None = None
    degradations: tuple[tuple[str, float], ...] = field(default=())
    mode: str = "rgb"
    exif_orientation: int | None = None
    pad_bytes: int | None = None
    pad_base64: int | None = None
    corruption: str | None = None
    base64_variant: str = "canonical"

    def __post_init__(self) -> None:
        """Normalise and validate every field; raise :class:`ImageSpecError` naming the bad one."""
        fmt = normalise_format(self.format, argument="format")
        object.__setattr__(self, "format", fmt)
        check_side(fmt, self.width, self.height)
        if self.content not in CONTENTS:
            raise ImageSpecError(f"content={self.content!r} is not a content kind; use one of {', '.join(CONTENTS)}")
        object.__setattr__(
            self, "colour", check_colour(tuple(self.colour) if isinstance(self.colour, list) else self.colour)
        )
        _check_int("seed", self.seed, 0)
        check_mode(self.mode, fmt)
        object.__setattr__(self, "degradations", self._checked_degradations())
        if self.content == "specimen":
            self._check_specimen()
        elif self.doc_type is not None or self.degradations:
            raise ImageSpecError(
                f"doc_type={self.doc_type!r} and degradations apply only to content='specimen' (got {self.content!r})"
            )
        if self.exif_orientation is not None:
            if fmt != "jpeg":
                raise ImageSpecError(f"exif_orientation applies to jpeg only, not {fmt}; set format='jpeg'")
            _check_int("exif_orientation", self.exif_orientation, 1, 8)
        if self.pad_bytes is not None and self.pad_base64 is not None:
            raise ImageSpecError("pad_bytes and pad_base64 are exclusive; set one of them")
        if self.pad_bytes is not None:
            _check_int("pad_bytes", self.pad_bytes, 1)
        if self.pad_base64 is not None:
            _check_int("pad_base64", self.pad_base64, 4)
            if self.base64_variant in ("canonical", "urlsafe") and self.pad_base64 % 4:
                low = self.pad_base64 // 4 * 4
                raise ImageSpecError(
                    f"pad_base64={self.pad_base64} is not a multiple of 4, so no canonical base64 text has that "
                    f"length; use {low} or {low + 4}, or a base64_variant that adds characters"
                )
        if (self.pad_bytes is not None or self.pad_base64 is not None) and fmt == "webp":
            raise ImageSpecError("webp files cannot be padded; pad bmp, gif, jpeg, png or tiff")
        if self.corruption is not None and self.corruption not in CORRUPTIONS:
            raise ImageSpecError(f"corruption={self.corruption!r} is unknown; use one of {', '.join(CORRUPTIONS)}")
        check_variant(self.base64_variant, argument="base64_variant")

    def _checked_degradations(self) -> tuple[tuple[str, float], ...]:
        raw = self.degradations
        items = list(raw.items()) if isinstance(raw, Mapping) else list(raw)
        checked = []
        for item in items:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise ImageSpecError(f"degradations entry {item!r} is not a (name, severity) pair")
            name, severity = item
            if (
                isinstance(severity, bool)
                or not isinstance(severity, int | float)
                or not math.isfinite(severity)
                or not 0 <= severity <= 1
            ):
                raise ImageSpecError(f"degradations[{name!r}]={severity!r} is not a severity; use a number in [0, 1]")
            checked.append((str(name), float(severity)))
        return tuple(sorted(checked))

    def _check_specimen(self) -> None:
        from pytest_idclassify.images._names import DEGRADATIONS, DOCUMENT_TYPES

        if self.doc_type not in DOCUMENT_TYPES:
            raise ImageSpecError(
                f"doc_type={self.doc_type!r} is not a document type; use one of {', '.join(DOCUMENT_TYPES)}"
            )
        for name, _ in self.degradations:
            if name not in DEGRADATIONS:
                raise ImageSpecError(f"degradation {name!r} is unknown; use one of {', '.join(DEGRADATIONS)}")
        for side, value in (("width", self.width), ("height", self.height)):
            if not 128 <= value <= 8192:
                raise ImageSpecError(f"{side}={value} is outside [128, 8192], the sides a specimen scene can have")

    def __str__(self) -> str:
        """Return the one-line summary, e.g. ``jpeg 1280x800 specimen:passport@3[blur=0.7] exif=6``."""
        if self.content == "flat":
            what = "flat#{:02x}{:02x}{:02x}".format(*self.colour)
        elif self.content == "noise":
            what = f"noise@{self.seed}"
        else:
            degraded = ",".join(f"{name}={severity:g}" for name, severity in self.degradations)
            what = f"specimen:{self.doc_type}@{self.seed}" + (f"[{degraded}]" if degraded else "")
        parts = [f"{self.format} {self.width}x{self.height} {what}"]
        if self.mode != "rgb":
            parts.append(f"mode={self.mode}")
        if self.exif_orientation is not None:
            parts.append(f"exif={self.exif_orientation}")
        if self.pad_bytes is not None:
            parts.append(f"pad=bytes:{self.pad_bytes}")
        if self.pad_base64 is not None:
            parts.append(f"pad=b64:{self.pad_base64}")
        if self.corruption is not None:
            parts.append(f"corrupt={self.corruption}")
        if self.base64_variant != "canonical":
            parts.append(f"b64={self.base64_variant}")
        return " ".join(parts)

    def replace(self, **changes: object) -> ImageRecipe:
        """Return a copy with some fields changed (validated like a new recipe)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def _encoded(self) -> bytes:
        if self.content == "flat" and self.mode == "rgb":
            return encode_flat(self.format, self.width, self.height, self.colour)
        # Only pixel content needs numpy and Pillow: flat images stay light to make (and to import).
        from pytest_idclassify.images._pillow import encode_pixels, flat_pixels, noise_pixels

        if self.content == "flat":
            pixels = flat_pixels(self.width, self.height, self.colour)
        elif self.content == "noise":
            pixels = noise_pixels(self.width, self.height, self.seed)
        else:
            from pytest_idclassify.images._specimens import render_scene

            scene = render_scene(
                str(self.doc_type),
                width=self.width,
                height=self.height,
                seed=self.seed,
                degradations=dict(self.degradations),
            )
            pixels = scene.pixels
        return encode_pixels(pixels, self.format, self.mode)

    def render(self) -> bytes:
        """Return the image file's bytes (content, EXIF, padding, then corruption).

        Raises:
            ImageSpecError: the padding target cannot be reached for this file (the message
                names the nearest reachable sizes).

        """
        data = self._encoded()
        if self.exif_orientation is not None:
            data = with_exif_orientation(data, self.exif_orientation)
        if self.pad_bytes is not None:
            data = pad_to_bytes(data, self.format, self.pad_bytes)
        elif self.pad_base64 is not None:
            data = pad_to_base64_length(data, self.format, self.pad_base64, self.base64_variant)
        if self.corruption == "truncated":
            data = truncate(data)
        elif self.corruption == "wrong-magic":
            data = wrong_magic(data, self.format)
        elif self.corruption == "corrupt-data":
            data = corrupt_data(data, self.format, self.seed)
        return data

    def to_base64(self) -> str:
        """Return :meth:`render`'s bytes as base64 text in :attr:`base64_variant`."""
        return encode_base64(self.render(), self.base64_variant)
