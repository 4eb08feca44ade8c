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
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.emulator._vision._descriptor import grey
from pytest_idclassify.emulator._vision._rectify import extend_cut, side_lengths

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
        return round(99 * min(1.0, max(0.0, fraction)))


# Calibrated on the synthetic specimens (docs/explanation/recognition.md): clean scenes sit well on
# the clean side of every midpoint, and each degradation at full severity reaches the severe end.
SCALES: dict[str, Scale] = {
    "blur": Scale(clean=-0.2, severe=-1.6),  # log10 of the contrast-normalised Laplacian variance
    "glare": Scale(clean=0.02, severe=0.2),  # share of clipped highlights where the print is not white
    "blocking_within_border": Scale(clean=0.02, severe=0.12),  # share of the card under one foreign flat blob
    "insufficient_lighting": Scale(clean=160.0, severe=60.0),  # 90th percentile of card luminance, 0-255
    "copy": Scale(clean=12.0, severe=2.0),  # Hasler-Suesstrunk colourfulness at full exposure
    "border_integrity": Scale(clean=0.0, severe=0.15),  # share of the card estimated outside the frame
    "reproduce": Scale(clean=1.0, severe=7.0),  # contrast of the fine colour stripes, % of the mean luminance
}

_MARGIN = 0.04  # share of each side left out: the card's own edge is not part of its print
_CLIP_LEVEL = 240  # a highlight is clipped when its darkest channel reaches this level
_WHITE_PRINT = 235  # template luminance above which white print legitimately looks clipped
#: an unknown card's paper colour is read from its cells at or above this lightness percentile.
PAPER_PERCENTILE = 90.0
#: largest share of the card one panel of an unknown card's design (a band, a portrait) can take.
MAX_PANEL_SHARE = 0.35
_ABOVE_PAPER = 8.0  # how much brighter than an unknown card's paper a highlight must be
_CLIPPED_L = 97.0  # CIELAB lightness of a clipped highlight on the blocking grid
#: share of its bounding box a foreign blob must fill to pass for a panel of an unknown card's design.
PANEL_FILL = 0.88
#: the most corners the outline of overlapping panels may have (two rectangles across each other: 12).
MAX_PANEL_CORNERS = 12


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


def _grid(shape: tuple[int, ...]) -> tuple[int, int]:
    # The coarse grid of the blocking measure: 80 cells across, rows as the card's aspect gives.
    return 80, max(8, round(80 * shape[0] / shape[1]))


@dataclass(frozen=True)
class Reference:
    """What the measures read from a template card, the same for every picture of its type.

    ``card`` is the template's inner part (the margin every measure leaves out), ``luma`` its
    luminance and ``lab`` its CIELAB layout on the blocking measure's grid.
    """

    card: npt.NDArray[np.uint8]
    luma: npt.NDArray[np.uint8]
    lab: npt.NDArray[np.float32]


def reference(template_card: npt.NDArray[np.uint8]) -> Reference:
    """Read :class:`Reference` from ``template_card`` (a template keeps it, rather than every request)."""
    inner = np.ascontiguousarray(_inner(template_card))
    return Reference(inner, grey(inner), _lab(inner, _grid(inner.shape)))


def sharpness(luma: npt.NDArray[np.uint8]) -> float:
    """Return log10 of the Laplacian's variance over the image's variance (contrast-free sharpness)."""
    spread = _variance(luma)
    if spread < 1.0:
        return -5.0  # a flat card has no detail left to be sharp: as blurred as it gets
    laplacian = cv2.Laplacian(luma, cv2.CV_32F, ksize=3)
    return math.log10(max(_variance(laplacian) / spread, 1e-5))


def _variance(values: npt.NDArray[np.integer[Any] | np.floating[Any]]) -> float:
    # OpenCV's one pass over the pixels (in double precision) is several times quicker than NumPy's.
    _, deviation = cv2.meanStdDev(values)
    return float(deviation[0, 0]) ** 2


def clipped_share(card: npt.NDArray[np.uint8], template_luma: npt.NDArray[np.uint8]) -> float:
    """Share of the card whose darkest channel is clipped white where the template's print is not white."""
    darkest = cv2.min(cv2.min(card[:, :, 0], card[:, :, 1]), card[:, :, 2])
    clipped = darkest >= _CLIP_LEVEL
    expected_dark = template_luma < _WHITE_PRINT
    return float(np.count_nonzero(clipped & expected_dark)) / max(1, int(np.count_nonzero(expected_dark)))


