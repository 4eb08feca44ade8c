"""The recognition engine on odd input: it answers with an Analysis or NoDocumentFound, never anything else."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pytest_idclassify.emulator._vision import Analysis, NoDocumentFound, analyse
from pytest_idclassify.errors import RecognitionError
from pytest_idclassify.images._specimens import render_scene


def _check(analysis: Analysis, width: int, height: int, *, with_alarms: bool) -> None:
    assert len(analysis.quad) == 4
    assert all(0 <= x < width and 0 <= y < height for x, y in analysis.quad)
    assert 0.0 <= analysis.confidence <= 1.0
    assert analysis.confidence == round(analysis.confidence, 3)
    if with_alarms:
        assert analysis.alarm_confidence is not None and analysis.alarm_result is not None
        assert all(isinstance(score, int) and 0 <= score <= 99 for score in analysis.alarm_confidence.values())
    else:
        assert analysis.alarm_confidence is None and analysis.alarm_result is None


def _outcome(pixels: np.ndarray, *, with_alarms: bool = True) -> Analysis | None:
    height, width = pixels.shape[:2]
    try:
        analysis = analyse(pixels, with_alarms=with_alarms)
    except NoDocumentFound:
        return None
    _check(analysis, width, height, with_alarms=with_alarms)
    return analysis


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((15, 15), np.uint8),
        np.full((15, 15, 3), 255, np.uint8),
        np.full((8192, 15, 3), 128, np.uint8),
        np.full((15, 8192), 7, np.uint8),
        np.zeros((600, 800, 3), np.uint8),
        np.full((600, 800, 4), 200, np.uint8),
        np.zeros((1, 1), np.uint8),
    ],
    ids=["grey-15", "white-15", "tall-8192x15", "wide-15x8192", "black", "rgba-flat", "one-pixel"],
)
def test_flat_or_tiny_pictures_hold_no_document(pixels: np.ndarray) -> None:
    with pytest.raises(NoDocumentFound) as caught:
        analyse(pixels, with_alarms=True)
    assert isinstance(caught.value, RecognitionError)
    assert "picture" in str(caught.value) or "array" in str(caught.value)


def test_a_bright_card_on_a_dark_desk_is_found_in_every_pixel_layout() -> None:
    scene = render_scene("hongkong_id_card", seed=4)
    rgb = scene.pixels
    grey = rgb.mean(axis=2).astype(np.uint8)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    deep = rgb.astype(np.uint16) * 257
    unit = rgb.astype(np.float32) / 255.0
    for layout in (rgb, grey, rgba, deep, unit):
        analysis = _outcome(layout)
        assert analysis is not None
    assert _outcome(rgb) == _outcome(deep)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_turned_pictures_give_the_same_type_and_the_turned_corners(turns: int) -> None:
    scene = render_scene("myanmar_id_card", seed=8)
    turned = np.ascontiguousarray(np.rot90(scene.pixels, -turns))  # clockwise quarter turns
    analysis = analyse(turned, with_alarms=False)
    assert analysis.doc_type == "myanmar_id_card"
    height = scene.height
    width = scene.width
    expected = []
    for x, y in scene.quad:
        for turn in range(turns):
            x, y = (height if turn % 2 == 0 else width) - 1 - y, x
        expected.append((x, y))
    # The corners turn with the picture, and the list starts again at the picture's top-left.
    first = min(range(4), key=lambda i: (expected[i][0] + expected[i][1], expected[i][1]))
    expected = expected[first:] + expected[:first]
    errors = [np.hypot(fx - ex, fy - ey) for (fx, fy), (ex, ey) in zip(analysis.quad, expected, strict=True)]
    assert max(errors) <= 4.0, (analysis.quad, expected)


def test_alarm_threshold_decides_the_flags() -> None:
    pixels = render_scene("id_card", seed=5, degradations={"blur": 0.6}).pixels
    strict = analyse(pixels, with_alarms=True, alarm_threshold=0)
    lax = analyse(pixels, with_alarms=True, alarm_threshold=100)
    assert strict.alarm_result is not None and lax.alarm_result is not None
    assert all(strict.alarm_result.values())
    assert not any(lax.alarm_result.values())
    assert strict.alarm_confidence == lax.alarm_confidence
    assert strict.doc_type == lax.doc_type == analyse(pixels, with_alarms=False).doc_type


def test_a_picture_without_a_card_is_refused_or_matched_with_low_confidence() -> None:
    rng = np.random.default_rng(11)
    noise = rng.integers(0, 256, (400, 600, 3), dtype=np.uint8)
    analysis = _outcome(noise)
    assert analysis is None or analysis.confidence < 0.5


@settings(max_examples=30)
@given(
    hnp.arrays(
        dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.int16, np.bool_]),
        shape=st.one_of(
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=48),
            st.tuples(st.integers(1, 48), st.integers(1, 48), st.sampled_from([1, 3, 4])),
        ),
    ),
    st.booleans(),
)
def test_random_small_arrays_give_an_analysis_or_no_document(pixels: np.ndarray, with_alarms: bool) -> None:
    _outcome(pixels, with_alarms=with_alarms)


@settings(max_examples=25)
@given(hnp.arrays(np.uint8, st.tuples(st.integers(15, 64), st.integers(15, 64), st.just(3))), st.booleans())
def test_random_rgb_noise_gives_an_analysis_or_no_document(pixels: np.ndarray, with_alarms: bool) -> None:
    _outcome(pixels, with_alarms=with_alarms)
