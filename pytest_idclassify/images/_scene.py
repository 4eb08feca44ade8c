"""A specimen card photographed on a desk: placement, perspective, background and degradations."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images import _degrade
from pytest_idclassify.images._cards._render import cached_card, card_alpha, card_size_mm, check_doc_type, check_seed

Point = tuple[int, int]
QuadPoints = tuple[Point, Point, Point, Point]

#: Smallest and largest frame side :func:`render_scene` draws.
MIN_SCENE_SIDE = 128
MAX_SCENE_SIDE = 8192

# Desk and fabric tones, all much darker than the cards so the card's outline is the strongest edge.
_BACKDROPS = ((92, 64, 44), (62, 68, 76), (44, 72, 58), (40, 46, 72), (84, 84, 82), (72, 50, 60))


@dataclass(frozen=True, eq=False)
class Scene:
    """A rendered photograph of a specimen document, with the ground truth it was drawn from.

    Attributes:
        pixels: the photograph, H x W x 3 ``uint8`` RGB.
        quad: the card's corners in image pixels, clockwise from top-left (TL, TR, BR, BL); with
            ``cut_border`` some corners lie outside the frame.
        doc_type: the API's name of the document type, one of ``DOCUMENT_TYPES``.
        seed: the seed of the scene (holder data, background, placement).
        degradations: the severities applied, in ``DEGRADATIONS`` order.
        degradation_seeds: the seed of each degradation's random draws (0 unless set by :func:`degrade`).

    """

    pixels: npt.NDArray[np.uint8]
    quad: QuadPoints
    doc_type: str
    seed: int
    degradations: Mapping[str, float]
    degradation_seeds: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def width(self) -> int:
        """Width of the photograph in pixels."""
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        """Height of the photograph in pixels."""
        return int(self.pixels.shape[0])


def render_scene(
    doc_type: str,
    *,
    width: int = 1280,
    height: int = 800,
    seed: int = 0,
    degradations: Mapping[str, float] | None = None,
) -> Scene:
    """Photograph the specimen of ``doc_type`` lying on a textured desk, optionally degraded.

    The card fills 50-75% of the frame's width (less if the frame is too short), is turned by up
    to 6 degrees and seen under a mild perspective, all drawn from ``seed``.  ``degradations`` maps
    names of ``DEGRADATIONS`` to severities in [0, 1]; they compose, and are applied in one
    physical order whatever the mapping's order.  The same arguments give the same pixels.

    Raises:
        ImageSpecError: unknown type or degradation, severity outside [0, 1], negative seed, or a
            side outside [128, 8192] pixels.

    """
    return _render(doc_type, width, height, seed, _degrade.check_degradations(degradations), {})


def degrade(scene: Scene, name: str, severity: float, *, seed: int = 0) -> Scene:
    """Return ``scene`` with degradation ``name`` set to ``severity``, re-rendered from its recipe.

    ``degrade(render_scene(t, seed=s), "blur", 0.5)`` is the same image as
    ``render_scene(t, seed=s, degradations={"blur": 0.5})``; degradations already on the scene are
    kept (a repeated name takes the new severity).  ``seed`` varies the degradation's random draws
    (where the glare or the thumb falls, the grain...) without moving the card.

    Raises:
        ImageSpecError: unknown degradation, severity outside [0, 1], or a negative seed.

    """
    _degrade.check_name(name)
    check_seed(seed)
    merged = dict(scene.degradations)
    merged[name] = severity
    seeds = {**scene.degradation_seeds, name: int(seed)}
    recipe = _degrade.check_degradations(merged)
    return _render(scene.doc_type, scene.width, scene.height, scene.seed, recipe, seeds)


def _check_side(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ImageSpecError(f"scene {name} {value!r} must be an integer number of pixels, e.g. {name}=1280")
    if not MIN_SCENE_SIDE <= value <= MAX_SCENE_SIDE:
        raise ImageSpecError(
            f"scene {name} {value} px is outside [{MIN_SCENE_SIDE}, {MAX_SCENE_SIDE}]; "
            "a card needs at least 128 px of frame to be drawn legibly"
        )
    return int(value)


def _render(
    doc_type: str,
    width: int,
    height: int,
    seed: int,
    recipe: Mapping[str, float],
    seeds: Mapping[str, int],
) -> Scene:
    check_doc_type(doc_type)
    check_seed(seed)
    width, height = _check_side("width", width), _check_side("height", height)

    def severity(name: str) -> float:
        return recipe.get(name, 0.0)

    def rng(name: str) -> np.random.Generator:
        return _degrade.rng_for(seed, name, seeds.get(name, 0))

    scene_rng = np.random.default_rng([seed, 0])
    quad = _place(doc_type, width, height, scene_rng)
    quad = _degrade.cut_border(quad, (width, height), severity("cut_border"), rng("cut_border"))
    frame = _background(width, height, scene_rng)

    card_width = int(
        min(8192, max(64, math.ceil(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))))
    )
    card = cached_card(doc_type, seed, card_width)
    card = _degrade.copy(card, severity("copy"), rng("copy"))
    card = _degrade.occlusion(card, severity("occlusion"), rng("occlusion"))
    coverage = _composite(frame, card, card_alpha(doc_type, card.shape[1], card.shape[0]), quad)

    frame = _degrade.recapture(frame, severity("recapture"), rng("recapture"))
    frame, noise = _degrade.darkness(frame, severity("darkness"), rng("darkness"))
    if severity("glare") > 0:
        glare_rng = rng("glare")
        spot = _card_point(quad, glare_rng.uniform(0.2, 0.8), glare_rng.uniform(0.25, 0.75))
        scale = float(np.linalg.norm(quad[1] - quad[0]))
        frame = _degrade.glare(frame, coverage, spot, scale, severity("glare"), glare_rng)
    frame = _degrade.blur(frame, severity("blur"), rng("blur"))
    frame = _degrade.add_noise(frame, noise, rng("darkness"))

    corners = tuple((round(float(x)), round(float(y))) for x, y in quad)
    return Scene(
        pixels=np.ascontiguousarray(frame),
        quad=(corners[0], corners[1], corners[2], corners[3]),
        doc_type=doc_type,
        seed=int(seed),
        degradations=recipe,
        degradation_seeds=MappingProxyType({name: seeds.get(name, 0) for name in recipe}),
    )


def _place(doc_type: str, width: int, height: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Draw the card's quadrilateral: 50-75% of the frame's width, turned and tilted a little."""
    size_w, size_h = card_size_mm(doc_type)
    aspect = size_h / size_w
    card_w = rng.uniform(0.5, 0.75) * width
    card_w = min(card_w, 0.8 * height / aspect)
    card_h = card_w * aspect
    angle = math.radians(rng.uniform(-6.0, 6.0))
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * [card_w / 2, card_h / 2]
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    quad = corners @ rotation.T
    # Perspective: each corner moves independently by up to 3% of the card's width.
    quad += rng.uniform(-1.0, 1.0, (4, 2)) * 0.03 * card_w
    low, high = quad.min(axis=0), quad.max(axis=0)
    span = high - low
    margin = 0.04 * np.array([width, height])
    room = np.array([width, height]) - 2 * margin
    shrink = min(1.0, float(np.min(room / span)))
    quad *= shrink
    low, high = quad.min(axis=0), quad.max(axis=0)
    free = np.array([width - 1, height - 1]) - 2 * margin - (high - low)
    offset = margin + rng.random(2) * np.maximum(free, 0.0) - low
    return np.asarray(quad + offset, np.float64)


