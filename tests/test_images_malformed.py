"""Malformed inputs really are malformed, and awkward ones are what they claim."""

from __future__ import annotations

import base64
import binascii
import io
import warnings

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images import (
    BASE64_VARIANTS,
    animated_gif,
    bomb_png,
    bomb_png_header,
    corrupt_data,
    encode_base64,
    encode_flat,
    encode_pixels,
    probe,
    truncate,
    with_exif_orientation,
    wrong_magic,
)
from pytest_idclassify.images._pillow import noise_pixels

FORMATS = ["png", "jpeg", "tiff", "bmp", "gif", "webp"]


def pillow_fails(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except Exception:  # Pillow raises OSError, ValueError, SyntaxError... depending on the plugin
        return True
    return False


def opencv_result(data: bytes) -> np.ndarray | None:
    try:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None


def sources(fmt: str) -> list[bytes]:
    return [encode_flat(fmt, 64, 48, (128, 128, 128)), encode_pixels(noise_pixels(64, 48, 1), fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_and_wrong_magic_fail_in_both_decoders(fmt: str) -> None:
    for data in sources(fmt):
        for broken in (truncate(data), wrong_magic(data, fmt)):
            assert pillow_fails(broken)
            assert opencv_result(broken) is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_corrupt_data_keeps_the_header_and_fails_to_decode(fmt: str) -> None:
    for data in sources(fmt):
        broken = corrupt_data(data, fmt, seed=3)
        assert probe(broken).width == 64, "the header must stay readable"
        assert pillow_fails(broken)
        result = opencv_result(broken)
        if fmt == "tiff" and result is not None:
            # OpenCV reports libtiff's strip error on stderr and returns a black raster.
            assert not (result == 128).all() and (result == 0).all()
        else:
            assert result is None


def test_corrupt_data_is_deterministic() -> None:
    data = encode_flat("png", 30, 30)
    assert corrupt_data(data, "png", seed=1) == corrupt_data(data, "png", seed=1)
    assert corrupt_data(data, "png", seed=1) != corrupt_data(data, "png", seed=2)


@pytest.mark.parametrize(("orientation", "shown"), [(1, (8192, 15)), (6, (15, 8192)), (8, (15, 8192)), (3, (8192, 15))])
def test_exif_orientation_rotates_in_decoders_that_honour_it(orientation: int, shown: tuple[int, int]) -> None:
    data = with_exif_orientation(encode_flat("jpeg", 8192, 15), orientation)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and (decoded.shape[1], decoded.shape[0]) == shown
    stored = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    assert stored is not None and stored.shape[:2] == (15, 8192)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (8192, 15)
        assert ImageOps.exif_transpose(image).size == shown


@pytest.mark.parametrize("orientation", [0, 9, True, "6"])
def test_bad_orientation_raises(orientation: object) -> None:
    with pytest.raises(ImageSpecError, match="orientation="):
        with_exif_orientation(encode_flat("jpeg", 8, 8), orientation)  # type: ignore[arg-type]


def test_animated_gif_has_frames() -> None:
    with Image.open(io.BytesIO(animated_gif(20, 10, frames=4))) as image:
        assert image.n_frames == 4 and image.size == (20, 10)


def test_bomb_header_declares_a_huge_size_in_a_tiny_file() -> None:
    data = bomb_png_header()
    assert len(data) < 200
    assert (probe(data).width, probe(data).height) == (65535, 65535)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))
    assert opencv_result(data) is None


def test_valid_bomb_is_small_and_refused_by_the_pixel_limits() -> None:
    data = bomb_png()
    assert len(data) < 500_000
    assert (probe(data).width, probe(data).height) == (60000, 60000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))
    assert opencv_result(data) is None  # beyond CV_IO_MAX_IMAGE_PIXELS (2**30)


def test_truncate_rejects_bad_fractions() -> None:
    with pytest.raises(ImageSpecError, match="keep=1"):
        truncate(b"abc", 1)


PAYLOAD = encode_flat("jpeg", 21, 13, (200, 30, 90))  # 4 + 1 bytes past a multiple of 3: padding is "="


@pytest.mark.parametrize("variant", sorted(BASE64_VARIANTS))
def test_base64_variants_are_what_they_claim(variant: str) -> None:
    data = PAYLOAD if len(PAYLOAD) % 3 else PAYLOAD + b"\x00"
    text = encode_base64(data, variant)
    canonical = base64.b64encode(data).decode()
    if variant == "canonical":
        assert text == canonical and base64.b64decode(text, validate=True) == data
        return
    assert text != canonical
    with pytest.raises(binascii.Error):
        base64.b64decode(text, validate=True)
    if variant.startswith("data-uri"):
        prefix, _, rest = text.partition(",")
        assert prefix.lower().startswith("data:") and prefix.lower().endswith(";base64")
        assert base64.b64decode(rest.strip(), validate=True) == data
    elif variant in ("mime", "newlines", "whitespace", "trailing-newline", "non-base64"):
        assert base64.b64decode(text) == data  # a lenient decoder drops the extra characters
    elif variant == "missing-padding":
        assert "=" not in text and base64.b64decode(text + "=" * (-len(text) % 4)) == data
    elif variant == "excess-padding":
        assert text == canonical + "=="
    elif variant == "urlsafe":
        assert base64.urlsafe_b64decode(text) == data
    if variant == "mime":
        assert all(len(line) <= 76 for line in text.split("\r\n"))


def test_inapplicable_variants_raise() -> None:
    with pytest.raises(ImageSpecError, match="missing-padding"):
        encode_base64(b"abc", "missing-padding")
    with pytest.raises(ImageSpecError, match="urlsafe"):
        encode_base64(b"abc", "urlsafe")
    with pytest.raises(ImageSpecError, match="variant='rot13'"):
        encode_base64(b"abc", "rot13")
