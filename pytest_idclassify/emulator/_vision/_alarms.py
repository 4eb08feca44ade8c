"""The seven image-quality alarms: one real image measure each, mapped linearly onto a score in [0, 99].

Every measure is taken on the rectified, upright card (so the background never counts), except the
border measure, which compares the card's quadrilateral with the picture's frame.  Each score is a
clipped linear map of its measure between a *clean* value (score 0) and a *severe* value (score 99),
so it rises monotonically with the degradation; the boolean alarm is ``score >= threshold``.
docs/explanation/recognition.md lists the measures, their scales and their calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.emulator._vision._descriptor import grey

#: the score at or above which an alarm is raised, unless the caller chooses another.
DEFAULT_ALARM_THRESHOLD = 50

#: alarm names in the API page's order (Tables 6 and 7): ``detect_<name>_result`` and ``<name>_score``.
ALARM_NAMES = (
    "blur",
    "glare",
    "blocking_within_border",
    "insufficient_lighting",
    "copy",
    "border_integrity",
    "reproduce",
)


@dataclass(frozen=True)
class Scale:
    """A linear map from a measure to a score: ``clean`` gives 0, ``severe`` gives 99, clipped outside."""

    clean: float
    severe: float

    def score(self, value: float) -> int:
        """Map ``value`` to an integer score in [0, 99]."""
        if not math.isfinite(value):
            return 0
        fraction = (value - self.clean) / (self.severe - self.clean)
        return int(round(99 * min(1.0, max(0.0, fraction))))


# Calibrated on the synthetic specimens (docs/explanation/recognition.md): clean scenes sit well on
# the clean side of every midpoint, and each degradation at full severity reaches the severe end.
SCALES: dict[str, Scale] = {
    "blur": Scale(clean=-0.6, severe=-2.2),  # log10 of the contrast-normalised Laplacian variance
    "glare": Scale(clean=0.005, severe=0.08),  # share of clipped highlights where the print is not white
    "blocking_within_border": Scale(clean=0.01, severe=0.10),  # share of the card under a foreign flat blob
    "insufficient_lighting": Scale(clean=150.0, severe=50.0),  # 90th percentile of card luminance, 0-255
    "copy": Scale(clean=12.0, severe=2.0),  # Hasler-Suesstrunk colourfulness at full exposure
    "border_integrity": Scale(clean=0.0, severe=0.20),  # share of the card estimated outside the frame
    "reproduce": Scale(clean=1.2, severe=2.4),  # log10 of the strongest spectral peak over the median
}

_MARGIN = 0.04  # share of each side left out: the card's own edge is not part of its print
_CLIP_LEVEL = 240  # a highlight is clipped when its darkest channel reaches this level
_WHITE_PRINT = 235  # template luminance above which white print legitimately looks clipped


@dataclass(frozen=True)
class Measures:
    """The raw measures behind the seven scores (see :data:`SCALES` for their units)."""

    blur: float
    glare: float
    blocking_within_border: float
    insufficient_lighting: float
    copy: float
    border_integrity: float
    reproduce: float

    def scores(self) -> dict[str, int]:
        """Map every measure to its score."""
        return {name: SCALES[name].score(getattr(self, name)) for name in ALARM_NAMES}


def _inner(image: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    height, width = image.shape[:2]
    dy, dx = max(1, round(height * _MARGIN)), max(1, round(width * _MARGIN))
    return image[dy : height - dy, dx : width - dx]


def sharpness(luma: npt.NDArray[np.uint8]) -> float:
    """Return log10 of the Laplacian's variance over the image's variance (contrast-free sharpness)."""
    values = luma.astype(np.float32)
    spread = float(values.var())
    if spread < 1.0:
        return -5.0  # a flat card has no detail left to be sharp: as blurred as it gets
    laplacian = cv2.Laplacian(values, cv2.CV_32F, ksize=3)
    return math.log10(max(float(laplacian.var()) / spread, 1e-5))


def clipped_share(card: npt.NDArray[np.uint8], template_luma: npt.NDArray[np.uint8]) -> float:
    """Share of the card whose darkest channel is clipped white where the template's print is not white."""
    clipped = card.min(axis=2) >= _CLIP_LEVEL
    expected_dark = template_luma < _WHITE_PRINT
    return float(np.count_nonzero(clipped & expected_dark)) / max(1, int(np.count_nonzero(expected_dark)))


def paper_level(luma: npt.NDArray[np.uint8]) -> float:
    """The 90th percentile of luminance: how bright the card's paper appears (0-255)."""
    return float(np.percentile(luma, 90))


def colourfulness(card: npt.NDArray[np.uint8], paper: float) -> float:
    """Hasler and Suesstrunk's colourfulness, rescaled as if the paper were exposed at 255.

    Dimming a picture scales its colour differences with it; dividing by the paper level keeps a
    dark but coloured card from passing for a black-and-white copy.
    """
    values = card.reshape(-1, 3).astype(np.float32)
    rg = values[:, 0] - values[:, 1]
    yb = 0.5 * (values[:, 0] + values[:, 1]) - values[:, 2]
    spread = math.hypot(float(rg.std()), float(yb.std()))
    mean = math.hypot(float(rg.mean()), float(yb.mean()))
    return (spread + 0.3 * mean) * 255.0 / max(paper, 8.0)


