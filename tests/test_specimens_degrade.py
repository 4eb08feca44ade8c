from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from pytest_idclassify.images._degrade import recapture
from pytest_idclassify.images._specimens import DOCUMENT_TYPES, Scene, render_scene

SEVERITIES = (0.0, 0.25, 0.5, 0.75, 1.0)
Measure = Callable[[Scene], float]


def series(name: str, doc_type: str = "macao_id_card", seed: int = 6) -> list[Scene]:
    return [render_scene(doc_type, seed=seed, degradations={name: s}) for s in SEVERITIES]


def gray(scene: Scene) -> npt.NDArray[np.float32]:
    return cv2.cvtColor(scene.pixels, cv2.COLOR_RGB2GRAY).astype(np.float32)


def card_mask(scene: Scene, *, inset: int = 6) -> npt.NDArray[np.bool_]:
    mask = np.zeros(scene.pixels.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.array(scene.quad, np.int32)], 1)
    return cv2.erode(mask, np.ones((2 * inset + 1, 2 * inset + 1), np.uint8)).astype(bool)


def laplacian_variance(scene: Scene) -> float:
    return float(cv2.Laplacian(gray(scene), cv2.CV_32F).var())


def mean_luminance(scene: Scene) -> float:
    return float(gray(scene).mean())


def card_saturation(scene: Scene) -> float:
    hsv = cv2.cvtColor(scene.pixels, cv2.COLOR_RGB2HSV)
    return float(hsv[:, :, 1][card_mask(scene)].mean())


def clipped_fraction(scene: Scene) -> float:
    return float((scene.pixels.min(axis=2) >= 254).mean())


def outside_area(scene: Scene) -> float:
    # Rasterise the quad on a canvas three frames wide and tall, and count what falls outside the frame.
    height, width = scene.pixels.shape[:2]
    canvas = np.zeros((3 * height, 3 * width), np.uint8)
    cv2.fillPoly(canvas, [np.array(scene.quad, np.int32) + np.array([width, height], np.int32)], 1)
    inside = canvas[height : 2 * height, width : 2 * width].sum()
    return 1.0 - float(inside) / float(canvas.sum())


def skin_fraction(scene: Scene) -> float:
    rgb = scene.pixels.astype(np.int16)
    r, g, b = rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2]
    skin = (r > 120) & (r - g > 25) & (g - b > 10) & (r - b > 50)
    mask = card_mask(scene)
    return float(skin[mask].mean())


def screen_pattern(scene: Scene) -> float:
    """Strength of a periodic pattern of 2.6-5.2 px in the card's middle: its spectral peak."""
    (x0, y0), (x1, y1) = np.array(scene.quad).min(axis=0), np.array(scene.quad).max(axis=0)
    cx, cy, half = (x0 + x1) // 2, (y0 + y1) // 2, min(x1 - x0, y1 - y0) // 4
    patch = gray(scene)[cy - half : cy + half, cx - half : cx + half]
    window = np.outer(np.hanning(patch.shape[0]), np.hanning(patch.shape[1]))
    power = np.abs(np.fft.fft2((patch - patch.mean()) * window)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(patch.shape[0]), np.fft.fftfreq(patch.shape[1]), indexing="ij")
    band = (np.hypot(fx, fy) > 1 / 5.2) & (np.hypot(fx, fy) < 1 / 2.6)
    return float(power[band].max() / power.size)


@pytest.mark.parametrize(
    ("name", "measure", "direction"),
    [
        ("blur", laplacian_variance, -1),
        ("darkness", mean_luminance, -1),
        ("copy", card_saturation, -1),
        ("glare", clipped_fraction, +1),
        ("cut_border", outside_area, +1),
        ("occlusion", skin_fraction, +1),
        ("recapture", screen_pattern, +1),
    ],
)
def test_each_degradation_grows_monotonically_with_severity(name: str, measure: Measure, direction: int) -> None:
    values = [measure(scene) for scene in series(name)]
    steps = [direction * (b - a) for a, b in itertools.pairwise(values)]
    assert all(step > 0 for step in steps), f"{name}: {measure.__name__} over {SEVERITIES} is {values}"


def test_glare_starts_from_nothing_clipped_and_ends_with_a_large_white_core() -> None:
    values = [clipped_fraction(scene) for scene in series("glare")]
    assert values[0] < 0.001
    assert values[-1] > 0.02


def test_cut_border_moves_half_the_card_out_at_full_severity() -> None:
    scenes = series("cut_border")
    for severity, scene in zip(SEVERITIES, scenes, strict=True):
        assert outside_area(scene) == pytest.approx(0.5 * severity, abs=0.01)
    corners = np.array(scenes[-1].quad)
    height, width = scenes[-1].pixels.shape[:2]
    assert ((corners < 0) | (corners >= [width, height])).any()


