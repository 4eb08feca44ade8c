"""Work the engine does once or skips must give what doing it every time gives."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pytest_idclassify.emulator._vision import _alarms
from pytest_idclassify.emulator._vision._engine import _rectify_inside
from pytest_idclassify.emulator._vision._rectify import rectify
from pytest_idclassify.emulator._vision._templates import templates
from pytest_idclassify.images._specimens import render_scene


def _quad(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    if rng.random() < 0.5:  # anything: folded, outside the crop, on its edge
        return np.column_stack([rng.uniform(-3, width + 2, 4), rng.uniform(-3, height + 2, 4)])
    cx, cy = width / 2, height / 2
    return np.array(
        [
            [rng.uniform(0, cx * 0.9), rng.uniform(0, cy * 0.9)],
            [rng.uniform(cx * 1.1, width - 1), rng.uniform(0, cy * 0.9)],
            [rng.uniform(cx * 1.1, width - 1), rng.uniform(cy * 1.1, height - 1)],
            [rng.uniform(0, cx * 0.9), rng.uniform(cy * 1.1, height - 1)],
        ]
    )


def test_the_inside_mask_without_a_warp_is_the_warped_mask() -> None:
    rng = np.random.default_rng(11)
    skipped = 0
    for _ in range(1500):
        height, width = (int(side) for side in rng.integers(30, 300, 2))
        inside = np.full((height, width), 255, np.uint8)
        quad = _quad(rng, width, height)
        warped = rectify(inside, quad, (400, 252), border=cv2.BORDER_CONSTANT)
        assert np.array_equal(_rectify_inside(inside, quad, (400, 252)), warped), quad
        skipped += int(warped.min() == 255)
    assert skipped > 300  # the draws do reach the shortcut


@pytest.mark.parametrize("known_layout", [True, False])
def test_a_kept_template_reference_gives_the_measures_of_a_fresh_one(known_layout: bool) -> None:
    template = templates()[0]
    card = np.asarray(
        render_scene(template.doc_type, width=640, height=400, seed=4, degradations={"occlusion": 0.6}).pixels
    )
    card = cv2.resize(card, (template.card.shape[1], template.card.shape[0]), interpolation=cv2.INTER_AREA)
    inside = np.full(card.shape[:2], 255, np.uint8)
    options = {"inside": inside, "outside": 0.0, "patch": None, "known_layout": known_layout}
    fresh = _alarms.measure(card, template.card, **options)  # type: ignore[arg-type]
    kept = _alarms.measure(card, template.card, template=template.reference, **options)  # type: ignore[arg-type]
    assert kept == fresh


def test_the_screen_spectrum_is_numpys_fft_power() -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 256, (128, 128), dtype=np.uint8).astype(np.float32)
    fine = values - cv2.GaussianBlur(values, (0, 0), 4.0)
    expected = np.abs(np.fft.fft2((fine * _alarms._HANN).astype(np.float64))) ** 2
    assert np.allclose(_alarms._fine_power(values), expected, rtol=1e-4, atol=1e-3 * float(expected.max()) * 1e-3)
