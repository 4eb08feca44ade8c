"""Strategies for image recipes: flat and noise images of any size, boundary sides, specimens."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images import DEGRADATIONS, DOCUMENT_TYPES, SUPPORTED_FORMATS, ImageRecipe
from pytest_idclassify.strategies._args import (
    check_formats,
    check_kinds,
    check_severity,
    check_side_range,
)

#: The documented sides: 15..8192 pixels are accepted, 14 and 8193 refused.
SIDE_MIN = 15
SIDE_MAX = 8192

#: Largest side of a drawn noise image: noise is materialised as a raster, flat images are not.
NOISE_MAX_SIDE = 1024

_CONTENTS = ("flat", "noise")


def image_recipes(
    *,
    formats: Sequence[str] = SUPPORTED_FORMATS,
    min_side: int = SIDE_MIN,
    max_side: int = 64,
    contents: Sequence[str] = ("flat",),
) -> st.SearchStrategy[ImageRecipe]:
    """Return a strategy for recipes of whole images: a format, exact sides, flat colour or seeded noise.

    Nothing is rendered when a recipe is drawn; ``recipe.render()`` makes the bytes.  Examples
    shrink toward the first of ``formats``, both sides toward ``min_side``, flat before noise,
    black, and noise seed 0, so a failure is reported on the smallest, simplest image.

    Raises:
        ImageSpecError: an unknown or empty ``formats``, a side below 1, ``min_side > max_side``,
            a ``max_side`` beyond a format's container, or noise with ``max_side`` over 1024.
        StrategyArgumentError: ``contents`` names something other than ``flat`` or ``noise``.

    """
    names = check_formats(formats)
    check_side_range(min_side, max_side, names)
    kinds = check_kinds("contents", contents, _CONTENTS)
    if "noise" in kinds and max_side > NOISE_MAX_SIDE:
        raise ImageSpecError(
            f"max_side={max_side} with noise content would materialise a large random raster; keep max_side <= "
            f"{NOISE_MAX_SIDE} or use contents=('flat',)"
        )
    sides = st.integers(min_side, max_side)
    colours = st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))

    @st.composite
    def draw(draw: st.DrawFn) -> ImageRecipe:
        fmt = draw(st.sampled_from(names))
        width, height = draw(sides), draw(sides)
        if draw(st.sampled_from(kinds)) == "flat":
            return ImageRecipe(format=fmt, width=width, height=height, colour=draw(colours))
        return ImageRecipe(format=fmt, width=width, height=height, content="noise", seed=draw(st.integers(0, 2**16)))

    return draw()


def boundary_sides(*, min_side: int = SIDE_MIN, max_side: int = SIDE_MAX) -> st.SearchStrategy[tuple[int, int]]:
    """Return a strategy for ``(width, height)`` pairs whose every side sits on a boundary.

    Each side is drawn on its own from ``min_side - 1``, ``min_side``, ``min_side + 1``,
    ``max_side - 1``, ``max_side`` and ``max_side + 1`` (by default 14, 15, 16, 8191, 8192 and
    8193), so both sides of both limits are reached on either axis.  Examples shrink toward the
    first value, ``min_side - 1``.

    Raises:
        ImageSpecError: a side below 2 for ``min_side`` (its neighbour below must be a side), or
            ``max_side`` not above ``min_side + 1``.

    """
    check_side_range(min_side, max_side, ("png",))
    if min_side < 2:
        raise ImageSpecError(f"min_side={min_side} has no side below it; pass min_side >= 2")
    if max_side <= min_side + 1:
        raise ImageSpecError(f"max_side={max_side} must be above min_side + 1 = {min_side + 1}")
    values = sorted({min_side - 1, min_side, min_side + 1, max_side - 1, max_side, max_side + 1})
    side = st.sampled_from(values)
    return st.tuples(side, side)


def specimen_recipes(
    *,
    doc_types: Sequence[str] = DOCUMENT_TYPES,
    formats: Sequence[str] = ("jpeg",),
    degradations: Sequence[str] = (),
    max_severity: float = 1.0,
    width: int = 640,
    height: int = 400,
) -> st.SearchStrategy[ImageRecipe]:
    """Return a strategy for recipes of photographed specimen documents, optionally degraded.

    Each draw picks a document type, a format, a scene seed and, for each name of
    ``degradations`` it keeps, a severity in ``[0, max_severity]``.  Rendering happens only on
    ``recipe.render()``.  Examples shrink toward the first type and format, seed 0, no
    degradation and severity 0.

    Raises:
        ImageSpecError: an unknown type, format or degradation, a severity outside [0, 1], or a
            side outside [128, 8192] (the sides a scene can have).

    """
    types = tuple(doc_types) if not isinstance(doc_types, str) else (doc_types,)
    for doc_type in types:
        if doc_type not in DOCUMENT_TYPES:
            raise ImageSpecError(
                f"doc_types has {doc_type!r}, not a document type; use any of {', '.join(DOCUMENT_TYPES)}"
            )
    if not types:
        raise ImageSpecError("doc_types=() is empty; pass at least one document type")
    names = check_formats(formats)
    for name in degradations:
        if name not in DEGRADATIONS:
            raise ImageSpecError(f"degradations has {name!r}, not a degradation; use any of {', '.join(DEGRADATIONS)}")
    ceiling = check_severity(max_severity, argument="max_severity")
    for side, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not 128 <= value <= 8192:
            raise ImageSpecError(f"{side}={value!r} is outside [128, 8192], the sides a specimen scene can have")

    @st.composite
    def draw(draw: st.DrawFn) -> ImageRecipe:
        applied = []
        for name in degradations:
            if draw(st.booleans()):
                applied.append((name, draw(st.floats(0.0, ceiling, allow_nan=False)) if ceiling else 0.0))
        return ImageRecipe(
            format=draw(st.sampled_from(names)),
            width=width,
            height=height,
            content="specimen",
            doc_type=draw(st.sampled_from(types)),
            seed=draw(st.integers(0, 1000)),
            degradations=tuple(applied),
        )

    return draw()
