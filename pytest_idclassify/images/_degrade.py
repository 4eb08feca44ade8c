"""The seven image degradations, one per alarm of the API, each with a severity in [0, 1].

Severity 0 leaves the image untouched and the visual effect grows monotonically with severity.
Each function takes its own seeded :class:`numpy.random.Generator`, so adding one degradation to
a recipe never changes the random draws of another.  The scene applies them in one physical order
(:data:`APPLY_ORDER`) whatever the order of the mapping that asks for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._names import DEGRADATIONS

Image = npt.NDArray[np.uint8]
Quad = npt.NDArray[np.float64]


#: The order a scene applies them in: the document is copied, then placed (and perhaps cut by the
#: frame), a thumb covers part of it, it is shown on a screen, lit too dimly, catches a specular
#: highlight, and the camera blurs it.
APPLY_ORDER: tuple[str, ...] = ("copy", "cut_border", "occlusion", "recapture", "darkness", "glare", "blur")

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def check_degradations(degradations: Mapping[str, float] | None) -> Mapping[str, float]:
    """Validate a degradation recipe and return it as a read-only mapping in :data:`DEGRADATIONS` order.

    Raises:
        ImageSpecError: an unknown name, or a severity that is not a number in [0, 1].

    """
    if degradations is None:
        return MappingProxyType({})
    if not isinstance(degradations, Mapping):
        raise ImageSpecError(
            f"degradations must be a mapping of name to severity, e.g. {{'blur': 0.5}}; got {degradations!r}"
        )
    for name in degradations:
        check_name(name)
    return MappingProxyType(
        {name: check_severity(name, degradations[name]) for name in DEGRADATIONS if name in degradations}
    )


def check_name(name: str) -> None:
    """Raise :class:`ImageSpecError` unless ``name`` is one of :data:`DEGRADATIONS`."""
    if name not in DEGRADATIONS:
        raise ImageSpecError(f"unknown degradation {name!r}; use one of: {', '.join(DEGRADATIONS)}")


def check_severity(name: str, severity: float) -> float:
    """Return ``severity`` as a float, or raise :class:`ImageSpecError` unless it is a number in [0, 1]."""
    if isinstance(severity, bool) or not isinstance(severity, int | float | np.integer | np.floating):
        raise ImageSpecError(f"severity of {name!r} must be a number in [0, 1], got {severity!r}")
    value = float(severity)
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ImageSpecError(
            f"severity of {name!r} is {severity!r}, outside [0, 1]; 0 leaves the image unchanged and 1 is the worst"
        )
    return value


def rng_for(scene_seed: int, name: str, seed: int) -> np.random.Generator:
    """Return the generator of degradation ``name`` in scene ``scene_seed`` with degradation seed ``seed``."""
    return np.random.default_rng([scene_seed, 1 + DEGRADATIONS.index(name), seed])


def luminance(image: Image) -> npt.NDArray[np.float32]:
    """Return the Rec. 601 luma of an RGB image as float32 in [0, 255]."""
    return image.astype(np.float32) @ _LUMA


# -- card-space degradations: applied to the flat card before it is placed ------------------------


def copy(card: Image, severity: float, rng: np.random.Generator) -> Image:
    """Turn the card into a black-and-white photocopy: colour drains, contrast hardens, toner grain appears.

    Saturation falls as ``1 - severity``; the tone curve moves from linear to a steep sigmoid around
    mid-grey, and paper grain and toner specks grow with severity.
    """
    if severity <= 0:
        return card
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY).astype(np.float32)
    height, width = gray.shape
    grain = _smooth_noise(rng, height, width, cell=max(1, width // 300)) * np.float32(14.0 * severity)
    steepness = 1.0 / (48.0 - 38.0 * severity)
    # The photocopier's tone curve as a table over grey levels 0..255.
    curve = 255.0 / (1.0 + np.exp(-(np.arange(256, dtype=np.float32) - 135.0) * steepness))
    table = np.clip(np.arange(256) + (curve - np.arange(256)) * severity + 0.5, 0, 255).astype(np.uint8)
    noisy = cv2.convertScaleAbs(gray + grain)
    hard = cv2.LUT(noisy, table)
    specks = rng.random((height, width), dtype=np.float32) < 0.004 * severity
    hard[specks] = (hard[specks] * 0.35).astype(np.uint8)
    out = cv2.addWeighted(card, 1.0 - severity, cv2.merge([hard, hard, hard]), severity, 0.0)
    return np.asarray(out, np.uint8)


def occlusion(card: Image, severity: float, rng: np.random.Generator) -> Image:
    """Cover part of the card with an opaque thumb lying wholly inside its border.

    The thumb's area grows from 4% of the card at severity 0+ to 40% at severity 1; a margin of
    7% of the card's height stays uncovered along every edge, so the border remains visible.
    """
    if severity <= 0:
        return card
    height, width = card.shape[:2]
    margin = 0.07 * height
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    area = (0.04 + 0.36 * severity) * width * height
    angle = math.radians(rng.uniform(-30.0, 30.0))
    where_x, where_y = rng.random(2)
    tone = rng.uniform(-18.0, 18.0)
    aspect = 1.7
    # An ellipse of axes (length, thickness): shrink the tilt until it fits inside the margin.
    thickness = math.sqrt(4.0 * area / (math.pi * aspect))
    length = aspect * thickness
    for _ in range(60):
        half_x = math.hypot(length / 2 * math.cos(angle), thickness / 2 * math.sin(angle))
        half_y = math.hypot(length / 2 * math.sin(angle), thickness / 2 * math.cos(angle))
        if 2 * half_x <= inner_w and 2 * half_y <= inner_h:
            break
        if abs(angle) > 0.01:
            angle *= 0.8
        else:
            length *= 0.97
            thickness *= 0.97
    cx = margin + half_x + where_x * (inner_w - 2 * half_x)
    cy = margin + half_y + where_y * (inner_h - 2 * half_y)
    return _draw_thumb(card, (cx, cy), (length / 2, thickness / 2), angle, tone)


def _draw_thumb(
    card: Image, center: tuple[float, float], axes: tuple[float, float], angle: float, tone: float
) -> Image:
    height, width = card.shape[:2]
    reach = max(axes) + 2
    x0, x1 = max(0, int(center[0] - reach)), min(width, int(center[0] + reach) + 1)
    y0, y1 = max(0, int(center[1] - reach)), min(height, int(center[1] + reach) + 1)
    size = (y1 - y0, x1 - x0)
    # Sub-pixel coordinates (shift=4) keep the outline exact; LINE_AA anti-aliases its edge.
    scale = 16
    middle = (round((center[0] - x0) * scale), round((center[1] - y0) * scale))
    box = (round(axes[0] * scale), round(axes[1] * scale))
    degrees = math.degrees(angle)
    mask = np.zeros(size, np.uint8)
    cv2.ellipse(mask, middle, box, degrees, 0, 360, 255, -1, cv2.LINE_AA, 4)
    coverage = mask.astype(np.float32) / 255.0
    # Shading: a blurred copy of the outline darkens the rim like a rounded fingertip.
    # The shading is smooth, so it is blurred at a quarter of the resolution.
    quarter = cv2.resize(coverage, (max(1, size[1] // 4), max(1, size[0] // 4)), interpolation=cv2.INTER_AREA)
    quarter = cv2.GaussianBlur(quarter, (0, 0), max(1.0, 0.35 * axes[1] / 4))
    rim = cv2.resize(quarter, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    skin = np.array([212.0 + tone, 158.0 + tone * 0.8, 128.0 + tone * 0.6], np.float32)
    color = (0.62 + 0.38 * rim)[:, :, None] * skin
    # The nail: a paler, glossier ellipse near one end of the thumb.
    nail_center = (
        middle[0] + round(0.55 * box[0] * math.cos(angle)),
        middle[1] + round(0.55 * box[0] * math.sin(angle)),
    )
    nail = np.zeros(size, np.uint8)
    cv2.ellipse(
        nail, nail_center, (round(0.32 * box[0]), round(0.55 * box[1])), degrees, 0, 360, 255, -1, cv2.LINE_AA, 4
    )
    gloss = (nail.astype(np.float32) / 255.0 * 0.45)[:, :, None]
    color = color * (1.0 - gloss) + np.float32(235.0) * gloss
    out = card.copy()
    patch = out[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = cv2.blendLinear(np.clip(color + 0.5, 0, 255).astype(np.uint8), patch, coverage, 1.0 - coverage)
    return np.asarray(out, np.uint8)


# -- placement --------------------------------------------------------------------------------------


def cut_border(quad: Quad, frame: tuple[int, int], severity: float, rng: np.random.Generator) -> Quad:
    """Move (and slightly enlarge) the card's quadrilateral so part of it leaves the frame.

    The share of the card's area outside the frame is ``0.5 * severity`` (to within 0.2%); the
    direction (an edge or a corner) is drawn from ``rng``.
    """
    if severity <= 0:
        return quad
    width, height = frame
    directions = [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (1, -1), (1, 1), (-1, 1)]
    dx, dy = directions[int(rng.integers(len(directions)))]
    norm = math.hypot(dx, dy)
    direction = np.array([dx / norm, dy / norm])
    center = quad.mean(axis=0)
    grown = center + (quad - center) * (1.0 + 0.15 * severity)
    target = 0.5 * severity
    total = outside_fraction(grown, width, height)
    low, high = 0.0, float(width + height)
    for _ in range(40):
        mid = (low + high) / 2
        total = outside_fraction(grown + direction * mid, width, height)
        if total < target:
            low = mid
        else:
            high = mid
    return np.asarray(grown + direction * high, np.float64)


def outside_fraction(quad: Quad, width: int, height: int) -> float:
    """Return the share of a convex quadrilateral's area that lies outside a ``width`` x ``height`` frame."""
    polygon = np.asarray(quad, np.float32).reshape(-1, 1, 2)
    area = abs(cv2.contourArea(polygon))
    if area <= 0:
        return 0.0
    edge = np.array([[-0.5, -0.5], [width - 0.5, -0.5], [width - 0.5, height - 0.5], [-0.5, height - 0.5]], np.float32)
    inside, _ = cv2.intersectConvexConvex(polygon, edge.reshape(-1, 1, 2))
    return float(max(0.0, 1.0 - inside / area))


