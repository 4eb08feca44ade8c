"""Hand-written flat encoders: every file decodes to the intended size and pixels in Pillow and OpenCV."""

from __future__ import annotations

import io
import zlib

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images._deflate import adler32_periodic, zlib_periodic
from pytest_idclassify.images._flat import bmp_flat, encode_flat, jpeg_decoded_colour

FORMATS = ["png", "bmp", "tiff", "jpeg", "gif", "webp"]
SIZES = [(1, 1), (15, 8192), (8192, 15), (8193, 16), (16, 8193), (9000, 15), (7, 9), (255, 2), (256, 3), (511, 1)]
COLOURS = [(128, 128, 128), (200, 30, 90), (0, 0, 0), (255, 255, 255)]


def pillow_rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image.convert("RGB"))


def opencv_rgb(data: bytes) -> np.ndarray | None:
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if decoded is None else decoded[..., ::-1]


def expected(fmt: str, colour: tuple[int, int, int]) -> tuple[int, int, int]:
    return jpeg_decoded_colour(colour) if fmt == "jpeg" else colour


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("colour", COLOURS[:2])
def test_flat_image_decodes_to_exact_size_and_colour(
    fmt: str, width: int, height: int, colour: tuple[int, int, int]
) -> None:
    data = encode_flat(fmt, width, height, colour)
    want = expected(fmt, colour)
    for name, pixels in (("pillow", pillow_rgb(data)), ("opencv", opencv_rgb(data))):
        assert pixels is not None, f"{name} could not decode {fmt} {width}x{height}"
        assert pixels.shape == (height, width, 3), name
        assert (pixels == want).all(), f"{name}: {fmt} {width}x{height} is not uniformly {want}"


@pytest.mark.parametrize("colour", COLOURS)
def test_jpeg_greys_are_exact_and_colours_within_two_levels(colour: tuple[int, int, int]) -> None:
    decoded = jpeg_decoded_colour(colour)
    assert max(abs(a - b) for a, b in zip(decoded, colour, strict=True)) <= 2
    if colour[0] == colour[1] == colour[2]:
        assert decoded == colour
    assert (pillow_rgb(encode_flat("jpeg", 17, 23, colour)) == decoded).all()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["png", "bmp", "tiff", "jpeg"])
def test_8192_square_decodes_in_both(fmt: str) -> None:
    data = encode_flat(fmt, 8192, 8192, (10, 20, 30))
    want = expected(fmt, (10, 20, 30))
    opencv = opencv_rgb(data)
    assert opencv is not None and opencv.shape == (8192, 8192, 3) and (opencv == want).all()
    del opencv
    pillow = pillow_rgb(data)
    assert pillow.shape == (8192, 8192, 3) and (pillow == want).all()


def test_uncompressed_bmp_is_one_bit_per_pixel() -> None:
    data = bmp_flat(40, 3, (9, 8, 7), compression="none")
    assert int.from_bytes(data[28:30], "little") == 1
    assert len(data) == 14 + 40 + 8 + 8 * 3  # two palette entries, rows padded to 4 bytes
    assert (pillow_rgb(data) == (9, 8, 7)).all()
    opencv = opencv_rgb(data)
    assert opencv is not None and (opencv == (9, 8, 7)).all()


def test_large_flat_files_stay_small() -> None:
    # The 10 MB request limit must not be what a side test trips over.
    for fmt in ("png", "bmp", "tiff", "jpeg", "gif"):
        assert len(encode_flat(fmt, 8192, 8192)) < 1_000_000, fmt


@settings(max_examples=30)
@given(pattern=st.binary(min_size=1, max_size=7), total=st.integers(min_value=1, max_value=5000))
def test_periodic_zlib_stream_inflates_to_the_repeated_pattern(pattern: bytes, total: int) -> None:
    raw = (pattern * (total // len(pattern) + 1))[:total]
    assert zlib.decompress(zlib_periodic(pattern, total)) == raw
    assert adler32_periodic(pattern, total) == zlib.adler32(raw)


def test_periodic_zlib_stream_of_a_large_raster() -> None:
    total = 8192 * 1025
    stream = zlib_periodic(b"\x00", total)
    assert len(stream) < 10_000
    assert zlib.decompress(stream) == bytes(total)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"fmt": "png", "width": 0, "height": 5}, "width=0"),
        ({"fmt": "png", "width": 5, "height": -1}, "height=-1"),
        ({"fmt": "png", "width": 5.0, "height": 5}, "width=5.0"),
        ({"fmt": "heic", "width": 5, "height": 5}, "fmt='heic'"),
        ({"fmt": "webp", "width": 16384, "height": 5}, "16383"),
        ({"fmt": "jpeg", "width": 5, "height": 65501}, "65500"),
        ({"fmt": "gif", "width": 65536, "height": 5}, "65535"),
        ({"fmt": "png", "width": 5, "height": 5, "colour": (1, 2)}, "colour="),
        ({"fmt": "png", "width": 5, "height": 5, "colour": (1, 2, 256)}, "0..255"),
    ],
)
def test_bad_arguments_raise_image_spec_error(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ImageSpecError, match=fragment.replace(".", r"\.").replace("(", r"\(")):
        encode_flat(**kwargs)  # type: ignore[arg-type]


def test_format_aliases() -> None:
    assert encode_flat("JPG", 8, 8) == encode_flat("jpeg", 8, 8)
    assert encode_flat("tif", 8, 8) == encode_flat("tiff", 8, 8)
