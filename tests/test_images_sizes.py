"""Exact byte and base64 sizes: padding keeps pixels, reaches the target, or names the nearest sizes."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images import (
    BASE64_LIMIT_BINARY,
    BASE64_LIMIT_DECIMAL,
    BASE64_VARIANTS,
    base64_limit,
    encode_base64,
    encode_flat,
    next_base64_length,
    pad_to_base64_length,
    pad_to_bytes,
)

PADDABLE = ["png", "jpeg", "tiff", "bmp", "gif"]


def decoded(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        pillow = np.asarray(image.convert("RGB"))
    opencv = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert opencv is not None
    return pillow, opencv


@pytest.mark.parametrize("fmt", PADDABLE)
@pytest.mark.parametrize("gap", [0, 12, 13, 255, 256, 65537, 65538, (1 << 20) + 12, (1 << 20) + 25, 3_000_001])
def test_pad_to_bytes_is_exact_and_keeps_pixels(fmt: str, gap: int) -> None:
    original = encode_flat(fmt, 40, 30, (20, 40, 60))
    padded = pad_to_bytes(original, fmt, len(original) + gap)
    assert len(padded) == len(original) + gap
    before, after = decoded(original), decoded(padded)
    assert (before[0] == after[0]).all() and (before[1] == after[1]).all()


@pytest.mark.parametrize(("fmt", "gap", "low", "high"), [("png", 5, 0, 12), ("jpeg", 2, 0, 4), ("gif", 4, 3, 5)])
def test_unreachable_gaps_name_the_nearest_sizes(fmt: str, gap: int, low: int, high: int) -> None:
    original = encode_flat(fmt, 8, 8)
    size = len(original)
    with pytest.raises(ImageSpecError, match=f"nearest reachable sizes are {size + low} or {size + high}$"):
        pad_to_bytes(original, fmt, size + gap)


def test_padding_cannot_shrink_a_file() -> None:
    original = encode_flat("png", 8, 8)
    size = len(original)
    message = f"n={size - 1} bytes is smaller than this {size}-byte png file, and padding only adds bytes: give {size} "
    with pytest.raises(ImageSpecError, match=rf"{message}\(no padding\) or at least {size + 12}$"):
        pad_to_bytes(original, "png", size - 1)


def test_webp_cannot_be_padded() -> None:
    with pytest.raises(ImageSpecError, match="webp"):
        pad_to_bytes(encode_flat("webp", 8, 8), "webp", 1000)


def test_limits_and_next_lengths() -> None:
    assert base64_limit() == BASE64_LIMIT_DECIMAL == 10_000_000
    assert base64_limit("binary") == BASE64_LIMIT_BINARY == 10_485_760
    assert next_base64_length(BASE64_LIMIT_DECIMAL) == 10_000_004
    assert next_base64_length(10_485_761) == 10_485_764
    with pytest.raises(ImageSpecError, match="reading='metric'"):
        base64_limit("metric")


@pytest.mark.parametrize("reading", ["decimal", "binary"])
@pytest.mark.parametrize("fmt", PADDABLE)
def test_exactly_the_limit_and_one_step_above(fmt: str, reading: str) -> None:
    original = encode_flat(fmt, 15, 8192)
    for target in (base64_limit(reading), next_base64_length(base64_limit(reading))):
        padded = pad_to_base64_length(original, fmt, target)
        assert len(base64.b64encode(padded)) == target
    pillow, opencv = decoded(padded)
    assert pillow.shape == opencv.shape == (8192, 15, 3)


def test_non_multiple_of_four_is_unreachable_canonically() -> None:
    original = encode_flat("tiff", 15, 15)
    with pytest.raises(ImageSpecError, match=r"nearest reachable lengths are 10000000 or 10000004"):
        pad_to_base64_length(original, "tiff", 10_000_001)


def test_below_the_file_is_unreachable() -> None:
    original = encode_flat("png", 64, 64)
    with pytest.raises(ImageSpecError, match="the file alone is"):
        pad_to_base64_length(original, "png", 8)


@pytest.mark.parametrize("variant", sorted(BASE64_VARIANTS))
def test_variant_lengths_are_reached(variant: str) -> None:
    original = encode_flat("jpeg", 33, 17, (90, 10, 200))
    reached = 0
    for target in range(2000, 2012):
        try:
            padded = pad_to_base64_length(original, "jpeg", target, variant)
        except ImageSpecError as exc:
            assert "nearest reachable lengths" in str(exc)
            continue
        assert len(encode_base64(padded, variant)) == target
        reached += 1
    assert reached >= 3, variant


@settings(max_examples=25)
@given(fmt=st.sampled_from(PADDABLE), extra=st.integers(min_value=0, max_value=200_000))
def test_any_target_past_the_minimum_is_exact(fmt: str, extra: int) -> None:
    original = encode_flat(fmt, 20, 20, (1, 2, 3))
    target = len(original) + 12 + extra
    assert len(pad_to_bytes(original, fmt, target)) == target
