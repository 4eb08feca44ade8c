"""decode_image: every documented format, EXIF orientation, and a clear error for what is not an image."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from pytest_idclassify.emulator._vision import UndecodableImage, decode_image, to_rgb8
from pytest_idclassify.errors import RecognitionError


def _picture() -> np.ndarray:
    rng = np.random.default_rng(3)
    blocks = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.kron(blocks, np.ones((8, 8, 1), np.uint8)))  # 48 x 64, flat 8 px blocks


def _encode(pixels: np.ndarray, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "options"), [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("TIFF", {"compression": "tiff_lzw"})]
)
def test_lossless_formats_decode_exactly(fmt: str, options: dict[str, object]) -> None:
    pixels = _picture()
    assert np.array_equal(decode_image(_encode(pixels, fmt, **options)), pixels)


def test_jpeg_decodes_close_to_the_original() -> None:
    pixels = _picture()
    decoded = decode_image(_encode(pixels, "JPEG", quality=95, subsampling=0))
    assert decoded.shape == pixels.shape and decoded.dtype == np.uint8
    assert float(np.abs(decoded.astype(int) - pixels.astype(int)).mean()) < 6.0


def test_jpeg_exif_orientation_is_applied() -> None:
    pixels = _picture()
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the picture rotated 90 degrees clockwise
    decoded = decode_image(_encode(pixels, "JPEG", quality=95, subsampling=0, exif=exif.tobytes()))
    assert decoded.shape == (64, 48, 3)
    expected = np.rot90(pixels, -1)
    assert float(np.abs(decoded.astype(int) - expected.astype(int)).mean()) < 6.0


def test_grey_and_sixteen_bit_pngs_become_rgb() -> None:
    grey = _picture()[:, :, 0]
    assert np.array_equal(decode_image(_encode(grey, "PNG")), np.dstack([grey] * 3))
    deep = grey.astype(np.uint16) * 257
    ok, encoded = cv2.imencode(".png", deep)
    assert ok
    assert np.array_equal(decode_image(encoded.tobytes()), np.dstack([grey] * 3))


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\xff\xd8\xff\xe0" + b"\x00" * 20, b"data:image/png;base64,iVBORw0KGgo="],
    ids=["empty", "text", "jpeg-header-only", "data-uri"],
)
def test_what_is_not_an_image_is_refused_clearly(data: bytes) -> None:
    with pytest.raises(UndecodableImage) as caught:
        decode_image(data)
    assert isinstance(caught.value, RecognitionError) and isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert str(len(data)) in message
    assert "cannot decode" in message


def test_rgba_is_composited_on_white() -> None:
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)
    rgb = to_rgb8(rgba)
    assert rgb[0, 0].tolist() == [255, 0, 0]
    assert rgb[1, 1].tolist() == [255, 255, 255]