def test_occlusion_keeps_the_border_visible() -> None:
    clean, covered = series("occlusion")[0], series("occlusion")[-1]
    assert clean.quad == covered.quad
    outer, inner = card_mask(clean, inset=3), card_mask(clean, inset=18)
    ring = outer & ~inner
    changed = np.abs(clean.pixels.astype(np.int16) - covered.pixels.astype(np.int16)).max(axis=2) > 0
    assert changed[inner].mean() > 0.2
    assert not changed[ring].any()


def test_copy_removes_colour_and_recapture_adds_colour_fringes() -> None:
    copied = render_scene("peru_id_card", seed=1, degradations={"copy": 1.0})
    assert card_saturation(copied) < 2.0
    clean = render_scene("peru_id_card", seed=1)
    screen = render_scene("peru_id_card", seed=1, degradations={"recapture": 1.0})

    # On a screen photo the red and blue channels no longer line up with the green one.
    def misregistration(scene: Scene) -> float:
        red, blue = scene.pixels[:, :, 0].astype(np.float32), scene.pixels[:, :, 2].astype(np.float32)
        return float(np.abs(cv2.Sobel(red, cv2.CV_32F, 1, 0) - cv2.Sobel(blue, cv2.CV_32F, 1, 0)).mean())

    assert misregistration(screen) > 1.5 * misregistration(clean)


def test_geometry_stays_put_under_every_degradation_but_cut_border() -> None:
    clean = render_scene("passport", seed=4)
    recipe = {"blur": 1.0, "glare": 1.0, "occlusion": 1.0, "darkness": 1.0, "copy": 1.0, "recapture": 1.0}
    assert render_scene("passport", seed=4, degradations=recipe).quad == clean.quad


@pytest.mark.parametrize("doc_type", DOCUMENT_TYPES)
def test_degradations_compose_on_every_type(doc_type: str) -> None:
    recipe = {"blur": 0.4, "darkness": 0.4, "copy": 0.5, "glare": 0.3, "occlusion": 0.3, "recapture": 0.3}
    scene = render_scene(doc_type, width=640, height=400, seed=2, degradations=recipe)
    clean = render_scene(doc_type, width=640, height=400, seed=2)
    assert mean_luminance(scene) < mean_luminance(clean)
    assert laplacian_variance(scene) < laplacian_variance(clean)


def _screen_by_the_formula(image: npt.NDArray[np.uint8], severity: float, seed: int) -> npt.NDArray[np.uint8]:
    """The recapture degradation written pixel by pixel, straight from its physical description."""
    rng = np.random.default_rng([seed])
    period = rng.uniform(3.0, 4.5)
    theta = math.radians(rng.uniform(2.0, 12.0)) * (1 if rng.integers(2) else -1)
    beat = rng.uniform(28.0, 60.0)
    beat_theta = theta + math.radians(rng.uniform(30.0, 60.0))
    amplitude = 0.12 + 0.38 * severity
    height, width = image.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    k = 2 * math.pi / period
    gaps = np.cos(k * (-x * math.sin(theta) + y * math.cos(theta)))
    bands = np.cos(2 * math.pi / beat * (x * math.cos(beat_theta) + y * math.sin(beat_theta)))
    along = k * (x * math.cos(theta) + y * math.sin(theta))
    common = (1 - amplitude * 0.25 * (1 - gaps)) * (1 - amplitude * 0.3 * (1 + bands))
    common *= (1 - 0.12 * severity) * (1 - amplitude / 2)
    half = amplitude / 2 / (1 - amplitude / 2)
    shift = round(severity * max(1.0, width / 640.0) * 1.5)
    shifts = (shift, 0, -shift)
    lifted = (round(18.0 * severity), round(24.0 * severity), round(40.0 * severity))
    out = np.empty_like(image)
    for c in range(3):
        channel = np.roll(image[:, :, c], shifts[c], axis=1).astype(np.float64)
        gain = common * (1 + half * np.cos(along + 2 * math.pi * c / 3))
        out[:, :, c] = np.clip(np.rint(channel * gain) + lifted[c], 0, 255).astype(np.uint8)
    return out


@pytest.mark.parametrize(("width", "height"), [(640, 400), (333, 217)])
@pytest.mark.parametrize("severity", [0.3, 1.0])
def test_recapture_computes_the_screen_it_describes(width: int, height: int, severity: float) -> None:
    # The fast path factors the screen's waves into one matrix product per band of rows; it must
    # light every pixel as the formula does (to one grey level of float rounding).
    image = render_scene("passport", width=width, height=height, seed=3).pixels
    for seed in (0, 1):
        fast = recapture(image, severity, np.random.default_rng([seed]))
        slow = _screen_by_the_formula(image, severity, seed)
        difference = np.abs(fast.astype(np.int16) - slow.astype(np.int16))
        assert difference.max() <= 1
        assert np.count_nonzero(difference) < 0.01 * difference.size
