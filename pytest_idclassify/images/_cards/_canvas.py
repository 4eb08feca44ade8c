"""A pixel canvas addressed in millimetres, with the few primitives a specimen card is made of.

Text uses OpenCV's built-in fonts, so the same arguments draw the same pixels on every machine with
the same OpenCV release: no system font, no font file.  Releases differ (5.1 sets text a few pixels
narrower than 5.0), which is why a cassette notes the release beside a specimen's digest.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np
import numpy.typing as npt

RGB = tuple[int, int, int]

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_FONT_BOLD = cv2.FONT_HERSHEY_DUPLEX
# Cap height of the Hershey fonts at fontScale 1, in pixels.
_CAP_HEIGHT = 21.0


class Canvas:
    """An RGB card image of ``width_mm`` x ``height_mm`` drawn at ``width_px`` pixels across."""

    def __init__(self, width_mm: float, height_mm: float, width_px: int, base: RGB) -> None:
        self.scale = width_px / width_mm
        self.width_mm = width_mm
        self.height_mm = height_mm
        self.width = width_px
        self.height = max(1, round(height_mm * self.scale))
        self.pixels: npt.NDArray[np.uint8] = np.empty((self.height, self.width, 3), np.uint8)
        self.pixels[:] = base

    def px(self, mm: float) -> int:
        """Convert a length in millimetres to whole pixels (at least one)."""
        return max(1, round(mm * self.scale))

    def pt(self, x: float, y: float) -> tuple[int, int]:
        """Convert a point in millimetres to pixel coordinates."""
        return round(x * self.scale), round(y * self.scale)

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: RGB, *, radius: float = 0.0) -> None:
        """Fill a rectangle, with rounded corners of ``radius`` mm when positive."""
        if radius <= 0:
            cv2.rectangle(self.pixels, self.pt(x0, y0), self.pt(x1, y1), color, -1)
            return
        cv2.fillPoly(self.pixels, [rounded_rect_polygon(self.pt(x0, y0), self.pt(x1, y1), self.px(radius))], color)

    def frame(self, x0: float, y0: float, x1: float, y1: float, color: RGB, thickness: float) -> None:
        """Outline a rectangle with a line ``thickness`` mm wide."""
        cv2.rectangle(self.pixels, self.pt(x0, y0), self.pt(x1, y1), color, self.px(thickness), cv2.LINE_AA)

    def disc(self, cx: float, cy: float, r: float, color: RGB, *, thickness: float = 0.0) -> None:
        """Fill a disc of radius ``r`` mm, or draw its ring when ``thickness`` is positive."""
        line = self.px(thickness) if thickness > 0 else -1
        cv2.circle(self.pixels, self.pt(cx, cy), self.px(r), color, line, cv2.LINE_AA)

    def polygon(self, points: list[tuple[float, float]], color: RGB) -> None:
        """Fill a polygon given in millimetres."""
        pts = np.array([self.pt(x, y) for x, y in points], np.int32)
        cv2.fillPoly(self.pixels, [pts], color, cv2.LINE_AA)

    def text(self, x: float, y: float, text: str, height: float, color: RGB, *, bold: bool = False) -> None:
        """Write ``text`` with its baseline-left at (x, y) mm and capitals ``height`` mm tall."""
        scale = height * self.scale / _CAP_HEIGHT
        thickness = max(1, round(height * self.scale * (0.16 if bold else 0.09)))
        font = _FONT_BOLD if bold else _FONT
        cv2.putText(self.pixels, text, self.pt(x, y), font, scale, color, thickness, cv2.LINE_AA)

    def mono(self, x: float, y: float, text: str, pitch: float, height: float, color: RGB) -> None:
        """Write ``text`` one character every ``pitch`` mm, as machine-readable zones are printed."""
        for index, char in enumerate(text):
            self.text(x + index * pitch, y, char, height, color, bold=True)

    def guilloche(self, color: RGB, *, strength: float, period: float) -> None:
        """Blend a fine wave pattern (security print) of ``period`` mm into the card."""
        alpha = _guilloche_alpha(self.width, self.height, self.scale, period, strength)
        blended = self.pixels * (1 - alpha) + np.asarray(color, np.float32) * alpha
        self.pixels[:] = (blended + 0.5).astype(np.uint8)

    def photo(self, x0: float, y0: float, x1: float, y1: float, backdrop: RGB, figure: RGB) -> None:
        """Draw a portrait box: a plain backdrop with a faceless head-and-shoulders silhouette."""
        self.rect(x0, y0, x1, y1, backdrop)
        w, h = x1 - x0, y1 - y0
        cx = x0 + w / 2
        self.polygon(
            [
                (x0 + 0.05 * w, y1),
                (x0 + 0.10 * w, y0 + 0.80 * h),
                (cx - 0.22 * w, y0 + 0.66 * h),
                (cx + 0.22 * w, y0 + 0.66 * h),
                (x1 - 0.10 * w, y0 + 0.80 * h),
                (x1 - 0.05 * w, y1),
            ],
            figure,
        )
        self.rect(cx - 0.09 * w, y0 + 0.52 * h, cx + 0.09 * w, y0 + 0.70 * h, figure)
        axes = (self.px(0.23 * w), self.px(0.22 * h))
        cv2.ellipse(self.pixels, self.pt(cx, y0 + 0.38 * h), axes, 0, 0, 360, figure, -1, cv2.LINE_AA)
        self.frame(x0, y0, x1, y1, figure, 0.25)

    def chip(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Draw a gold contact chip with its six contact pads."""
        self.rect(x0, y0, x1, y1, (196, 160, 72), radius=1.2)
        line: RGB = (120, 92, 30)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        thickness = self.px(0.3)
        cv2.line(self.pixels, self.pt(x0, my), self.pt(x1, my), line, thickness, cv2.LINE_AA)
        cv2.line(self.pixels, self.pt(mx, y0), self.pt(mx, y1), line, thickness, cv2.LINE_AA)
        third = (y1 - y0) / 3
        for y in (y0 + third, y1 - third):
            cv2.line(self.pixels, self.pt(x0, y), self.pt(mx - 1.5, y), line, thickness, cv2.LINE_AA)
            cv2.line(self.pixels, self.pt(mx + 1.5, y), self.pt(x1, y), line, thickness, cv2.LINE_AA)
        cv2.rectangle(self.pixels, self.pt(x0, y0), self.pt(x1, y1), line, thickness, cv2.LINE_AA)

    def emblem(self, cx: float, cy: float, r: float, dark: RGB, light: RGB) -> None:
        """Draw an abstract seal: a dark disc with rings and an eight-point star (no real emblem)."""
        self.disc(cx, cy, r, dark)
        self.disc(cx, cy, r * 0.82, light, thickness=r * 0.06)
        points = []
        for k in range(16):
            radius = r * (0.62 if k % 2 == 0 else 0.28)
            angle = math.pi * k / 8 - math.pi / 2
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
        self.polygon(points, light)
        self.disc(cx, cy, r * 0.14, dark)


