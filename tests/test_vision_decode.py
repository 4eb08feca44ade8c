"""decode_image: every documented format, EXIF orientation, and a clear error for what is not an image."""

from __future__ import annotations

import io
import struct

import cv2
import numpy as np
import pytest
from PIL import Image

from pytest_idclassify.emulator._vision import UndecodableImage, decode_image, to_rgb8
from pytest_idclassify.errors import RecognitionError
from pytest_idclassify.images import ImageRecipe, encode_flat


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


@pytest.mark.parametrize("corruption", ["corrupt-data", "truncated"])
def test_a_damaged_tiff_is_refused_without_libtiff_writing_to_stderr(
    corruption: str, capfd: pytest.CaptureFixture[str]
) -> None:
    # OpenCV reads a TIFF with garbage strips as an all-black picture, and libtiff prints the error.
    data = ImageRecipe(format="tiff", width=64, height=48, corruption=corruption).render()
    capfd.readouterr()
    with pytest.raises(UndecodableImage) as caught:
        decode_image(data)
    assert f"cannot decode {len(data)} bytes starting 49 49 2a 00" in str(caught.value)
    # The file descriptor itself, not only sys.stderr: libtiff writes from C.
    assert "ZIPDecode" not in capfd.readouterr().err


@pytest.mark.parametrize(("width", "height"), [(8192, 15), (15, 8192)])
def test_deflate_tiffs_at_the_extreme_sides_decode(width: int, height: int) -> None:
    decoded = decode_image(encode_flat("tiff", width, height, (10, 200, 30)))
    assert decoded.shape == (height, width, 3)
    assert (decoded == np.array([10, 200, 30], np.uint8)).all()


@pytest.mark.parametrize("compression", [1, 5, 8], ids=["raw", "lzw", "deflate"])
def test_sixteen_bit_grey_tiff_is_scaled_not_clipped(compression: int) -> None:
    deep = (np.arange(48 * 64, dtype=np.uint32).reshape(48, 64) * 21).astype(np.uint16)
    ok, encoded = cv2.imencode(".tiff", deep, [cv2.IMWRITE_TIFF_COMPRESSION, compression])
    assert ok
    expected = np.rint(deep.astype(np.float64) / 65535.0 * 255.0).astype(np.uint8)
    assert np.array_equal(decode_image(encoded.tobytes()), np.dstack([expected] * 3))


def _big_endian_tiff(pixels: np.ndarray) -> bytes:
    """An uncompressed, single-strip, big-endian ("MM") RGB TIFF, written field by field."""
    height, width = pixels.shape[:2]
    count = 9
    bits_at = 8 + 2 + 12 * count + 4  # after the header, the directory and the next-directory offset
    entries = [  # (tag, type, count, value): SHORT is 3, LONG is 4
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 3, bits_at),  # bits per sample: three SHORTs, stored after the directory
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, 2),  # RGB
        (273, 4, 1, bits_at + 6),  # the one strip follows them
        (277, 3, 1, 3),
        (278, 4, 1, height),
        (279, 4, 1, pixels.size),
    ]
    directory = struct.pack(">H", count)
    for tag, kind, n, value in entries:
        packed = struct.pack(">HH", value, 0) if kind == 3 and n == 1 else struct.pack(">I", value)
        directory += struct.pack(">HHI", tag, kind, n) + packed
    header = b"MM\x00*" + struct.pack(">I", 8)
    return header + directory + struct.pack(">I", 0) + struct.pack(">HHH", 8, 8, 8) + pixels.tobytes()


def test_big_endian_tiff_decodes() -> None:
    pixels = _picture()
    assert np.array_equal(decode_image(_big_endian_tiff(pixels)), pixels)


def test_rgba_is_composited_on_white() -> None:
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 255)
    rgb = to_rgb8(rgba)
    assert rgb[0, 0].tolist() == [255, 0, 0]
    assert rgb[1, 1].tolist() == [255, 255, 255]