def _background(width: int, height: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Draw a dark desk: a seeded tone, soft blotches, fine grain, a light falloff and a little clutter."""
    base = np.array(_BACKDROPS[int(rng.integers(len(_BACKDROPS)))], np.float32) * rng.uniform(0.85, 1.1)
    cell = max(8, max(width, height) // 24)
    blotches = rng.standard_normal((height // cell + 2, width // cell + 2), dtype=np.float32)
    soft = cv2.resize(blotches, (width, height), interpolation=cv2.INTER_CUBIC) * np.float32(9.0)
    grain = rng.standard_normal((height // 2 + 1, width // 2 + 1), dtype=np.float32)
    fine = cv2.resize(grain, (width, height), interpolation=cv2.INTER_LINEAR) * np.float32(4.0)
    gx = np.linspace(-1.0, 1.0, width, dtype=np.float32)
    gy = np.linspace(-1.0, 1.0, height, dtype=np.float32)
    light_x, light_y = rng.uniform(-0.12, 0.12, 2)
    level = np.float32(base.mean())
    shade = (np.float32(light_x) * gx)[None, :] + (np.float32(light_y) * gy)[:, None]
    shade = shade * level + level + soft + fine
    # One luminance plane scaled per channel: cv2 saturates to uint8 in a single pass each.
    frame = cv2.merge([cv2.convertScaleAbs(shade, alpha=float(c / level)) for c in base])
    # Clutter: a few low-contrast strokes and shapes, fainter than the card's own edge.
    for _ in range(int(rng.integers(3, 7))):
        tint = tuple(int(c) for c in np.clip(base + rng.uniform(-22.0, 22.0, 3), 0, 255))
        x0, x1 = (int(v) for v in rng.integers(0, width, 2))
        y0, y1 = (int(v) for v in rng.integers(0, height, 2))
        thickness = max(1, int(rng.integers(1, 4) * max(width, height) / 800))
        kind = int(rng.integers(3))
        if kind == 0:
            cv2.line(frame, (x0, y0), (x1, y1), tint, thickness, cv2.LINE_AA)
        elif kind == 1:
            cv2.rectangle(frame, (x0, y0), (x1, y1), tint, thickness, cv2.LINE_AA)
        else:
            axes = (abs(x1 - x0) // 3 + 1, abs(y1 - y0) // 3 + 1)
            cv2.ellipse(frame, (x0, y0), axes, 0, 0, 360, tint, thickness, cv2.LINE_AA)
    return np.asarray(frame, np.uint8)


def _composite(
    frame: npt.NDArray[np.uint8],
    card: npt.NDArray[np.uint8],
    alpha: npt.NDArray[np.float32],
    quad: npt.NDArray[np.float64],
) -> npt.NDArray[np.float32]:
    """Warp the card onto ``frame`` (in place) along ``quad``; return the card's coverage of the frame."""
    height, width = frame.shape[:2]
    card_h, card_w = card.shape[:2]
    coverage = np.zeros((height, width), np.float32)
    x0, y0 = (max(0, math.floor(v)) for v in quad.min(axis=0))
    x1, y1 = (math.ceil(v) + 1 for v in quad.max(axis=0))
    x1, y1 = min(width, x1), min(height, y1)
    if x0 >= x1 or y0 >= y1:
        return coverage
    # Card pixel centres sit at integers, so its outer edges are at -0.5 and size - 0.5.
    source = np.array(
        [[-0.5, -0.5], [card_w - 0.5, -0.5], [card_w - 0.5, card_h - 0.5], [-0.5, card_h - 0.5]], np.float32
    )
    target = (quad - [x0, y0]).astype(np.float32)
    homography = cv2.getPerspectiveTransform(source, target)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(card, homography, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cover = cv2.warpPerspective(alpha, homography, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    frame[y0:y1, x0:x1] = cv2.blendLinear(warped, frame[y0:y1, x0:x1], cover, 1.0 - cover)
    coverage[y0:y1, x0:x1] = cover
    return coverage


def _card_point(quad: npt.NDArray[np.float64], u: float, v: float) -> tuple[float, float]:
    """Map a point given as fractions (u across, v down) of the card into the frame, bilinearly."""
    top = quad[0] + (quad[1] - quad[0]) * u
    bottom = quad[3] + (quad[2] - quad[3]) * u
    point = top + (bottom - top) * v
    return float(point[0]), float(point[1])
