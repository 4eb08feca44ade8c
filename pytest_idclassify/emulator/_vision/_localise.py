"""Find the document: the largest bright, roughly quadrilateral region of the picture.

Works on a downscaled grey copy (longest side :data:`WORK_SIDE`) for speed, then fits a straight line
to each side of the region's outline, which puts the corners back within a pixel or two of the
original image even after the downscale.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Quad = npt.NDArray[np.float64]  # shape (4, 2): TL, TR, BR, BL clockwise in image (x, y) coordinates

#: longest side, in pixels, of the grey copy the outline is searched in.
WORK_SIDE = 640
#: smallest share of the picture a document must cover to count as found.
MIN_AREA_FRACTION = 0.03
#: smallest share of its own convex hull a region must fill: a document is convex, clutter is not.
MIN_SOLIDITY = 0.8
#: the same for a region cut by the frame, where dark print reaching the edge opens notches in it.
MIN_SOLIDITY_AT_FRAME = 0.55


def downscale(gray: npt.NDArray[np.uint8], side: int = WORK_SIDE) -> tuple[npt.NDArray[np.uint8], float]:
    """Shrink ``gray`` so its longest side is at most ``side``; return it and the scale applied."""
    height, width = gray.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale >= 1.0:
        return gray, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.uint8)
    return small, size[0] / width


def order_clockwise(points: npt.NDArray[np.float64]) -> Quad:
    """Order four points clockwise (in image coordinates, y down) starting from the top-left one."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # increasing angle is clockwise on screen, since y points down
    start = int(np.argmin(ordered[:, 0] + ordered[:, 1]))
    return np.roll(ordered, -start, axis=0).astype(np.float64)


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
    # Lines as (vx, vy, x0, y0); solve x0a + t*va = x0b + s*vb.
    matrix = np.array([[line_a[0], -line_b[0]], [line_a[1], -line_b[1]]])
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    t, _ = np.linalg.solve(matrix, line_b[2:] - line_a[2:])
    return np.asarray(line_a[2:] + t * line_a[:2], np.float64)


def _refine(quad: Quad, contour: npt.NDArray[np.int32]) -> Quad:
    points = contour.reshape(-1, 2).astype(np.float64)
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
        near = (across <= max(2.0, 0.02 * length)) & (along > 0.1 * length) & (along < 0.9 * length)
        if np.count_nonzero(near) < 5:
            lines.append(np.array([unit[0], unit[1], start[0], start[1]]))
            continue
        fitted = cv2.fitLine(points[near].astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(4)
        lines.append(fitted.astype(np.float64))
    refined: Quad = quad.copy()
    limit = 0.05 * float(np.hypot(*(quad[2] - quad[0])))
    for index in range(4):
        corner = _intersect(lines[(index - 1) % 4], lines[index])
        if corner is not None and float(np.hypot(*(corner - quad[index]))) <= limit:
            refined[index] = corner
    return refined


def locate(gray: npt.NDArray[np.uint8]) -> Quad | None:
    """Return the document's four corners in ``gray``'s pixel coordinates, or None if none is found.

    The quadrilateral is the outline of the largest bright, convex region; corners may lie up to
    the image's edge (a card cut by the frame gives its visible part).
    """
    small, scale = downscale(gray)
    if small.shape[0] < 8 or small.shape[1] < 8 or int(small.max()) - int(small.min()) < 16:
        return None
    mask = _foreground(small)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    contour = np.asarray(max(contours, key=cv2.contourArea), np.int32)
    area = cv2.contourArea(contour)
    image_area = small.shape[0] * small.shape[1]
    hull_area = cv2.contourArea(cv2.convexHull(contour))
    x, y, w, h = cv2.boundingRect(contour)
    at_frame = x <= 1 or y <= 1 or x + w >= small.shape[1] - 1 or y + h >= small.shape[0] - 1
    solidity = area / hull_area if hull_area > 0 else 0.0
    if area < MIN_AREA_FRACTION * image_area or solidity < (MIN_SOLIDITY_AT_FRAME if at_frame else MIN_SOLIDITY):
        return None
    if area > 0.985 * image_area:
        return None  # the whole frame is bright: there is no edge to tell a document from its background
    quad = _refine(_initial_quad(contour), contour)
    # Contour points are pixel centres of the mask; a half-pixel shift puts them on the region's edge
    # before scaling back to the original grid.
    full = (quad + 0.5) / scale - 0.5
    height, width = gray.shape[:2]
    full[:, 0] = np.clip(full[:, 0], 0, width - 1)
    full[:, 1] = np.clip(full[:, 1], 0, height - 1)
    return order_clockwise(full)