def rounded_rect_polygon(p0: tuple[int, int], p1: tuple[int, int], radius: int) -> npt.NDArray[np.int32]:
    """Return the outline of a rectangle from ``p0`` to ``p1`` with corners rounded to ``radius`` px."""
    (x0, y0), (x1, y1) = p0, p1
    radius = max(0, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    arcs = [
        ((x0 + radius, y0 + radius), 180),
        ((x1 - radius, y0 + radius), 270),
        ((x1 - radius, y1 - radius), 0),
        ((x0 + radius, y1 - radius), 90),
    ]
    points = [cv2.ellipse2Poly(center, (radius, radius), 0, start, start + 90, 10) for center, start in arcs]
    return np.concatenate(points).astype(np.int32)


@functools.lru_cache(maxsize=16)
def _guilloche_alpha(width: int, height: int, scale: float, period: float, strength: float) -> npt.NDArray[np.float32]:
    # The pattern depends only on the card's size, so it is computed once and shared (read-only).
    ys = np.arange(height, dtype=np.float32)[:, None] / np.float32(scale)
    xs = np.arange(width, dtype=np.float32)[None, :] / np.float32(scale)
    two_pi = np.float32(2 * math.pi)
    wave = np.sin(two_pi * xs / np.float32(period) + np.float32(2.5) * np.sin(two_pi * ys / np.float32(period * 6)))
    wave *= np.sin(two_pi * ys / np.float32(period) + np.float32(2.5) * np.sin(two_pi * xs / np.float32(period * 7)))
    wave *= wave
    wave *= wave
    wave *= wave
    alpha = (wave * np.float32(strength))[:, :, None]
    alpha.flags.writeable = False
    return np.asarray(alpha, np.float32)
