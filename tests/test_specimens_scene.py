from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._specimens import DEGRADATIONS, DOCUMENT_TYPES, Scene, degrade, render_scene

ALL = {"blur": 0.3, "glare": 0.4, "occlusion": 0.5, "darkness": 0.2, "copy": 0.6, "cut_border": 0.3, "recapture": 0.5}


def quad_mask(scene: Scene) -> npt.NDArray[np.bool_]:
    mask = np.zeros(scene.pixels.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.array(scene.quad, np.int32)], 1)
    return mask.astype(bool)


def visible_card(scene: Scene) -> npt.NDArray[np.bool_]:
    """Where the card really is: the filled outline of the largest bright region."""
    gray = cv2.cvtColor(scene.pixels, cv2.COLOR_RGB2GRAY)
    bright = (gray > 160).astype(np.uint8)
    closed = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(closed)
    cv2.drawContours(filled, [max(contours, key=cv2.contourArea)], -1, 1, -1)
    return filled.astype(bool)


def test_the_seven_degradations_in_the_api_alarm_order() -> None:
    assert DEGRADATIONS == ("blur", "glare", "occlusion", "darkness", "copy", "cut_border", "recapture")


def test_same_arguments_same_bytes() -> None:
    a = render_scene("myanmar_id_card", seed=11, degradations=ALL)
    b = render_scene("myanmar_id_card", seed=11, degradations=dict(reversed(ALL.items())))
    assert a.pixels.tobytes() == b.pixels.tobytes()
    assert a.quad == b.quad
    assert render_scene("myanmar_id_card", seed=12).pixels.tobytes() != render_scene("myanmar_id_card").pixels.tobytes()


def test_scene_records_its_recipe() -> None:
    scene = render_scene("passport", width=640, height=480, seed=3, degradations={"copy": 1, "blur": 0.5})
    assert scene.pixels.shape == (480, 640, 3)
    assert scene.pixels.dtype == np.uint8
    assert (scene.width, scene.height) == (640, 480)
    assert scene.doc_type == "passport"
    assert scene.seed == 3
    assert dict(scene.degradations) == {"blur": 0.5, "copy": 1.0}
    assert list(scene.degradations) == ["blur", "copy"]


@pytest.mark.parametrize("doc_type", DOCUMENT_TYPES)
def test_quad_is_where_the_card_really_is(doc_type: str) -> None:
    scene = render_scene(doc_type, seed=DOCUMENT_TYPES.index(doc_type))
    claimed, seen = quad_mask(scene), visible_card(scene)
    iou = (claimed & seen).sum() / (claimed | seen).sum()
    assert iou > 0.98, f"{doc_type}: quad {scene.quad} overlaps the visible card by IoU {iou:.4f}"


@settings(max_examples=12)
@given(
    doc_type=st.sampled_from(DOCUMENT_TYPES),
    seed=st.integers(0, 2**32),
    width=st.integers(320, 1600),
    height=st.integers(240, 1200),
)
def test_quad_is_clockwise_inside_the_frame_and_sized_as_documented(
    doc_type: str, seed: int, width: int, height: int
) -> None:
    scene = render_scene(doc_type, width=width, height=height, seed=seed)
    quad = np.array(scene.quad, np.float64)
    assert scene.pixels.shape == (height, width, 3)
    assert (quad >= 0).all() and (quad[:, 0] < width).all() and (quad[:, 1] < height).all()
    x, y = quad[:, 0], quad[:, 1]
    # Shoelace area is positive for a clockwise turn in image coordinates (y grows downwards).
    assert 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)) > 0
    tl, tr, br, bl = quad
    assert tl[0] < tr[0] and bl[0] < br[0] and tl[1] < bl[1] and tr[1] < br[1]
    top = float(np.linalg.norm(tr - tl))
    assert top <= 0.80 * width
    # 50-75% of the width, unless the frame is too short: then the card spans most of its height.
    assert top >= 0.45 * width or np.ptp(y) >= 0.7 * height


def test_degrade_is_the_same_as_passing_degradations() -> None:
    scene = render_scene("cambodian_id_card", seed=5, degradations={"darkness": 0.4})
    stepped = degrade(degrade(scene, "blur", 0.5), "glare", 0.7)
    direct = render_scene("cambodian_id_card", seed=5, degradations={"glare": 0.7, "darkness": 0.4, "blur": 0.5})
    assert stepped.pixels.tobytes() == direct.pixels.tobytes()
    assert dict(stepped.degradations) == dict(direct.degradations)
    replaced = degrade(stepped, "blur", 0.1)
    assert replaced.degradations["blur"] == 0.1


def test_a_degradation_seed_moves_the_glare_but_not_the_card() -> None:
    scene = render_scene("id_card", seed=2)
    a = degrade(scene, "glare", 0.6)
    b = degrade(scene, "glare", 0.6, seed=9)
    assert a.quad == b.quad == scene.quad
    assert a.pixels.tobytes() != b.pixels.tobytes()
    assert (
        degrade(b, "blur", 0.2).pixels.tobytes()
        == degrade(degrade(scene, "blur", 0.2), "glare", 0.6, seed=9).pixels.tobytes()
    )


@pytest.mark.parametrize("name", DEGRADATIONS)
def test_severity_zero_changes_nothing(name: str) -> None:
    clean = render_scene("thailand_id_card", seed=8)
    assert render_scene("thailand_id_card", seed=8, degradations={name: 0.0}).pixels.tobytes() == clean.pixels.tobytes()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"doc_type": "id"}, "unknown document type 'id'"),
        ({"degradations": {"fog": 0.5}}, "unknown degradation 'fog'"),
        ({"degradations": {"blur": 1.5}}, "'blur' is 1.5, outside \\[0, 1\\]"),
        ({"degradations": {"blur": -0.1}}, "outside \\[0, 1\\]"),
        ({"degradations": {"blur": float("nan")}}, "outside \\[0, 1\\]"),
        ({"degradations": {"blur": True}}, "must be a number"),
        ({"degradations": {"blur": "0.5"}}, "must be a number"),
        ({"degradations": ["blur"]}, "must be a mapping"),
        ({"width": 100}, "width 100 px is outside \\[128, 8192\\]"),
        ({"height": 9000}, "height 9000 px is outside"),
        ({"width": 640.0}, "integer number of pixels"),
        ({"seed": -3}, "non-negative integer"),
    ],
)
def test_bad_arguments_raise_image_spec_error(kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"doc_type": "passport", **kwargs}
    with pytest.raises(ImageSpecError, match=match):
        render_scene(**arguments)  # type: ignore[arg-type]


def test_degrade_checks_its_arguments() -> None:
    scene = render_scene("passport", width=320, height=240)
    with pytest.raises(ImageSpecError, match="unknown degradation 'haze'"):
        degrade(scene, "haze", 0.5)
    with pytest.raises(ImageSpecError, match="outside \\[0, 1\\]"):
        degrade(scene, "blur", 2)
    with pytest.raises(ImageSpecError, match="non-negative"):
        degrade(scene, "blur", 0.5, seed=-1)
