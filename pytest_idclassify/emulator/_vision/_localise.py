"""Find the document: the card set off from its desk, whatever bands it has inside.

The largest bright region of the picture is the card's paper; a colour model of the desk (sampled
along the picture's frame) grows it by everything that touches it and is unlike the desk, such as
a dark band a brightness threshold would leave with the desk.  Works on a downscaled copy (longest
side :data:`WORK_SIDE`) for speed, then fits a straight line to each side of the region's outline,
which puts the corners back within a pixel or two of the original image even after the downscale.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.emulator._vision._rectify import turned

Quad = npt.NDArray[np.float64]  # shape (4, 2): TL, TR, BR, BL clockwise in image (x, y) coordinates

#: longest side, in pixels, of the grey copy the outline is searched in.
WORK_SIDE = 480
#: smallest share of the picture a document must cover to count as found.
MIN_AREA_FRACTION = 0.03
#: smallest share of its own convex hull a region must fill: a document is convex, clutter is not.
MIN_SOLIDITY = 0.8
#: the same for a region cut by the frame, where dark print reaching the edge opens notches in it.
MIN_SOLIDITY_AT_FRAME = 0.55
#: how far from a first guess of a side its outline points are looked for, as a share of its length.
WIDE_SIDE_TOLERANCE = 0.05
#: distance (pixels of the working copy) from a first fitted side beyond which an outline point is left out.
OUTLINE_OUTLIER = 2.0
#: below this many outline points a side is fitted by Huber's estimator alone (see _fit_line).
FEW_OUTLINE_POINTS = 100
#: the share of a side's outline points that must lie that close for the side to count as one clean edge.
CLEAN_EDGE_SHARE = 0.9
#: width of the frame's ring the desk is sampled in, as a share of the picture's shorter side.
RING_SHARE = 0.04
#: a pixel stands out from the desk beyond this many times the desk's own colour spread.
DESK_DISTANCE = 2.0
#: floor of the desk's colour spread (CIELAB units): a flat desk's sensor noise is no contrast.
MIN_DESK_SPREAD = 3.0
#: thickness, as a share of the card's shorter side, below which what lies along its edge is a halo.
OVERHANG_THICKNESS = 0.025
#: the grown outline replaces the bright one only when it adds this much area (a band, not a rim).
MIN_GROWTH = 1.04
#: smallest share of its fitted quadrilateral the grown region must fill (and largest excess).
MIN_QUAD_FILL = 0.93


def shrink_to(
    image: npt.NDArray[np.uint8], size: tuple[int, int]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]]:
    """Shrink ``image`` to ``size`` (width, height); return it and the (x, y) source pixels per pixel.

    Exact halvings first, while the image stays at least twice the size (area averages, OpenCV's
    quickest: each pixel one 2x2 block, an odd last row or column left out), then one bilinear step
    of less than a halving, which reads every source pixel anyway, at a fraction of the cost of an
    area average by an odd ratio.
    """
    current, halvings = image, 1
    while current.shape[1] >= 2 * size[0] and current.shape[0] >= 2 * size[1]:
        half = (current.shape[1] // 2, current.shape[0] // 2)
        current = np.asarray(
            cv2.resize(current[: half[1] * 2, : half[0] * 2], half, interpolation=cv2.INTER_AREA), np.uint8
        )
        halvings *= 2
    halved_height, halved_width = current.shape[:2]
    if (halved_width, halved_height) != size:
        current = np.asarray(cv2.resize(current, size, interpolation=cv2.INTER_LINEAR), np.uint8)
    return current, halvings * np.array([halved_width / size[0], halved_height / size[1]], np.float64)


def downscale(
    image: npt.NDArray[np.uint8], side: int = WORK_SIDE
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]]:
    """Shrink ``image`` (grey or colour) so its longest side is at most ``side``; return it and its (x, y) scale."""
    height, width = image.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale >= 1.0:
        return image, np.ones(2, np.float64)
    return shrink_to(image, (max(1, round(width * scale)), max(1, round(height * scale))))


def order_clockwise(points: npt.NDArray[np.float64]) -> Quad:
    """Order four points clockwise (in image coordinates, y down) starting from the top-left one."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # increasing angle is clockwise on screen, since y points down
    start = int(np.argmin(ordered[:, 0] + ordered[:, 1]))
    return turned(ordered, start).astype(np.float64)