# -- frame-space degradations: applied to the whole photograph --------------------------------------


def recapture(image: Image, severity: float, rng: np.random.Generator) -> Image:
    """Make the image look photographed off a screen: RGB sub-pixel grid, moire bands, colour fringes.

    The grid's contrast, the moire bands' depth, the channel misregistration and the screen's
    bluish cast and lifted blacks all grow with severity.
    """
    if severity <= 0:
        return image
    height, width = image.shape[:2]
    period = rng.uniform(3.0, 4.5)
    theta = math.radians(rng.uniform(2.0, 12.0)) * (1 if rng.integers(2) else -1)
    beat = rng.uniform(28.0, 60.0)
    beat_theta = theta + math.radians(rng.uniform(30.0, 60.0))
    # A screen grid is visible as soon as there is a screen: the pattern starts at a noticeable depth.
    amplitude = 0.12 + 0.38 * severity
    k = 2 * math.pi / period
    gaps = _Wave(-k * math.sin(theta), k * math.cos(theta))  # the dark gaps between rows of pixels
    bands = _Wave(2 * math.pi / beat * math.cos(beat_theta), 2 * math.pi / beat * math.sin(beat_theta))
    stripes = _Wave(k * math.cos(theta), k * math.sin(theta))
    # Gaps between pixel rows and the moire bands dim every channel alike; the screen's own
    # contrast is lower (x 0.88 at severity 1) and its blacks are lifted towards blue:
    # common = level * (1 - a/4 * (1 - gaps)) * (1 - 0.3 a * (1 + bands)).
    level = (1.0 - 0.12 * severity) * (1.0 - amplitude / 2)
    common = _product(
        [_Term(level * (1.0 - amplitude * 0.25)), _Term(level * amplitude * 0.25, gaps)],
        [_Term(1.0 - amplitude * 0.3), _Term(-amplitude * 0.3, bands)],
    )
    half = amplitude / 2 / (1.0 - amplitude / 2)
    # Colour fringes first (red and blue shifted apart): the screen's sub-pixel grid then lies on top
    # of the misregistered image.
    shift = round(severity * max(1.0, width / 640.0) * 1.5)
    # Red, green and blue sub-pixels are a third of a grid period apart.
    gains = [_product(common, [_Term(1.0), _Term(half, stripes, 2 * math.pi * index / 3)]) for index in range(3)]
    along_y, along_x = _tables(gains, width, height)
    lit = np.empty((height, width * 3), np.uint8)
    # A band of rows at a time, so that the band and its gains stay in cache; OpenCV's matrix
    # product, because NumPy's goes to a threaded BLAS that stalls when the machine is busy.
    for top in range(0, height, _BAND):
        bottom = min(height, top + _BAND)
        band = np.ascontiguousarray(image[top:bottom])
        if shift:
            # The red plane comes from the band rolled one way, the blue from it rolled the other.
            fringed = np.empty_like(band)
            cv2.mixChannels(
                [np.roll(band, shift, axis=1), band, np.roll(band, -shift, axis=1)], [fringed], [0, 0, 4, 1, 8, 2]
            )
            band = fringed
        gain = cv2.gemm(along_y[top:bottom], along_x, 1.0, _NO_DELTA, 0.0)
        lit[top:bottom] = cv2.multiply(band.reshape(bottom - top, width * 3), gain, dtype=cv2.CV_8U)
    # Whole grey levels, so that lifting after rounding equals rounding after lifting.
    lifted = np.array([round(18.0 * severity), round(24.0 * severity), round(40.0 * severity), 0], np.float64)
    return np.asarray(cv2.add(lit.reshape(height, width, 3), lifted), np.uint8)  # four numbers: a per-channel scalar


