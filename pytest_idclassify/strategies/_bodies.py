"""A strategy for request bodies: data/url/alarm combinations, wrong JSON types, empty strings, extra fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from pytest_idclassify.cases._model import ImageSource, UrlImage
from pytest_idclassify.errors import StrategyArgumentError
from pytest_idclassify.strategies._args import check_flag, check_kinds

#: Which of ``data`` and ``url`` a body carries: one, both, neither, or empty strings.
SHAPES = ("data", "url", "both", "neither", "empty-data", "empty-url", "empty-both")
#: How a body spells ``alarm``.
ALARMS = ("omitted", "false", "true")
#: The fields that can be given a wrong JSON type.
FIELDS = ("data", "url", "alarm")

_NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz_"


def json_scalars() -> st.SearchStrategy[Any]:
    """Return a strategy for JSON scalars: null, booleans, safe integers, finite floats and short text."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
    )


def wrong_json_types(field: str) -> st.SearchStrategy[Any]:
    """Return a strategy for JSON values of the wrong type for ``field`` (``data``, ``url`` or ``alarm``).

    ``data`` and ``url`` get anything but a string, ``alarm`` anything but a boolean (including the
    strings ``"true"`` and ``"false"`` and the numbers 0 and 1).  ``null`` comes first, so examples
    shrink toward it.
    """
    if field not in FIELDS:
        raise StrategyArgumentError(f"field={field!r} is not a request field; use one of {', '.join(FIELDS)}")
    containers = st.one_of(
        st.lists(st.integers(0, 9), max_size=3),
        st.dictionaries(st.text(_NAME_ALPHABET, max_size=5), st.integers(0, 9), max_size=2),
    )
    if field == "alarm":
        return st.one_of(
            st.none(),
            st.sampled_from(["true", "false", "yes", "", 0, 1]),
            st.integers(),
            st.text(max_size=8),
            containers,
        )
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        containers,
    )


def extra_field_names() -> st.SearchStrategy[str]:
    """Return a strategy for field names the API does not define (never ``data``, ``url``, ``alarm`` in any case)."""
    return st.text(_NAME_ALPHABET, min_size=1, max_size=12).filter(lambda name: name.lower() not in FIELDS)


def request_bodies(
    *,
    shapes: Sequence[str] = ("data",),
    alarm: Sequence[str] = ALARMS,
    wrong_type: str | None = None,
    extra_fields: bool = False,
    images: st.SearchStrategy[ImageSource] | None = None,
    url_values: st.SearchStrategy[str | UrlImage] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Return a strategy for JSON request bodies whose ``data`` is an image recipe, rendered only when sent.

    ``shapes`` picks which of ``data`` and ``url`` the body carries: ``data``, ``url``, ``both``,
    ``neither``, or empty strings (``empty-data``, ``empty-url``, ``empty-both``).  ``alarm`` picks
    how ``alarm`` is spelled: ``omitted``, ``false``, ``true``.  ``wrong_type`` (``data``, ``url``
    or ``alarm``) gives that field a value of the wrong JSON type: for ``data`` and ``url`` the body
    then holds that field alone (and ``alarm``), whatever ``shapes`` says.  ``extra_fields`` adds one
    to three fields the API does not define.  Examples shrink toward the first shape and alarm
    spelling, the simplest image, no extra field, and ``null`` for a wrong-typed value.

    Raises:
        StrategyArgumentError: an unknown or empty ``shapes`` or ``alarm``, an unknown
            ``wrong_type``, or a non-boolean ``extra_fields``.

    """
    chosen_shapes = check_kinds("shapes", shapes, SHAPES)
    chosen_alarms = check_kinds("alarm", alarm, ALARMS)
    if wrong_type is not None and wrong_type not in FIELDS:
        raise StrategyArgumentError(f"wrong_type={wrong_type!r} is not a request field; use one of {', '.join(FIELDS)}")
    check_flag("extra_fields", extra_fields)
    if images is None:
        from pytest_idclassify.strategies._images import image_recipes

        images = image_recipes()
    if url_values is None:
        from pytest_idclassify.strategies._urls import urls

        url_values = urls(kinds=("plain",)).map(lambda drawn: drawn.value)
    pictures, addresses = images, url_values

    @st.composite
    def draw(draw: st.DrawFn) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if wrong_type in ("data", "url"):
            body[wrong_type] = draw(wrong_json_types(wrong_type))
        else:
            shape = draw(st.sampled_from(chosen_shapes))
            if shape in ("data", "both"):
                body["data"] = draw(pictures)
            if shape in ("url", "both"):
                body["url"] = draw(addresses)
            if shape in ("empty-data", "empty-both"):
                body["data"] = ""
            if shape in ("empty-url", "empty-both"):
                body["url"] = ""
        if wrong_type == "alarm":
            body["alarm"] = draw(wrong_json_types("alarm"))
        else:
            spelling = draw(st.sampled_from(chosen_alarms))
            if spelling != "omitted":
                body["alarm"] = spelling == "true"
        if extra_fields:
            extras = draw(st.dictionaries(extra_field_names(), json_scalars(), min_size=1, max_size=3))
            body.update(extras)
        return body

    return draw()