def _foreground(small: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    side = max(3, (min(small.shape[:2]) // 60) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    # Opening first removes bright speckles of a textured background; closing then fills the dark
    # print inside the card so that its outline is the card's edge, not the edge of its text.
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    return np.asarray(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2), np.uint8)


def _initial_quad(contour: npt.NDArray[np.int32]) -> Quad:
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for fraction in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, fraction * perimeter, True)
        if len(approx) == 4:
            return order_clockwise(approx.reshape(4, 2).astype(np.float64))
        if len(approx) < 4:
            break
    box = cv2.boxPoints(cv2.minAreaRect(hull))
    return order_clockwise(np.asarray(box, dtype=np.float64))


def _intersect(line_a: npt.NDArray[np.float64], line_b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    # Lines as (vx, vy, x0, y0); solve x0a + t*va = x0b + s*vb by Cramer's rule (a 2x2 system: no
    # need for LAPACK's call overhead).
    ax, ay, ox, oy = (float(value) for value in line_a)
    bx, by, px, py = (float(value) for value in line_b)
    det = by * ax - bx * ay
    if abs(det) < 1e-6:
        return None
    t = (by * (px - ox) - bx * (py - oy)) / det
    return np.array([ox + t * ax, oy + t * ay], np.float64)


def _fit_line(points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """A line (vx, vy, x0, y0) through ``points``, robust to the few of them that are not on the edge.

    The points come from a band along one side.  A short side (under :data:`FEW_OUTLINE_POINTS`,
    a small card) gets OpenCV's Huber fit at once: its stair-stepped outline lies within a pixel or
    two of lines a few degrees apart, and that fit costs little on so few points.  On a longer
    side, when nearly all the points lie within :data:`OUTLINE_OUTLIER` (pixels of the working
    copy) of their least-squares line, the rest (a notch of print, a corner's rounding) are dropped
    and the line fitted again: two closed-form fits.  Otherwise the band holds more than one edge
    (a card cut by the frame, a thumb over it), and the Huber fit, whose restarts find the dominant
    line at a hundred times the cost, decides.
    """
    as_float = points.astype(np.float32)
    if len(points) < FEW_OUTLINE_POINTS:
        return _fitted(as_float, cv2.DIST_HUBER)
    line = _fitted(as_float, cv2.DIST_L2)
    off = np.abs((points[:, 0] - line[2]) * line[1] - (points[:, 1] - line[3]) * line[0])
    close = off <= OUTLINE_OUTLIER
    kept = int(np.count_nonzero(close))
    if kept == len(points):
        return line
    if kept >= CLEAN_EDGE_SHARE * len(points):
        return _fitted(as_float[close], cv2.DIST_L2)
    return _fitted(as_float, cv2.DIST_HUBER)


def _fitted(points: npt.NDArray[np.float32], distance: int) -> npt.NDArray[np.float64]:
    return np.asarray(cv2.fitLine(points, distance, 0, 0.01, 0.01), np.float64).reshape(4)


def _refine(quad: Quad, points: npt.NDArray[np.float64], tolerance: float = 0.02) -> Quad:
    """Fit a straight line to the outline ``points`` (N x 2) along each side of ``quad``; corners where they meet."""
    lines: list[npt.NDArray[np.float64]] = []
    for index in range(4):
        start, end = quad[index], quad[(index + 1) % 4]
        direction = end - start
        length = float(np.hypot(*direction))
        if length < 4:
            return quad
        unit = direction / length
        relative = points - start
        along = relative @ unit
        across = np.abs(relative @ np.array([-unit[1], unit[0]]))
        # The middle of each side only: rounded or clipped corners would bend the fitted line.
        near = (across <= max(2.0, tolerance * length)) & (along > 0.1 * length) & (along < 0.9 * length)
        if np.count_nonzero(near) < 5:
            lines.append(np.array([unit[0], unit[1], start[0], start[1]]))
            continue
        lines.append(_fit_line(points[near]))
    refined: Quad = quad.copy()
    limit = 0.05 * float(np.hypot(*(quad[2] - quad[0])))
    for index in range(4):
        corner = _intersect(lines[(index - 1) % 4], lines[index])
        if corner is not None and float(np.hypot(*(corner - quad[index]))) <= limit:
            refined[index] = corner
    return refined


#: 8-bit CIELAB stores L in 0-255: squared distances weigh it back to CIELAB units.
_LAB_WEIGHTS = np.array([(100.0 / 255.0) ** 2, 1.0, 1.0], np.float32)


def squared_distances(lab: npt.NDArray[np.uint8], centre: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each pixel's squared CIELAB distance (in CIELAB units) from ``centre``, for an 8-bit CIELAB image.

    A channel's squared offset from the centre is computed once for each of its 256 levels (the
    same float32 subtraction and square as per pixel) and looked up: one pass over the picture
    instead of a float copy, a subtraction and a product.
    """
    squares = np.square(np.arange(256, dtype=np.float32)[:, None] - centre[None, :]).reshape(1, 256, 3)
    return np.asarray(cv2.transform(cv2.LUT(lab, squares), _LAB_WEIGHTS.reshape(1, 3)), np.float32)


def _unlike_desk(colour: npt.NDArray[np.uint8], bright: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
    """Mark (255) the pixels whose colour lies far from the desk's, in units of the desk's own spread.

    The desk is what the picture's frame shows outside the bright region: its median colour
    (CIELAB, after a blur that evens out grain and wood texture) and the spread of its distances
    to that median.  The colour is read at half the working size (the blur smooths finer detail
    away anyway) and the mask enlarged back.  None when the frame shows too little desk to tell.
    """
    height, width = colour.shape[:2]
    half_size = (max(4, width // 2), max(4, height // 2))
    half = cv2.resize(colour, half_size, interpolation=cv2.INTER_AREA)
    sigma = max(0.5, min(half_size) / 200)
    lab = np.asarray(cv2.cvtColor(cv2.GaussianBlur(half, (0, 0), sigma), cv2.COLOR_RGB2Lab), np.uint8)
    ring = max(2, round(RING_SHARE * min(half_size)))
    near_card = cv2.resize(bright, half_size, interpolation=cv2.INTER_NEAREST)
    # A square neighbourhood: OpenCV dilates by a rectangle in two cheap one-dimensional passes.
    away = cv2.dilate(near_card, np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)) == 0
    rows, columns = lab.shape[:2]
    inner = slice(ring, rows - ring)
    strips = [(slice(0, ring), slice(None)), (slice(rows - ring, rows), slice(None)),
              (inner, slice(0, ring)), (inner, slice(columns - ring, columns))]  # fmt: skip
    samples = np.concatenate([lab[down, across][away[down, across]] for down, across in strips]).astype(np.float32)
    if len(samples) < 0.25 * sum(away[down, across].size for down, across in strips):
        return None
    centre = np.median(samples, axis=0).astype(np.float32)
    spread = max(MIN_DESK_SPREAD, float(np.sqrt(np.percentile(((samples - centre) ** 2) @ _LAB_WEIGHTS, 95))))
    _, unlike = cv2.threshold(squared_distances(lab, centre), (DESK_DISTANCE * spread) ** 2, 255, cv2.THRESH_BINARY)
    # Opening drops thin clutter on the desk (a cable, a pen stroke) before it can join the card.
    side = max(3, (min(half_size) // 60) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    unlike = cv2.morphologyEx(unlike.astype(np.uint8), cv2.MORPH_OPEN, kernel, iterations=2)
    # Enlarged back with interpolation and cut at the middle, the mask's edge stays where it was.
    enlarged = cv2.resize(unlike, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.threshold(enlarged, 127, 255, cv2.THRESH_BINARY)[1], np.uint8)


def _card_region(
    small: npt.NDArray[np.uint8], colour: npt.NDArray[np.uint8] | None
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32] | None, npt.NDArray[np.uint8] | None] | None:
    """Outline of the largest bright region, and of the card around it when its colour sets it off the desk.

    The third item is the mask of everything unlike the desk (None without colour or desk to tell).
    A light card with a dark band is bright only where its paper is: the band falls with the desk
    under a brightness threshold.  What sets the whole card off is its contrast against the desk,
    so the bright region is grown by every pixel unlike the desk that touches it.
    """
    bright = _foreground(small)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    core = np.asarray(max(contours, key=cv2.contourArea), np.int32)
    if colour is None:
        return core, None, None
    unlike = _unlike_desk(colour, bright)
    if unlike is None:
        return core, None, None
    side = max(3, (min(small.shape[:2]) // 60) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    seed = np.zeros_like(bright)
    cv2.drawContours(seed, [core], -1, 255, -1)
    if cv2.countNonZero(unlike & ~seed) < (MIN_GROWTH - 1.0) * cv2.countNonZero(seed):
        return core, None, unlike  # too little unlike the desk beyond the bright region to grow it by a band
    union = np.asarray(cv2.morphologyEx(unlike | seed, cv2.MORPH_CLOSE, kernel, iterations=2), np.uint8)
    grown, _ = cv2.findContours(union, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    inside = [c for c in grown if cv2.pointPolygonTest(c, _interior_point(core), False) >= 0]
    if not inside:
        return core, None, unlike
    return core, np.asarray(max(inside, key=cv2.contourArea), np.int32), unlike


def _unlike_desk_region(
    colour: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.int32], None, npt.NDArray[np.uint8]] | None:
    """The largest region unlike the desk (sampled along the whole frame), its print holes filled.

    The fallback of :func:`_card_region` for a light desk, where a brightness threshold takes the
    desk for the card: the desk is then all of the frame, and the card the colour that departs from it.
    """
    unlike = _unlike_desk(colour, np.zeros(colour.shape[:2], np.uint8))
    if unlike is None:
        return None
    side = max(3, (min(colour.shape[:2]) // 60) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    closed = np.asarray(cv2.morphologyEx(unlike, cv2.MORPH_CLOSE, kernel, iterations=2), np.uint8)
    outlines, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not outlines:
        return None
    return np.asarray(max(outlines, key=cv2.contourArea), np.int32), None, unlike


def _interior_point(contour: npt.NDArray[np.int32]) -> tuple[float, float]:
    moments = cv2.moments(contour)
    if moments["m00"] > 0:
        return moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]
    x, y = contour.reshape(-1, 2)[0]
    return float(x), float(y)


def _acceptable(contour: npt.NDArray[np.int32], shape: tuple[int, int]) -> bool:
    area = cv2.contourArea(contour)
    image_area = shape[0] * shape[1]
    hull_area = cv2.contourArea(cv2.convexHull(contour))
    x, y, w, h = cv2.boundingRect(contour)
    at_frame = x <= 1 or y <= 1 or x + w >= shape[1] - 1 or y + h >= shape[0] - 1
    solidity = area / hull_area if hull_area > 0 else 0.0
    if area < MIN_AREA_FRACTION * image_area or solidity < (MIN_SOLIDITY_AT_FRAME if at_frame else MIN_SOLIDITY):
        return False
    # A region covering the whole frame has no edge to tell a document from its background.
    return bool(area <= 0.985 * image_area)


def _quad_of(contour: npt.NDArray[np.int32]) -> Quad:
    # The hull's corners can sit a few pixels inside a rounded card corner: a first, wider pass
    # catches each side's points from there, and a narrow second pass fits them alone.
    points = contour.reshape(-1, 2).astype(np.float64)
    return _refine(_refine(_initial_quad(contour), points, WIDE_SIDE_TOLERANCE), points)


def _fills_quad(contour: npt.NDArray[np.int32], quad: Quad) -> bool:
    # The grown region must be the four-sided card, not the card with a patch of desk stuck to it.
    area = cv2.contourArea(contour)
    quad_area = cv2.contourArea(quad.astype(np.float32))
    return bool(quad_area > 0 and MIN_QUAD_FILL <= area / quad_area <= 2 - MIN_QUAD_FILL)


@dataclass(frozen=True)
class Location:
    """Where the document is, and what lies over its edge.

    ``overhang`` is the area, as a share of the card's, of whatever stands out from the desk just
    outside the card's outline and touches it: a thumb or an object lying across the card's border
    (0 for a card alone on its desk, or when the desk cannot be told from the frame).
    """

    quad: Quad
    overhang: float


def locate(gray: npt.NDArray[np.uint8], colour: npt.NDArray[np.uint8] | None = None) -> Quad | None:
    """Return the document's four corners in ``gray``'s pixel coordinates, or None if none is found.

    The quadrilateral is the outline of the largest bright, convex region, grown by whatever touches
    it and stands out from the desk in ``colour`` (the RGB picture, when given): a card's dark band
    is part of the card.  Corners may lie up to the image's edge (a card cut by the frame gives its
    visible part).
    """
    found = find(gray, colour)
    return None if found is None else found.quad


def find(gray: npt.NDArray[np.uint8], colour: npt.NDArray[np.uint8] | None = None) -> Location | None:
    """Like :func:`locate`, with the card's :attr:`Location.overhang` measured as well."""
    small, scale = downscale(gray)
    if small.shape[0] < 8 or small.shape[1] < 8 or int(small.max()) - int(small.min()) < 16:
        return None
    small_colour = None
    if colour is not None:
        same = colour.shape[:2] == small.shape[:2]
        small_colour = colour if same else shrink_to(colour, (small.shape[1], small.shape[0]))[0]
    regions = _card_region(small, small_colour)
    found = regions is not None and _acceptable(regions[0], small.shape[:2])
    if not found and small_colour is not None:
        # On a desk as light as the card, the bright region is the desk: the card is what is unlike it.
        regions = _unlike_desk_region(small_colour)
        found = regions is not None and _acceptable(regions[0], small.shape[:2])
    if not found or regions is None:
        return None
    core, grown, unlike = regions
    quad = _quad_of(core)
    grows = grown is not None and cv2.contourArea(grown) >= MIN_GROWTH * cv2.contourArea(core)
    if grown is not None and grows and _acceptable(grown, small.shape[:2]):
        wider = _quad_of(grown)
        gain = cv2.contourArea(wider.astype(np.float32)) / max(cv2.contourArea(quad.astype(np.float32)), 1.0)
        if gain >= MIN_GROWTH and _fills_quad(grown, wider):
            quad = wider
    overhang = _overhang(unlike, quad) if unlike is not None else 0.0
    # Contour points are pixel centres of the mask; a half-pixel shift puts them on the region's edge
    # before scaling back to the original grid.
    full = (quad + 0.5) * scale - 0.5
    height, width = gray.shape[:2]
    full[:, 0] = np.clip(full[:, 0], 0, width - 1)
    full[:, 1] = np.clip(full[:, 1], 0, height - 1)
    return Location(order_clockwise(full), overhang)


def _overhang(unlike: npt.NDArray[np.uint8], quad: Quad) -> float:
    """Share of the card's area taken by what is unlike the desk outside the card and touches its edge."""
    card = np.zeros_like(unlike)
    cv2.fillConvexPoly(card, np.rint(quad).astype(np.int32), 255)
    short = float(min(np.hypot(*(quad[1] - quad[0])), np.hypot(*(quad[2] - quad[1]))))
    # A blurred edge leaves a thin halo unlike the desk around the card: a ring of a few pixels,
    # removed by the opening; an object over the edge is far thicker.
    side = max(3, round(OVERHANG_THICKNESS * short) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    beyond = np.asarray(cv2.morphologyEx(unlike & ~card, cv2.MORPH_OPEN, kernel), np.uint8)
    if cv2.countNonZero(beyond) == 0:
        return 0.0  # the usual case, a card alone on its desk: no need to label anything
    count, labels, stats, _ = cv2.connectedComponentsWithStats(beyond, connectivity=8)
    if count <= 1:
        return 0.0
    rim = np.asarray(cv2.dilate(card, kernel), np.uint8) & ~card
    touching = np.unique(labels[(rim > 0) & (beyond > 0)])
    area = sum(int(stats[label, cv2.CC_STAT_AREA]) for label in touching if label > 0)
    card_area = float(np.count_nonzero(card))
    return area / card_area if card_area > 0 else 0.0