@dataclass(frozen=True)
class _Wave:
    """A plane wave's spatial frequency: its phase at (x, y) is ``kx * x + ky * y`` radians."""

    kx: float
    ky: float


_FLAT = _Wave(0.0, 0.0)


@dataclass(frozen=True)
class _Term:
    """``coefficient * cos(kx x + ky y + phase)``: one term of a sum of plane waves."""

    coefficient: float
    wave: _Wave = _FLAT
    phase: float = 0.0


def _product(*factors: list[_Term]) -> list[_Term]:
    """Multiply sums of plane waves into one sum: ``cos a cos b = (cos(a + b) + cos(a - b)) / 2``."""
    result = [_Term(1.0)]
    for factor in factors:
        expanded = []
        for left in result:
            for right in factor:
                scale = left.coefficient * right.coefficient
                if left.wave == _FLAT and left.phase == 0.0:
                    expanded.append(_Term(scale, right.wave, right.phase))
                elif right.wave == _FLAT and right.phase == 0.0:
                    expanded.append(_Term(scale, left.wave, left.phase))
                else:
                    lw, rw = left.wave, right.wave
                    expanded.append(_Term(scale / 2, _Wave(lw.kx + rw.kx, lw.ky + rw.ky), left.phase + right.phase))
                    expanded.append(_Term(scale / 2, _Wave(lw.kx - rw.kx, lw.ky - rw.ky), left.phase - right.phase))
        result = expanded
    return result