def blocked_share(luma: npt.NDArray[np.uint8], template_luma: npt.NDArray[np.uint8]) -> float:
    """Share of the card covered by a flat blob that the template does not have there.

    Both layouts are compared on a coarse grid after matching the card's exposure to the template's
    (a robust gain and offset), so darkness and blur do not count; bright clipped cells are glare's.
    """
    grid = (80, max(8, round(80 * luma.shape[0] / luma.shape[1])))
    seen = cv2.resize(luma, grid, interpolation=cv2.INTER_AREA).astype(np.float32)
    expected = cv2.resize(template_luma, grid, interpolation=cv2.INTER_AREA).astype(np.float32)
    seen_spread = float(np.percentile(seen, 90) - np.percentile(seen, 10))
    expected_spread = float(np.percentile(expected, 90) - np.percentile(expected, 10))
    if seen_spread < 1.0 or expected_spread < 1.0:
        return 0.0
    gain = expected_spread / seen_spread
    matched = (seen - float(np.median(seen))) * gain + float(np.median(expected))
    mean = cv2.blur(matched, (5, 5))
    local_spread = np.sqrt(np.maximum(cv2.blur(matched * matched, (5, 5)) - mean * mean, 0.0))
    foreign = (np.abs(matched - expected) > 0.35 * expected_spread) & (local_spread < 0.08 * expected_spread)
    foreign &= seen < 250  # clipped highlights are the glare alarm's business
    mask = cv2.morphologyEx(foreign.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return float(np.count_nonzero(mask)) / mask.size


def outside_share(quad: npt.NDArray[np.float64], aspect: float, frame: tuple[int, int]) -> float:
    """Estimate the share of the card that lies outside the picture, from its visible quadrilateral.

    A card that does not touch the frame is whole (0).  One that does is cut: its full size is
    inferred from its longest visible dimension and the document's known aspect ratio.
    """
    width, height = frame
    touching = (quad[:, 0] <= 1.5) | (quad[:, 0] >= width - 2.5) | (quad[:, 1] <= 1.5) | (quad[:, 1] >= height - 2.5)
    if not touching.any():
        return 0.0
    sides = np.hypot(*(np.roll(quad, -1, axis=0) - quad).T)
    across, down = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    long_side, short_side = max(across, down), min(across, down)
    full_area = max(long_side * long_side / aspect, short_side * short_side * aspect)
    visible = float(cv2.contourArea(quad.astype(np.float32)))
    return max(0.0, 1.0 - visible / full_area) if full_area > 0 else 0.0


def spectral_peak(luma: npt.NDArray[np.uint8]) -> float:
    """Return log10 of the strongest mid-to-high frequency peak of the spectrum over its local median.

    A screen photographed again lays a regular grid (moire) over the whole card: a few sharp peaks
    far from the centre of the 2D spectrum.  Print gives broad, smooth spectra instead.
    """
    side = 128
    height, width = luma.shape
    if height < side or width < side:
        return 0.0
    # The centre of the card, where rounded corners and the warp's edge do not reach.
    y0, x0 = (height - side) // 2, (width - side) // 2
    patch = luma[y0 : y0 + side, x0 : x0 + side].astype(np.float32)
    patch -= cv2.GaussianBlur(patch, (0, 0), 4.0)  # keep the fine structure only
    window = np.outer(np.hanning(side), np.hanning(side)).astype(np.float32)
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(patch * window)))
    smooth = cv2.medianBlur(np.log1p(spectrum).astype(np.float32), 5)
    ys, xs = np.mgrid[0:side, 0:side]
    radius = np.hypot(ys - side / 2, xs - side / 2)
    ring = (radius >= side * 0.12) & (radius <= side * 0.48)
    excess = np.log1p(spectrum)[ring] - smooth[ring]
    return float(excess.max()) / math.log(10.0)


def measure(
    card: npt.NDArray[np.uint8],
    template_card: npt.NDArray[np.uint8],
    *,
    quad: npt.NDArray[np.float64],
    aspect: float,
    frame: tuple[int, int],
) -> Measures:
    """Take the seven measures of an upright, rectified ``card`` matched to ``template_card``.

    ``quad`` is the card's visible quadrilateral in the picture, ``frame`` the picture's (width,
    height) and ``aspect`` the matched document's width over height.
    """
    if card.shape != template_card.shape:
        card = cv2.resize(card, (template_card.shape[1], template_card.shape[0]), interpolation=cv2.INTER_AREA)
    inner_card = np.ascontiguousarray(_inner(card))
    inner_template = np.ascontiguousarray(_inner(template_card))
    luma = grey(inner_card)
    template_luma = grey(inner_template)
    paper = paper_level(luma)
    return Measures(
        blur=sharpness(luma),
        glare=clipped_share(inner_card, template_luma),
        blocking_within_border=blocked_share(luma, template_luma),
        insufficient_lighting=paper,
        copy=colourfulness(inner_card, paper),
        border_integrity=outside_share(quad, aspect, frame),
        reproduce=spectral_peak(luma),
    )