def highlight_share(card: npt.NDArray[np.uint8]) -> float:
    """Share of an unknown card clipped white by highlights: clipped areas that are no panel of its design.

    Without a template there is no telling white print from a highlight by level alone: a white
    band or panel (a machine-readable zone, a white strip) is clipped as a highlight is.  Such
    panels are rectangles along the card's sides (see :func:`blocked_share`); a lamp's reflection
    is a round spot.  A highlight must also be brighter than the paper: on a paper as bright as
    the clip level itself the threshold rises with it (a highlight on white paper cannot be seen).
    """
    darkest = cv2.min(cv2.min(card[:, :, 0], card[:, :, 1]), card[:, :, 2])
    # The median pixel is paper on almost every card, and stays so under a large highlight.
    level = max(float(_CLIP_LEVEL), float(np.median(darkest)) + _ABOVE_PAPER)
    clipped = np.where(darkest >= level, np.float32(1.0), np.float32(0.0))
    grid = _grid(card.shape)
    cells = np.asarray(cv2.resize(clipped, grid, interpolation=cv2.INTER_AREA), np.float32)
    highlight = (cells >= 0.5) & ~_panels(cells >= 0.5)
    return float(np.count_nonzero(highlight)) / highlight.size


def paper_level(luma: npt.NDArray[np.uint8]) -> float:
    """The 90th percentile of luminance: how bright the card's paper appears (0-255)."""
    histogram = cv2.calcHist([luma], [0], None, [256], [0, 256]).ravel()
    return float(np.searchsorted(np.cumsum(histogram), 0.9 * histogram.sum()))


def _moments(channel: npt.NDArray[np.int16]) -> tuple[float, float]:
    """The mean and standard deviation of an integer image, from its exact sums.

    OpenCV sums integers exactly (in integer or double accumulators, far below 2**53 here), and the
    variance is then taken in Python's integers: no cancellation, so a flat channel has a spread of
    exactly 0, which a float32 pass or a difference of double-precision moments does not give.
    """
    count = channel.size
    total = int(cv2.sumElems(channel)[0])
    squares = int(cv2.sumElems(cv2.multiply(channel, channel, dtype=cv2.CV_32S))[0])
    return total / count, math.sqrt(count * squares - total * total) / count


def colourfulness(card: npt.NDArray[np.uint8], paper: float) -> float:
    """Hasler and Suesstrunk's colourfulness of an 8-bit RGB card, rescaled as if the paper were exposed at 255.

    Dimming a picture scales its colour differences with it; dividing by the paper level keeps a
    dark but coloured card from passing for a black-and-white copy.
    """
    # The opponent channels R - G and 2 (0.5 (R + G) - B) are whole numbers, kept in 16 bits: their
    # moments come from exact sums, at a tenth of the cost of NumPy's float copies.
    red, green, blue = cv2.split(card)
    red_green = cv2.subtract(red, green, dtype=cv2.CV_16S)
    twice_yellow_blue = cv2.subtract(cv2.add(red, green, dtype=cv2.CV_16S), cv2.add(blue, blue, dtype=cv2.CV_16S))
    rg_mean, rg_spread = _moments(np.asarray(red_green, np.int16))
    yb_mean, yb_spread = _moments(np.asarray(twice_yellow_blue, np.int16))
    spread = math.hypot(rg_spread, 0.5 * yb_spread)
    mean = math.hypot(rg_mean, 0.5 * yb_mean)
    return (spread + 0.3 * mean) * 255.0 / max(paper, 8.0)


def _lab(rgb: npt.NDArray[np.uint8], grid: tuple[int, int]) -> npt.NDArray[np.float32]:
    small = cv2.resize(rgb, grid, interpolation=cv2.INTER_AREA).astype(np.float32) / np.float32(255.0)
    return np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2Lab), np.float32)


def _spread(values: npt.NDArray[np.float32]) -> float:
    """The distance between the 10th and 90th percentiles of ``values``."""
    high, low = np.percentile(values, [90, 10])
    return float(high - low)


