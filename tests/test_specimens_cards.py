from __future__ import annotations

import itertools

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._specimens import DOCUMENT_TYPES, render_card


def test_the_nine_types_in_the_api_pages_order() -> None:
    assert DOCUMENT_TYPES == (
        "peru_id_card",
        "cambodian_id_card",
        "hongkong_id_card",
        "macao_id_card",
        "myanmar_driver_license",
        "myanmar_id_card",
        "passport",
        "thailand_id_card",
        "id_card",
    )


@pytest.mark.parametrize("doc_type", DOCUMENT_TYPES)
def test_cards_have_their_physical_proportions(doc_type: str) -> None:
    card = render_card(doc_type)
    assert card.dtype == np.uint8
    height, width, channels = card.shape
    assert channels == 3
    if doc_type == "passport":
        assert (width, height) == (1250, 880)  # TD3: 125 x 88 mm at 10 px/mm
    else:
        assert (width, height) == (856, 540)  # ID-1: 85.60 x 53.98 mm at 10 px/mm
    small = render_card(doc_type, width=300)
    assert small.shape[1] == 300
    assert abs(small.shape[0] / 300 - height / width) < 0.01


def test_same_arguments_same_bytes_and_callers_get_their_own_copy() -> None:
    first = render_card("hongkong_id_card", seed=4)
    first[:] = 0
    second = render_card("hongkong_id_card", seed=4)
    assert second.any()
    assert second.flags.writeable
    assert second.tobytes() == render_card("hongkong_id_card", seed=4).tobytes()


def test_seed_changes_the_holder_but_not_the_layout() -> None:
    a = render_card("passport", seed=1)
    b = render_card("passport", seed=2)
    assert a.tobytes() != b.tobytes()
    # The fictitious data differ, but the large-scale layout (bands, photo, MRZ zone) does not.
    assert np.abs(_signature(a) - _signature(b)).mean() < 0.15


def _signature(card: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, (32, 20), interpolation=cv2.INTER_AREA).astype(np.float32)
    return np.asarray((small - small.mean()) / small.std(), np.float32)


def test_all_nine_types_differ_in_downscaled_grayscale() -> None:
    signatures = {doc_type: _signature(render_card(doc_type, seed=0)) for doc_type in DOCUMENT_TYPES}
    distances = {
        (a, b): float(np.abs(signatures[a] - signatures[b]).mean())
        for a, b in itertools.combinations(DOCUMENT_TYPES, 2)
    }
    closest = min(distances, key=distances.__getitem__)
    # Same-type pairs across seeds sit below 0.15 (test above); different types must be far apart.
    assert distances[closest] > 0.5, f"{closest} are too alike: {distances[closest]:.3f}"


def test_all_nine_types_differ_after_a_heavy_blur_without_colour() -> None:
    signatures = {}
    for doc_type in DOCUMENT_TYPES:
        gray = cv2.cvtColor(render_card(doc_type, width=428), cv2.COLOR_RGB2GRAY)
        blurred = cv2.GaussianBlur(gray, (0, 0), 6)
        small = cv2.resize(blurred, (32, 20), interpolation=cv2.INTER_AREA).astype(np.float32)
        signatures[doc_type] = (small - small.mean()) / small.std()
    for a, b in itertools.combinations(DOCUMENT_TYPES, 2):
        assert np.abs(signatures[a] - signatures[b]).mean() > 0.4, (a, b)


def test_cards_are_light_with_a_light_margin_so_the_outline_stands_out() -> None:
    for doc_type in DOCUMENT_TYPES:
        gray = cv2.cvtColor(render_card(doc_type), cv2.COLOR_RGB2GRAY)
        ring = np.concatenate([gray[:12].ravel(), gray[-12:].ravel(), gray[:, :12].ravel(), gray[:, -12:].ravel()])
        assert np.median(ring) > 180, doc_type


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"doc_type": "drivers_license"}, "unknown document type 'drivers_license'"),
        ({"doc_type": "passport", "width": 20}, "outside \\[64, 8192\\]"),
        ({"doc_type": "passport", "width": 9000}, "outside \\[64, 8192\\]"),
        ({"doc_type": "passport", "width": 300.5}, "integer number of pixels"),
        ({"doc_type": "passport", "seed": -1}, "non-negative integer"),
    ],
)
def test_bad_arguments_raise_image_spec_error(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ImageSpecError, match=match):
        render_card(**kwargs)  # type: ignore[arg-type]
