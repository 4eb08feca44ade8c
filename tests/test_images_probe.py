"""probe(): header-only sizes for every format, and nothing but ImageProbeError on garbage."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pytest_idclassify.errors import ImageProbeError
from pytest_idclassify.images import ImageInfo, encode_flat, probe, with_exif_orientation

FORMATS = ["png", "bmp", "tiff", "jpeg", "gif", "webp"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("width", "height"), [(1, 1), (15, 8192), (8192, 15), (8193, 16), (300, 7)])
def test_probe_reads_our_files(fmt: str, width: int, height: int) -> None:
    assert probe(encode_flat(fmt, width, height)) == ImageInfo(fmt, width, height)


@pytest.mark.parametrize(
    ("pillow_format", "options", "fmt"),
    [
        ("PNG", {}, "png"),
        ("JPEG", {"progressive": True}, "jpeg"),
        ("BMP", {}, "bmp"),
        ("TIFF", {}, "tiff"),
        ("TIFF", {"big_tiff": True}, "tiff"),
        ("GIF", {}, "gif"),
        ("WEBP", {}, "webp"),
        ("WEBP", {"lossless": True}, "webp"),
    ],
)
def test_probe_reads_pillow_files(pillow_format: str, options: dict[str, object], fmt: str) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (37, 21), (1, 2, 3)).save(buffer, pillow_format, **options)
    assert probe(buffer.getvalue()) == ImageInfo(fmt, 37, 21)


def test_probe_reads_a_webp_with_alpha_as_vp8x() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (37, 21), (1, 2, 3, 4)).save(buffer, "WEBP", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")
    data = buffer.getvalue()
    assert data[12:16] == b"VP8X"
    assert probe(data) == ImageInfo("webp", 37, 21)


def test_probe_reports_exif_orientation_separately() -> None:
    info = probe(with_exif_orientation(encode_flat("jpeg", 8192, 15), 6))
    assert (info.width, info.height, info.orientation) == (8192, 15, 6)
    assert info.displayed_size == (15, 8192)


def test_probe_reads_a_top_down_bmp() -> None:
    data = bytearray(encode_flat("bmp", 9, 5))
    data[22:26] = (-5).to_bytes(4, "little", signed=True)
    assert probe(bytes(data)) == ImageInfo("bmp", 9, 5)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_prefix_of_a_header_raises_only_the_documented_error(fmt: str) -> None:
    data = with_exif_orientation(encode_flat(fmt, 20, 10), 3) if fmt == "jpeg" else encode_flat(fmt, 20, 10)
    for end in range(len(data)):
        try:
            info = probe(data[:end])
        except ImageProbeError:
            continue
        assert (info.width, info.height) == (20, 10)


def test_unknown_signature_message_points_to_the_fix() -> None:
    with pytest.raises(ImageProbeError, match="without a data: prefix"):
        probe(b"data:image/png;base64,iVBORw0")


SIGNATURES = [b"", b"\xff\xd8", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00",
              b"MM\x00*", b"II+\x00", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"RIFF\x00\x00\x00\x00WEBPVP8X",
              b"RIFF\x00\x00\x00\x00WEBPVP8L"]  # fmt: skip


@settings(max_examples=300)
@given(prefix=st.sampled_from(SIGNATURES), tail=st.binary(max_size=200))
def test_garbage_raises_only_image_probe_error(prefix: bytes, tail: bytes) -> None:
    try:
        info = probe(prefix + tail)
    except ImageProbeError:
        return
    assert isinstance(info, ImageInfo) and info.width >= 0 and info.height >= 0


@settings(max_examples=100)
@given(fmt=st.sampled_from(FORMATS), data=st.data())
def test_mutated_headers_raise_only_image_probe_error(fmt: str, data: st.DataObject) -> None:
    original = bytearray(encode_flat(fmt, 20, 10)[:120])
    for _ in range(data.draw(st.integers(1, 6))):
        original[data.draw(st.integers(0, len(original) - 1))] = data.draw(st.integers(0, 255))
    # Any exception other than ImageProbeError escapes and fails the test.
    with contextlib.suppress(ImageProbeError):
        probe(bytes(original[: data.draw(st.integers(0, len(original)))]))