def _paper_reference(seen: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The card's own paper, as a reference layout: the median colour of its lightest cells.

    Paper is the lightest large surface of almost every card: bands, portraits, print and a thumb
    over the face are darker.  Clipped highlights (glare) are left out of the estimate.
    """
    lightness = seen[:, :, 0]
    unclipped = seen[lightness < _CLIPPED_L]
    if len(unclipped) == 0:
        unclipped = seen.reshape(-1, 3)
    lightest = unclipped[unclipped[:, 0] >= np.percentile(unclipped[:, 0], PAPER_PERCENTILE)]
    paper = np.median(lightest, axis=0)
    return np.asarray(np.broadcast_to(paper.astype(np.float32), seen.shape).copy(), np.float32)


def blocked_share(
    card: npt.NDArray[np.uint8],
    template_card: npt.NDArray[np.uint8],
    inside: npt.NDArray[np.uint8],
    *,
    known_layout: bool = True,
    expected_lab: npt.NDArray[np.float32] | None = None,
) -> float:
    """Share of the card covered by the largest smooth foreign blob: an object lying over its face.

    The card is read on a coarse grid (80 cells across) in CIELAB.  A cell is foreign when the card
    is smooth around it (an occluder has no print) and it departs from what the card should show
    there: the template's print when the type is told (``known_layout``), else the card's own paper.
    Against a template, the card's lightness is matched with a robust gain and offset first, so
    darkness, blur and a copy's lost colour barely count; clipped highlights are left to the glare
    alarm.  On an unknown card, only a blob that is not a panel along the card's sides (a band, a
    portrait's frame) counts: its own design never reads as an object over it.  ``expected_lab``
    is the template's layout on the grid when already read (:attr:`Reference.lab`).
    """
    grid = _grid(card.shape)
    seen = _lab(card, grid)
    seen_l = seen[:, :, 0]
    seen_spread = _spread(seen_l)
    if known_layout:
        expected = expected_lab if expected_lab is not None else _lab(template_card, grid)
        expected_spread = _spread(expected[:, :, 0])
    else:
        expected = _paper_reference(seen)
        # A plain paper has no spread of its own: the card's print sets the scale instead.
        expected_spread = seen_spread
    expected_l = expected[:, :, 0]
    if seen_spread < 1.0 or expected_spread < 1.0:
        return 0.0
    gain = expected_spread / seen_spread
    # A template is matched in lightness; an unknown card is compared with its own paper as it is.
    matched = (seen_l - float(np.median(seen_l))) * gain + float(np.median(expected_l)) if known_layout else seen_l
    chroma = np.hypot(seen[:, :, 1] * gain - expected[:, :, 1], seen[:, :, 2] * gain - expected[:, :, 2])
    mean = cv2.blur(matched, (3, 3))
    local_spread = np.sqrt(np.maximum(cv2.blur(matched * matched, (3, 3)) - mean * mean, 0.0))
    departs = (np.abs(matched - expected_l) > 0.25 * expected_spread) | (chroma > 18.0)
    foreign = departs & (local_spread < 0.06 * expected_spread)
    foreign &= seen_l < _CLIPPED_L  # clipped highlights are the glare alarm's business
    if int(inside.min()) < 250:  # a card wholly in the picture has every cell inside
        foreign &= cv2.resize(inside, grid, interpolation=cv2.INTER_AREA) >= 250
    if not known_layout:
        foreign &= ~_panels(departs, strokes_opened=True)
    mask = cv2.morphologyEx(foreign.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return 0.0
    return float(stats[1:, cv2.CC_STAT_AREA].max()) / mask.size


def _panels(departs: npt.NDArray[np.bool_], *, strokes_opened: bool = False) -> npt.NDArray[np.bool_]:
    """Cells of the regions unlike the paper that are panels along the card's sides.

    A card's own bands, portrait frames and panels are rectangles aligned with its sides, print
    and lettering included: their outlines fill their bounding box.  A thumb, a finger or a coin
    does not (an upright ellipse fills 79% of it), nor does a panel with an object across its edge.
    """
    # A band's light lettering leaves holes in it: the panel is its outline, filled.  No closing:
    # it would bridge the strip of paper between two panels and merge them into one odd shape.
    # With ``strokes_opened``, lines of print that run out of a band onto the paper (a cell thick)
    # are opened away first, or they would stick out of its bounding box and make the band look
    # like no rectangle.  (Not for highlights: a thin white strip of a design is a panel itself.)
    unlike = departs.astype(np.uint8)
    if strokes_opened:
        unlike = np.asarray(cv2.morphologyEx(unlike, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)), np.uint8)
    outlines, _ = cv2.findContours(unlike, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    regions = np.zeros_like(unlike)
    cv2.drawContours(regions, outlines, -1, 1, -1)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(regions, connectivity=4)
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(1, stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT])
    rectangular = fill >= PANEL_FILL
    for index in np.flatnonzero(~rectangular[1:]) + 1:
        # Panels that overlap (a portrait across a band) make no rectangle, but their outline is
        # still all straight runs along the card's sides, which no thumb or coin has.
        rectangular[index] = _rectilinear(labels == index)
    # A region over most of the card is no panel of its design, whatever its shape.
    panel = rectangular & (stats[:, cv2.CC_STAT_AREA] <= MAX_PANEL_SHARE * departs.size)
    panel[0] = False  # the paper itself
    return np.asarray(panel[labels], np.bool_)


def _rectilinear(region: npt.NDArray[np.bool_]) -> bool:
    """Whether a region's outline is a few straight runs, each along a side of the card (within 10 degrees)."""
    outlines, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if len(outlines) != 1:
        return False
    corners = cv2.approxPolyDP(outlines[0], 1.0, True).reshape(-1, 2).astype(np.float64)
    if not 4 <= len(corners) <= MAX_PANEL_CORNERS:
        return False
    runs = np.roll(corners, -1, axis=0) - corners
    angles = np.degrees(np.arctan2(np.abs(runs[:, 1]), np.abs(runs[:, 0])))
    return bool(np.all((angles <= 10.0) | (angles >= 80.0)))


def frame_contact(visible: npt.NDArray[np.float64], frame: tuple[int, int], tolerance: float) -> float:
    """Share of the visible quadrilateral's outline that runs along the picture's frame."""
    width, height = frame
    steps = np.linspace(0.0, 1.0, 64, endpoint=False)[:, None]
    outline = np.concatenate([visible[i] + (visible[(i + 1) % 4] - visible[i]) * steps for i in range(4)])
    xs, ys = outline[:, 0], outline[:, 1]
    near = (xs <= tolerance) | (ys <= tolerance) | (xs >= width - 1 - tolerance) | (ys >= height - 1 - tolerance)
    lengths = np.repeat(side_lengths(visible), len(steps))
    total = float(lengths.sum())
    return float(lengths[near].sum()) / total if total > 0 else 0.0


def outside_share(visible: npt.NDArray[np.float64], cut_sides: list[int], aspect: float, *, contact: float) -> float:
    """Estimate the share of the card that lies outside the picture, from its visible quadrilateral.

    A card whose outline does not touch the frame (``contact`` 0) is whole.  Otherwise the card is
    rebuilt from its visible sides and the document's ``aspect`` (from the intact side opposite a
    single cut side, and from its longest visible dimensions in any case) and the missing area
    counted.  A cut across a corner hides both dimensions, so the estimate is never less than the
    share of the outline that runs along the frame.
    """
    if contact <= 0:
        return 0.0
    seen = float(cv2.contourArea(visible.astype(np.float32)))
    sides = side_lengths(visible)
    across, down = max(sides[0], sides[2]), max(sides[1], sides[3])
    long_side, short_side = max(across, down), min(across, down)
    full = max(long_side * long_side / aspect, short_side * short_side * aspect)
    if len(cut_sides) == 1:
        full = max(full, float(cv2.contourArea(extend_cut(visible, cut_sides[0], aspect).astype(np.float32))))
    missing = max(0.0, 1.0 - seen / full) if full > 0 else 0.0
    return max(missing, contact)


def _window(side: int) -> npt.NDArray[np.float32]:
    return np.outer(np.hanning(side), np.hanning(side)).astype(np.float32)


_SIDE = 128
_HANN = _window(_SIDE)
_HANN_SUM = float(_HANN.sum())
_RADIUS = np.hypot(*(np.mgrid[0:_SIDE, 0:_SIDE] - _SIDE / 2))
_RING = (_RADIUS >= _SIDE * 0.15) & (_RADIUS <= _SIDE * 0.48)
_PEAK_BINS = 4  # a peak between bins spreads over two of them, and a real signal's spectrum mirrors it
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def screen_patch(rgb: npt.NDArray[np.uint8], quad: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8] | None:
    """Cut the square of :data:`_SIDE` pixels at the card's centre, at the picture's own resolution.

    A screen's sub-pixel grid is a few of the picture's pixels across whatever the picture's size:
    any resampling would average it away, so this measure reads the picture as it came, over a
    fixed number of its pixels.  None when the card is too small to hold the square.
    """
    height, width = rgb.shape[:2]
    cx, cy = quad.mean(axis=0)
    x0, y0 = round(cx - _SIDE / 2), round(cy - _SIDE / 2)
    if x0 < 0 or y0 < 0 or x0 + _SIDE > width or y0 + _SIDE > height:
        return None
    corners = np.array([[x0, y0], [x0 + _SIDE, y0], [x0 + _SIDE, y0 + _SIDE], [x0, y0 + _SIDE]], np.float32)
    outline = quad.astype(np.float32).reshape(-1, 1, 2)
    if any(cv2.pointPolygonTest(outline, (float(x), float(y)), False) < 0 for x, y in corners):
        return None
    return rgb[y0 : y0 + _SIDE, x0 : x0 + _SIDE]


def _fine_power(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Power spectrum of the windowed fine structure of ``values`` (OpenCV's DFT: a fraction of NumPy's cost)."""
    fine = values - cv2.GaussianBlur(values, (0, 0), 4.0)  # keep the fine structure only
    spectrum = cv2.dft(np.ascontiguousarray(fine * _HANN, np.float32), flags=cv2.DFT_COMPLEX_OUTPUT)
    return np.asarray(spectrum[:, :, 0] ** 2 + spectrum[:, :, 1] ** 2, np.float32)


def screen_contrast(patch: npt.NDArray[np.uint8] | None) -> float:
    """Return the contrast, in percent of the patch's mean luminance, of its strongest fine colour-stripe pattern.

    A screen photographed again lays its red, green and blue sub-pixel stripes, a third of a period
    apart, over the whole card: red-minus-green and blue-minus-green then carry one sharp peak at
    the grid's frequency (2 to 7 pixels per period), whose height is the stripes' contrast.  Print,
    even fine security print, spreads its colour differences over a broad, low spectrum instead.

    The peak's height is divided by the mean luminance, never by the rest of the spectrum: a
    stronger screen also misregisters the channels more, which raises the colour spectrum
    everywhere, and a ratio to that background would fall as the screen grows.  So the measure
    grows with the stripes' contrast and nothing else, darkness does not dilute it, and since the
    patch has a fixed number of pixels it reads the same at any picture size.  JPEG's
    subsampled colour keeps enough of it: the measure is calibrated on JPEG-encoded specimens.
    """
    if patch is None:
        return 0.0
    values = patch.astype(np.float32)
    chroma = np.sqrt(_fine_power(values[:, :, 0] - values[:, :, 1]) + _fine_power(values[:, :, 2] - values[:, :, 1]))
    band = np.fft.fftshift(chroma)[_RING]
    peak = float(np.partition(band, band.size - _PEAK_BINS)[-_PEAK_BINS:].mean())
    mean_luma = max(float((values @ _LUMA).mean()), 8.0)  # a black patch shows no screen at all
    # A sinusoid of amplitude a under the window peaks at a / 2 times the window's sum.
    return 100.0 * 2.0 * peak / (_HANN_SUM * mean_luma)


def measure(
    card: npt.NDArray[np.uint8],
    template_card: npt.NDArray[np.uint8],
    *,
    inside: npt.NDArray[np.uint8],
    outside: float,
    patch: npt.NDArray[np.uint8] | None,
    known_layout: bool = True,
    overhang: float = 0.0,
    template: Reference | None = None,
) -> Measures:
    """Take the seven measures of an upright, rectified ``card`` matched to ``template_card``.

    ``inside`` (0/255, same size as ``card``) marks what was in the picture, ``outside`` is the
    :func:`outside_share` of the card and ``patch`` the :func:`screen_patch` of the picture.
    ``known_layout`` says whether the type was told with confidence, so that the template's print
    is what the card should show; otherwise the card is judged on its own.  ``overhang`` is the
    share of the card's area that an object lying across its border takes outside it: the blocking
    measure adds it to the largest blob over the card's face.  ``template`` is ``template_card``'s
    :func:`reference`, when kept.
    """
    if card.shape != template_card.shape:
        size = (template_card.shape[1], template_card.shape[0])
        card = np.asarray(cv2.resize(card, size, interpolation=cv2.INTER_AREA), np.uint8)
    known = template if template is not None else reference(template_card)
    inner_card = np.ascontiguousarray(_inner(card))
    inner_inside = np.ascontiguousarray(_inner(inside))
    luma = grey(inner_card)
    paper = paper_level(luma)
    return Measures(
        blur=sharpness(luma),
        glare=clipped_share(inner_card, known.luma) if known_layout else highlight_share(inner_card),
        blocking_within_border=blocked_share(
            inner_card, known.card, inner_inside, known_layout=known_layout, expected_lab=known.lab
        )
        + overhang,
        insufficient_lighting=paper,
        copy=colourfulness(inner_card, paper),
        border_integrity=outside,
        reproduce=screen_contrast(patch),
    )
