"""Work the engine does once, skips or does a quicker way must give what the plain way gives."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pytest_idclassify.emulator._vision import _alarms
from pytest_idclassify.emulator._vision._descriptor import Descriptor, distances
from pytest_idclassify.emulator._vision._engine import _rectify_inside
from pytest_idclassify.emulator._vision._localise import squared_distances
from pytest_idclassify.emulator._vision._rectify import rectify
from pytest_idclassify.emulator._vision._templates import template_layouts, templates, whole_template_layouts
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


def _hasler_suesstrunk(card: np.ndarray, paper: float) -> float:
    # The published formula, in double precision over every pixel: rg = R - G, yb = (R + G) / 2 - B.
    rgb = card.reshape(-1, 3).astype(np.float64)
    rg = rgb[:, 0] - rgb[:, 1]
    yb = 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]
    spread = float(np.hypot(rg.std(), yb.std()))
    mean = float(np.hypot(rg.mean(), yb.mean()))
    return (spread + 0.3 * mean) * 255.0 / max(paper, 8.0)


def test_the_colourfulness_is_hasler_and_suesstrunks() -> None:
    rng = np.random.default_rng(5)
    cards = [rng.integers(0, 256, (232, 368, 3), dtype=np.uint8) for _ in range(20)]
    # Flat colours (a spread of exactly 0, which a difference of moments misses), near-flat ones,
    # a grey card and a specimen: each term of the formula takes its turn.
    cards += [np.broadcast_to(rng.integers(0, 256, 3, dtype=np.uint8), (20, 170, 3)).copy() for _ in range(10)]
    cards += [
        np.clip(rng.integers(0, 256, 3)[None, None] + rng.integers(0, 2, (50, 80, 3)), 0, 255).astype(np.uint8)
        for _ in range(10)
    ]
    cards.append(np.repeat(rng.integers(0, 256, (50, 80, 1), dtype=np.uint8), 3, axis=2))
    cards.append(np.asarray(render_scene("peru_id_card", width=368, height=232, seed=2).pixels))
    for card in cards:
        for paper in (4.0, 120.0, 255.0):
            assert _alarms.colourfulness(card, paper) == pytest.approx(
                _hasler_suesstrunk(card, paper), rel=1e-12, abs=1e-12
            )


def test_the_desks_looked_up_distances_are_the_per_pixel_ones() -> None:
    rng = np.random.default_rng(6)
    weights = np.array([(100.0 / 255.0) ** 2, 1.0, 1.0], np.float32).reshape(1, 3)
    for _ in range(40):
        rows, columns = (int(side) for side in rng.integers(1, 200, 2))
        lab = rng.integers(0, 256, (rows, columns, 3), dtype=np.uint8)
        # Medians of 8-bit samples are whole or half levels; any other centre must be served alike.
        centre = (rng.integers(0, 511, 3) / 2 if rng.random() < 0.5 else rng.uniform(-10, 265, 3)).astype(np.float32)
        offset = np.ascontiguousarray(lab.astype(np.float32) - centre)
        expected = cv2.transform(cv2.multiply(offset, offset), weights)
        assert np.array_equal(squared_distances(lab, centre), expected)


def test_templates_normalised_once_give_the_distances_of_normalising_them_every_time() -> None:
    rng = np.random.default_rng(8)
    layouts, whole = template_layouts(), whole_template_layouts()
    observed = [template.descriptor for template in templates()]
    for _ in range(30):
        layout = rng.normal(128, 40, observed[0].layout.shape).astype(np.float32)
        # Every cell valid (the kept normalisation serves), or some not (it must not).
        valid = np.ones(layout.shape, np.bool_) if rng.random() < 0.5 else rng.random(layout.shape) > 0.2
        observed.append(Descriptor(layout, valid))
    assert any(not descriptor.valid.all() for descriptor in observed)
    for descriptor in observed:
        for reading in (descriptor, descriptor.rotated()):
            assert np.array_equal(distances(reading, layouts, whole=whole), distances(reading, layouts))
