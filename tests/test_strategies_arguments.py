"""Bad strategy arguments fail when the strategy is built, with a message naming the argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_idclassify.errors import ImageSpecError, StrategyArgumentError
from pytest_idclassify.strategies import (
    boundary_sides,
    image_recipes,
    invalid_requests,
    request_bodies,
    specimen_recipes,
    urls,
    valid_requests,
    wrong_json_types,
)

BAD: list[tuple[Callable[..., Any], dict[str, Any], type[Exception], str]] = [
    (image_recipes, {"min_side": 0}, ImageSpecError, "min_side=0"),
    (image_recipes, {"min_side": -3}, ImageSpecError, "min_side=-3"),
    (image_recipes, {"max_side": 0}, ImageSpecError, "max_side=0"),
    (image_recipes, {"min_side": 40, "max_side": 20}, ImageSpecError, "min_side=40 is above max_side=20"),
    (image_recipes, {"min_side": 1.5}, ImageSpecError, "not an integer"),
    (image_recipes, {"formats": ("png", "heic")}, ImageSpecError, "'heic'"),
    (image_recipes, {"formats": "png"}, ImageSpecError, "is a string"),
    (image_recipes, {"formats": ()}, ImageSpecError, "empty"),
    (image_recipes, {"formats": ("webp",), "max_side": 20000}, ImageSpecError, "webp can declare (16383)"),
    (image_recipes, {"contents": ("noise",), "max_side": 4096}, ImageSpecError, "noise"),
    (image_recipes, {"contents": ("stripes",)}, StrategyArgumentError, "'stripes'"),
    (boundary_sides, {"min_side": 0}, ImageSpecError, "min_side=0"),
    (boundary_sides, {"min_side": 1}, ImageSpecError, "no side below it"),
    (boundary_sides, {"min_side": 15, "max_side": 16}, ImageSpecError, "max_side=16"),
    (specimen_recipes, {"max_severity": 1.5}, ImageSpecError, "max_severity=1.5"),
    (specimen_recipes, {"max_severity": -0.1}, ImageSpecError, "max_severity=-0.1"),
    (specimen_recipes, {"max_severity": float("nan")}, ImageSpecError, "max_severity=nan"),
    (specimen_recipes, {"degradations": ("smudge",)}, ImageSpecError, "'smudge'"),
    (specimen_recipes, {"doc_types": ("library_card",)}, ImageSpecError, "'library_card'"),
    (specimen_recipes, {"width": 100}, ImageSpecError, "width=100"),
    (specimen_recipes, {"formats": ("tga",)}, ImageSpecError, "'tga'"),
    (request_bodies, {"shapes": ("data", "both-empty")}, StrategyArgumentError, "'both-empty'"),
    (request_bodies, {"alarm": ()}, StrategyArgumentError, "empty"),
    (request_bodies, {"wrong_type": "image"}, StrategyArgumentError, "wrong_type='image'"),
    (request_bodies, {"extra_fields": "yes"}, StrategyArgumentError, "extra_fields='yes'"),
    (wrong_json_types, {"field": "image"}, StrategyArgumentError, "field='image'"),
    (urls, {"kinds": ("ftp",)}, StrategyArgumentError, "'ftp'"),
    (valid_requests, {"kinds": ("format", "huge")}, StrategyArgumentError, "'huge'"),
    (valid_requests, {"formats": ("gif",)}, ImageSpecError, "refuses"),
    (invalid_requests, {"kinds": ()}, StrategyArgumentError, "empty"),
    (invalid_requests, {"formats": ("bogus",)}, ImageSpecError, "'bogus'"),
]


@pytest.mark.parametrize(("factory", "kwargs", "error", "shown"), BAD, ids=lambda v: getattr(v, "__name__", None))
def test_bad_arguments_raise_when_built(
    factory: Callable[..., Any], kwargs: dict[str, Any], error: type[Exception], shown: str
) -> None:
    with pytest.raises(error) as raised:
        factory(**kwargs)
    assert shown in str(raised.value)


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        image_recipes(("png",))  # type: ignore[call-arg]
