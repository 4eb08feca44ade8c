"""Checks of strategy arguments, run when a strategy is built so a mistake fails where it is written."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from pytest_idclassify.errors import ImageSpecError, StrategyArgumentError
from pytest_idclassify.images import MAX_SIDE, normalise_format

_DOCS = "see docs/reference/strategies.md"


def check_formats(formats: Iterable[str], *, argument: str = "formats") -> tuple[str, ...]:
    """Return the canonical names of ``formats`` (``jpg`` -> ``jpeg``), deduplicated in order.

    Raises:
        ImageSpecError: ``formats`` is a bare string, is empty, or names an unknown format.

    """
    if isinstance(formats, str):
        raise ImageSpecError(f"{argument}={formats!r} is a string; pass a sequence such as ({formats!r},)")
    names: list[str] = []
    for fmt in formats:
        name = normalise_format(fmt, argument=argument)
        if name not in names:
            names.append(name)
    if not names:
        raise ImageSpecError(f"{argument}=() is empty; pass at least one format, e.g. ('png',)")
    return tuple(names)


def check_side_range(min_side: int, max_side: int, formats: Collection[str]) -> None:
    """Raise :class:`ImageSpecError` unless ``1 <= min_side <= max_side`` and every format can hold ``max_side``."""
    for name, value in (("min_side", min_side), ("max_side", max_side)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ImageSpecError(f"{name}={value!r} is not an integer; pass a side in pixels, at least 1")
        if value < 1:
            raise ImageSpecError(f"{name}={value} is not a valid side; a side is at least 1 pixel")
    if min_side > max_side:
        raise ImageSpecError(f"min_side={min_side} is above max_side={max_side}; pass min_side <= max_side")
    limit = min(MAX_SIDE[fmt] for fmt in formats)
    if max_side > limit:
        narrow = [fmt for fmt in formats if MAX_SIDE[fmt] == limit]
        raise ImageSpecError(
            f"max_side={max_side} is beyond what {', '.join(narrow)} can declare ({limit}); lower max_side "
            "or drop that format"
        )


def check_severity(value: object, *, argument: str) -> float:
    """Return ``value`` as a float in [0, 1], else raise :class:`ImageSpecError`."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not 0 <= value <= 1:
        raise ImageSpecError(f"{argument}={value!r} is not a severity; use a number in [0, 1]")
    return float(value)


def check_kinds(argument: str, kinds: Iterable[str], allowed: Collection[str]) -> tuple[str, ...]:
    """Return ``kinds`` as a tuple if it is a non-empty selection of ``allowed``, else raise.

    Raises:
        StrategyArgumentError: a bare string, an empty selection, or a name not in ``allowed``.

    """
    if isinstance(kinds, str):
        raise StrategyArgumentError(f"{argument}={kinds!r} is a string; pass a sequence such as ({kinds!r},)")
    chosen = tuple(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in allowed]
    if unknown:
        raise StrategyArgumentError(
            f"{argument} has unknown kinds {unknown}; use any of {', '.join(allowed)} ({_DOCS})"
        )
    if not chosen:
        raise StrategyArgumentError(f"{argument}=() is empty; pass at least one of {', '.join(allowed)}")
    return chosen


def check_flag(argument: str, value: object) -> bool:
    """Return ``value`` if it is a bool, else raise :class:`StrategyArgumentError`."""
    if not isinstance(value, bool):
        raise StrategyArgumentError(f"{argument}={value!r} is not a boolean; pass True or False")
    return value
