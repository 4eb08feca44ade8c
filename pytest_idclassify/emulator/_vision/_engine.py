"""Tie the steps together: locate, rectify, classify, measure."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.emulator._vision._alarms import (
    ALARM_NAMES,
    DEFAULT_ALARM_THRESHOLD,
    frame_contact,
    measure,
    outside_share,
    screen_patch,
)
from pytest_idclassify.emulator._vision._classify import classify
from pytest_idclassify.emulator._vision._decode import RGB, to_rgb8
from pytest_idclassify.emulator._vision._descriptor import CARD_LONG_SIDE, GRID, describe, grey
from pytest_idclassify.emulator._vision._localise import WORK_SIDE, downscale, find
from pytest_idclassify.emulator._vision._rectify import (
    aspect,
    extend_cut,
    landscape_turn,
    long_side_first,
    rectify,
    shrink_for,
    sides_on_frame,
    turned,
)
from pytest_idclassify.emulator._vision._templates import templates
from pytest_idclassify.errors import RecognitionError

Point = tuple[int, int]

#: the classification confidence from which the card is taken to be its template's type, so that the
#: template's print tells the card's own design from an object over it (clean specimens: 0.9-1.0).
KNOWN_LAYOUT_CONFIDENCE = 0.6

# The aspect a card cut by the frame is rebuilt with before its type, and so its own aspect, is known.
_MEAN_ASPECT = 1.5
# The card is rectified at a common ID-1-like shape first; the descriptor grid absorbs the small
# difference from a passport page, and the measured aspect tells the two families apart.  A whole
# number of pixels per descriptor cell (10 x 10, aspect 1.54) makes the descriptor's area averages
# OpenCV's block-average fast path.
_FIRST_LOOK = (GRID[0] * 10, GRID[1] * 10)

#: a picture at least twice this long (pixels) is analysed on a copy shrunk by a whole factor to no
#: less than this, all but the screen-reproduction patch (:func:`shrink_whole`).
ANALYSIS_SIDE = 1600


class NoDocumentFound(RecognitionError):
    """Nothing document-like (a bright, convex, four-sided region) was found in the picture."""


@dataclass(frozen=True)
class Analysis:
    """What the engine makes of one picture.

    ``quad`` lists the document's corners clockwise from the corner nearest the picture's top-left
    (the catalogue's ``cross.location.clockwise``), in the picture's own pixel coordinates, clipped
    inside it.  The alarm fields are None
    unless alarms were requested; otherwise they hold the seven ``detect_*_result`` flags and the
    seven ``*_score`` integers in [0, 99] of the API page's Tables 6 and 7.
    """

    doc_type: str
    quad: tuple[Point, Point, Point, Point]
    confidence: float
    alarm_result: dict[str, bool] | None
    alarm_confidence: dict[str, int] | None


def _frame_tolerance(width: int, height: int) -> float:
    # The outline is traced on a copy at most WORK_SIDE across: a side lying on the frame can end a
    # pixel or two of that copy short of it.
    return 2.5 + 2.0 * max(width, height) / WORK_SIDE


def shrink_whole(rgb: RGB) -> tuple[RGB, int]:
    """Shrink a picture much larger than needed by one integer factor; return the copy and the factor.

    Nothing but the screen-reproduction patch needs more than :data:`ANALYSIS_SIDE` pixels across:
    the outline is traced at :data:`WORK_SIDE` and the card rectified at about twice
    :data:`CARD_LONG_SIDE`.  A picture at least twice as long is area-averaged once, by the largest
    whole factor that keeps its long side at or above :data:`ANALYSIS_SIDE`, so that no later step
    (grey conversion, the outline's copies, the card's crop) passes over every pixel of it again.
    The last rows and columns that do not fill a whole block (fewer than the factor) are left out.
    """
    height, width = rgb.shape[:2]
    factor = max(height, width) // ANALYSIS_SIDE
    if factor < 2:
        return rgb, 1
    size = (width // factor, height // factor)
    # An exact whole factor is OpenCV's fast path for area averaging: each output pixel one block.
    block = rgb[: size[1] * factor, : size[0] * factor]
    return np.asarray(cv2.resize(block, size, interpolation=cv2.INTER_AREA), np.uint8), factor


def _rectify_inside(
    inside: npt.NDArray[np.uint8], local: npt.NDArray[np.float64], size: tuple[int, int]
) -> npt.NDArray[np.uint8]:
    """Warp the mask of what was in the picture to the card's ``size``, as :func:`rectify` would.

    A card whose four corners lie a pixel or more inside the crop samples the crop alone: the
    warped mask is then all 255, with no warp to pay for.  Only a card rebuilt beyond the frame
    (or touching it) needs the warp, whose constant border marks what the picture does not show.
    """
    height, width = inside.shape[:2]
    xs, ys = local[:, 0], local[:, 1]
    within = xs.min() >= 1 and ys.min() >= 1 and xs.max() <= width - 2 and ys.max() <= height - 2
    # Only a convex quadrilateral is the image of the whole card: a folded one maps part of the
    # card beyond its corners.
    edges = turned(local, 1) - local
    following = turned(edges, 1)
    turns = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    if within and (bool(np.all(turns > 0)) or bool(np.all(turns < 0))):
        return np.full((size[1], size[0]), 255, np.uint8)
    return rectify(inside, local, size, border=cv2.BORDER_CONSTANT)


def _from_top_left(points: tuple[Point, Point, Point, Point]) -> tuple[Point, Point, Point, Point]:
    """Start the clockwise list at the corner nearest the picture's top-left (smallest x + y, then y).

    The engine works in the order the document reads, which for a card upside down starts at the
    picture's bottom-right; the answer's order is the picture's, as in the API page's example.
    """
    first = min(range(4), key=lambda i: (points[i][0] + points[i][1], points[i][1]))
    return (points[first], points[(first + 1) % 4], points[(first + 2) % 4], points[(first + 3) % 4])


def _clockwise(points: tuple[Point, Point, Point, Point]) -> bool:
    # Shoelace sum: positive for clockwise order when y grows downwards, as in image coordinates.
    return sum(points[i][0] * points[(i + 1) % 4][1] - points[(i + 1) % 4][0] * points[i][1] for i in range(4)) > 0


def _as_points(quad: npt.NDArray[np.float64], width: int, height: int) -> tuple[Point, Point, Point, Point]:
    xs = np.clip(np.rint(quad[:, 0]), 0, width - 1).astype(int)
    ys = np.clip(np.rint(quad[:, 1]), 0, height - 1).astype(int)
    tl, tr, br, bl = ((int(x), int(y)) for x, y in zip(xs, ys, strict=True))
    return tl, tr, br, bl


def analyse(
    pixels: npt.NDArray[np.generic], *, with_alarms: bool, alarm_threshold: int = DEFAULT_ALARM_THRESHOLD
) -> Analysis:
    """Locate, classify and (when ``with_alarms``) score the document in ``pixels``.

    ``pixels`` is a decoded picture: HxW grey, HxWx3 RGB or HxWx4 RGBA, of any integer depth or
    floats in [0, 1].  Each alarm flag is its score compared with ``alarm_threshold``.

    Raises:
        NoDocumentFound: the picture holds no document-like quadrilateral (blank, flat, too small).

    """
    try:
        rgb = to_rgb8(pixels)
    except ValueError as exc:
        raise NoDocumentFound(f"cannot look for a document in this array: {exc}") from exc
    height, width = rgb.shape[:2]
    work, factor = shrink_whole(rgb)
    work_height, work_width = work.shape[:2]
    # Shrunk once in colour, so the grey copy is converted from it and find() has nothing left to shrink.
    look, look_scale = downscale(work)
    gray = np.asarray(cv2.cvtColor(look, cv2.COLOR_RGB2GRAY), np.uint8)
    location = find(gray, look)
    if location is None:
        raise NoDocumentFound(
            f"no bright four-sided region covering at least 3% of the {width}x{height} picture: "
            "photograph the whole document on a darker background"
        )
    found = (location.quad + 0.5) * look_scale - 0.5
    visible = long_side_first(found)
    frame = (work_width, work_height)
    tolerance = _frame_tolerance(work_width, work_height)
    cut = [index for index, on_frame in enumerate(sides_on_frame(visible, frame, tolerance)) if on_frame]
    # A card cut along one side is rebuilt whole, so that its print is compared at its true place;
    # what lies beyond the frame is masked out of every comparison.
    whole = extend_cut(visible, cut[0], _MEAN_ASPECT) if len(cut) == 1 else visible
    turn = landscape_turn(whole)
    quad, whole = turned(visible, turn), turned(whole, turn)
    detail, local = shrink_for(work, whole, CARD_LONG_SIDE)
    inside = np.full(detail.shape[:2], 255, np.uint8)
    # The descriptor reads luminance alone: a grey warp costs a third of a colour one.
    first_look = rectify(grey(detail), local, _FIRST_LOOK)
    first_inside = _rectify_inside(inside, local, _FIRST_LOOK)
    match = classify(describe(first_look, first_inside), aspect(whole))
    if match.rotated:
        quad, whole, local = (turned(corners, 2) for corners in (quad, whole, local))
    # Answers and the screen patch are in the picture's own pixels.
    quad_full = (quad + 0.5) * factor - 0.5 if factor > 1 else quad
    points = _from_top_left(_as_points(quad_full, width, height))
    if not _clockwise(points):
        # Clipping to the frame folded the outline: what was found is not a four-sided document.
        raise NoDocumentFound(f"the outline found, {points}, is not a quadrilateral once clipped to the picture")
    if not with_alarms:
        return Analysis(match.template.doc_type, points, match.confidence, None, None)
    template_card = match.template.card
    size = (template_card.shape[1], template_card.shape[0])
    card = rectify(detail, local, size)
    card_inside = _rectify_inside(inside, local, size)
    contact = frame_contact(visible, frame, tolerance)
    measures = measure(
        card,
        template_card,
        inside=card_inside,
        outside=outside_share(visible, cut, match.template.aspect, contact=contact),
        patch=screen_patch(rgb, quad_full),
        known_layout=match.confidence >= KNOWN_LAYOUT_CONFIDENCE,
        overhang=location.overhang,
        template=match.template.reference,
    )
    scores = measures.scores()
    threshold = int(alarm_threshold)
    return Analysis(
        match.template.doc_type,
        points,
        match.confidence,
        {f"detect_{name}_result": scores[name] >= threshold for name in ALARM_NAMES},
        {f"{name}_score": scores[name] for name in ALARM_NAMES},
    )


def set_threads(count: int) -> None:
    """Let OpenCV use at most ``count`` threads within one call, in the whole process.

    OpenCV splits a large resize or warp over a thread per CPU by default, which speeds one
    recognition up when it has the machine to itself.  Several worker processes already keep every
    CPU busy: there the extra threads only add hand-over costs, so each worker keeps its share.
    """
    cv2.setNumThreads(max(1, int(count)))


def warm_up() -> None:
    """Read the nine templates and run the whole pipeline once, so the first picture served pays for neither.

    The templates ship as data (a few milliseconds to read, on first use by any transport); the
    first analysis also pays for tables OpenCV and NumPy build on first use (colour conversion to
    CIELAB, the FFT).  A server calls this at start-up.
    """
    card = templates()[0].card
    pad = card.shape[0] // 2
    picture = cv2.copyMakeBorder(card, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(40, 44, 48))
    analyse(picture, with_alarms=True)