_BAND = 200  # rows of the frame lit at a time: their gains fill a few MiB
_NO_DELTA = np.empty((0, 0), np.float32)  # gemm's optional added matrix, unused (its weight is 0)


def _tables(
    channels: list[list[_Term]], width: int, height: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Factor one sum of plane waves per channel into a (H x 2n) by (2n x W channels) matrix product.

    ``cos(kx x + ky y + p) = cos(ky y) cos(kx x + p) - sin(ky y) sin(kx x + p)``: every term is a
    sum of two outer products of 1-D tables, so the sums evaluated on the pixel grid are
    ``(along_y @ along_x).reshape(H, W, channels)``, a small fraction of the cost of evaluating the
    waves pixel by pixel.  The channels' sums must list the same waves in the same order (phases
    and coefficients may differ), so that they share the tables along y.
    """
    xs = np.arange(width, dtype=np.float64)
    ys = np.arange(height, dtype=np.float64)
    phase_y = np.stack([term.wave.ky * ys for term in channels[0]], axis=1)
    along_y = np.concatenate([np.cos(phase_y), -np.sin(phase_y)], axis=1).astype(np.float32)
    count = len(channels[0])
    along_x = np.empty((2 * count, width, len(channels)), np.float32)
    for index, terms in enumerate(channels):
        coefficients = np.array([term.coefficient for term in terms])[:, None]
        phase_x = np.stack([term.wave.kx * xs + term.phase for term in terms], axis=0)
        along_x[:count, :, index] = coefficients * np.cos(phase_x)
        along_x[count:, :, index] = coefficients * np.sin(phase_x)
    return along_y, along_x.reshape(2 * count, width * len(channels))


def darkness(image: Image, severity: float, rng: np.random.Generator) -> tuple[Image, float]:
    """Light the scene too dimly: gain falls to 0.2 and gamma rises to 2.2 at severity 1.

    Returns the darkened image and the standard deviation of the sensor noise (grey levels) the
    caller adds after any blur, since noise arises in the sensor, after the lens.
    """
    if severity <= 0:
        return image, 0.0
    gain = 1.0 - 0.8 * severity
    gamma = 1.0 + 1.2 * severity
    table = np.clip(255.0 * gain * (np.arange(256) / 255.0) ** gamma + 0.5, 0, 255).astype(np.uint8)
    del rng  # the noise is drawn later by add_noise, from the same generator
    return np.asarray(cv2.LUT(image, table), np.uint8), 1.5 + 5.0 * severity


def add_noise(image: Image, sigma: float, rng: np.random.Generator) -> Image:
    """Add sensor noise of ``sigma`` grey levels: mostly luminance, some coarser chroma."""
    if sigma <= 0:
        return image
    height, width = image.shape[:2]
    luma = rng.standard_normal((height, width), dtype=np.float32) * np.float32(sigma)
    chroma = _smooth_noise(rng, height, width, cell=4, channels=3) * np.float32(sigma * 0.5)
    chroma += luma[:, :, None]
    return np.asarray(cv2.add(image, chroma, dtype=cv2.CV_8U), np.uint8)


def glare(
    image: Image,
    coverage: npt.NDArray[np.float32],
    spot: tuple[float, float],
    scale: float,
    severity: float,
    rng: np.random.Generator,
) -> Image:
    """Add a specular highlight centred on ``spot`` whose clipped (pure white) core grows with severity.

    ``coverage`` (H x W, 0..1) confines the highlight to the card's glossy surface; ``scale`` is the
    card's width in the frame, in pixels.
    """
    if severity <= 0:
        return image
    height, width = image.shape[:2]
    sigma = scale * (0.04 + 0.07 * severity)
    gain = 1.4 + 5.0 * severity
    aspect = rng.uniform(1.0, 1.8)
    angle = rng.uniform(0, math.pi)
    reach = sigma * aspect * 3.5
    x0, x1 = max(0, int(spot[0] - reach)), min(width, int(spot[0] + reach) + 1)
    y0, y1 = max(0, int(spot[1] - reach)), min(height, int(spot[1] + reach) + 1)
    if x0 >= x1 or y0 >= y1:
        return image
    # The highlight is smooth, so it is evaluated on a grid 4 px apart and interpolated.
    step = 4
    ys = np.arange(y0, y1 + step, step, dtype=np.float32)[:, None] - np.float32(spot[1])
    xs = np.arange(x0, x1 + step, step, dtype=np.float32)[None, :] - np.float32(spot[0])
    u = (xs * math.cos(angle) + ys * math.sin(angle)) / (sigma * aspect)
    v = (-xs * math.sin(angle) + ys * math.cos(angle)) / sigma
    coarse = np.clip(gain * np.exp(-0.5 * (u * u + v * v)), 0.0, 1.0).astype(np.float32)
    full = cv2.resize(coarse, (coarse.shape[1] * step, coarse.shape[0] * step), interpolation=cv2.INTER_LINEAR)
    weight = np.minimum(full[: y1 - y0, : x1 - x0], np.float32(1.0)) * coverage[y0:y1, x0:x1]
    out = image.copy()
    patch = out[y0:y1, x0:x1].astype(np.float32)
    patch += (255.0 - patch) * weight[:, :, None]
    out[y0:y1, x0:x1] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(out, np.uint8)


def blur(image: Image, severity: float, rng: np.random.Generator) -> Image:
    """Defocus the image with a Gaussian whose sigma grows linearly to 1/150 of the frame's longer side."""
    if severity <= 0:
        return image
    del rng  # a Gaussian defocus has nothing random
    sigma = severity * max(image.shape[:2]) / 150.0
    height, width = image.shape[:2]
    factor = int(sigma / 2.0)
    if factor < 2 or min(height, width) // factor < 16:
        return np.asarray(
            cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT), np.uint8
        )
    # A wide Gaussian is the same at a coarser scale: blur a 1/factor copy, then interpolate back.
    small = cv2.resize(image, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    rest = math.sqrt(max(sigma * sigma - (factor * factor) / 4.0, 1.0)) / factor
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=rest, sigmaY=rest, borderType=cv2.BORDER_REFLECT)
    return np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR), np.uint8)


def _smooth_noise(
    rng: np.random.Generator, height: int, width: int, *, cell: int, channels: int = 0
) -> npt.NDArray[np.float32]:
    # Unit-variance noise correlated over about `cell` pixels: drawn coarse, resized up.
    small_h, small_w = max(1, -(-height // cell)), max(1, -(-width // cell))
    shape = (small_h, small_w, channels) if channels else (small_h, small_w)
    coarse = rng.standard_normal(shape, dtype=np.float32)
    if cell == 1:
        return coarse
    return np.asarray(cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR), np.float32)
