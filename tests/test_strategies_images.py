"""The image strategies reach both sides of every boundary and draw what they promise."""

from __future__ import annotations

import io
from collections.abc import Callable

from hypothesis import find, given, settings

from pytest_idclassify.cases import Case
from pytest_idclassify.images import SUPPORTED_FORMATS, ImageRecipe
from pytest_idclassify.strategies import (
    boundary_sides,
    image_recipes,
    invalid_requests,
    specimen_recipes,
    valid_requests,
)


def _on(axis: int, side: int) -> Callable[[tuple[int, int]], bool]:
    return lambda pair: pair[axis] == side


def test_boundary_sides_reach_both_sides_of_both_limits_on_each_axis() -> None:
    for side in (14, 15, 16, 8191, 8192, 8193):
        for axis in (0, 1):
            assert find(boundary_sides(), _on(axis, side))[axis] == side


def test_boundary_sides_follow_their_arguments() -> None:
    assert find(boundary_sides(min_side=100, max_side=200), lambda wh: wh[0] == 201)[0] == 201
    assert find(boundary_sides(min_side=100, max_side=200), lambda wh: True) == (99, 99)


def _side(case_side: int) -> Callable[[Case], bool]:
    return lambda case: any(
        case_side in (value.width, value.height)
        for call in case.calls
        for value in (call.json or {}).values()
        if isinstance(value, ImageRecipe)
    )


def test_case_strategies_reach_both_sides_of_each_limit() -> None:
    for side in (14, 8193):
        assert find(invalid_requests(kinds=("side-min", "side-max")), _side(side))
    for side in (15, 8192):
        assert find(valid_requests(kinds=("side-min", "side-max")), _side(side))


def test_image_recipes_shrink_to_the_smallest_simplest_image() -> None:
    smallest = find(image_recipes(formats=("png", "jpeg"), min_side=20, max_side=90), lambda r: True)
    assert (smallest.format, smallest.width, smallest.height, smallest.content) == ("png", 20, 20, "flat")
    wide = find(image_recipes(max_side=500), lambda r: r.width > 300)
    assert (wide.width, wide.height) == (301, 15)


@settings(max_examples=15)
@given(image_recipes(formats=SUPPORTED_FORMATS, min_side=15, max_side=40, contents=("flat", "noise")))
def test_image_recipes_render_to_their_declared_size(recipe: ImageRecipe) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(recipe.render())) as image:
        assert image.size == (recipe.width, recipe.height)
    assert recipe.format in SUPPORTED_FORMATS


@settings(max_examples=5)
@given(specimen_recipes(degradations=("blur", "glare"), max_severity=0.4))
def test_specimen_recipes_stay_lazy_and_within_the_severity(recipe: ImageRecipe) -> None:
    assert recipe.content == "specimen"
    assert all(0 <= severity <= 0.4 for _, severity in recipe.degradations)
    assert len(str(recipe)) < 100
