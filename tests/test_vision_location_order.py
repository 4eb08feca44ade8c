"""The emulator's location lists the corners clockwise from the picture's top-left, whatever it finds."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_idclassify.emulator._vision import NoDocumentFound, analyse, decode_image
from pytest_idclassify.images import ImageRecipe, render_scene
from pytest_idclassify.validation import validate_response


def _location_clauses(pixels: np.ndarray) -> set[str]:
    height, width = pixels.shape[:2]
    try:
        found = analyse(pixels, with_alarms=False)
    except NoDocumentFound:
        return set()
    body = {"result": {"type": found.doc_type, "location": [list(p) for p in found.quad], "confidence": 0.5}}
    return {v.clause for v in validate_response(body, status=200, image_size=(width, height))}


@pytest.mark.parametrize("seed", range(12))
def test_noise_pictures_get_an_ordered_location_or_no_document(seed: int) -> None:
    for width, height in ((64, 64), (120, 80), (300, 200)):
        data = ImageRecipe(format="png", width=width, height=height, content="noise", seed=seed).render()
        assert _location_clauses(decode_image(data)) == set(), (seed, width, height)


def test_an_upside_down_card_is_still_listed_from_the_pictures_top_left() -> None:
    scene = render_scene("passport", width=960, height=600, seed=2)
    turned = np.ascontiguousarray(scene.pixels[::-1, ::-1])
    found = analyse(turned, with_alarms=False)
    assert found.doc_type == "passport"
    assert _location_clauses(turned) == set()
    width, height = 960, 600
    turned_quad = [(width - 1 - x, height - 1 - y) for x, y in scene.quad]  # still clockwise, from the bottom-right
    expected = turned_quad[2:] + turned_quad[:2]
    assert max(np.hypot(a - c, b - d) for (a, b), (c, d) in zip(found.quad, expected, strict=True)) <= 4.0
