"""Turn encoded bytes or odd arrays into the one pixel layout the engine works on: HxWx3 uint8 RGB."""

from __future__ import annotations

import ctypes
import io
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from pytest_idclassify.errors import RecognitionError

RGB = npt.NDArray[np.uint8]

# Pillow refuses images above this many pixels as a "decompression bomb"; the server caps sides at
# 8192, so the engine must accept every 8192 x 8192 image and nothing needs a larger allowance.
_MAX_PIXELS = 8192 * 8192


class UndecodableImage(RecognitionError, ValueError):
    """The bytes are not an image that OpenCV or Pillow can decode."""


def _is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def _is_tiff(data: bytes) -> bool:
    return data[:4] in (b"II*\x00", b"MM\x00*")


@cache
def _quiet_libtiff() -> None:
    """Stop the libtiff that Pillow links from writing its errors and warnings to stderr.

    libtiff reports a corrupt strip by printing it (``ZIPDecode: Decoding error ...``) before
    Pillow raises; a server answering a corrupt upload with an error code must not also spill that
    onto its console.  Pillow's exception still carries the failure.  The handlers are process-wide
    settings of that library, so this runs once; a Pillow built without libtiff has none to change.
    """
    from PIL import _imaging

    try:
        library = ctypes.CDLL(_imaging.__file__)
        for name in ("TIFFSetErrorHandler", "TIFFSetWarningHandler"):
            setter = getattr(library, name)
            setter.restype = ctypes.c_void_p
            setter.argtypes = [ctypes.c_void_p]
            setter(None)
    except (OSError, AttributeError):
        return


def _decode_with_pillow(data: bytes) -> RGB:
    Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, _MAX_PIXELS)
    with Image.open(io.BytesIO(data)) as opened:
        # Multi-page TIFFs answer with their first page, as a scanner's viewer would.
        opened.seek(0)
        upright = ImageOps.exif_transpose(opened)
        if upright.mode.startswith("I;16"):
            # Pillow's own conversion clips 16-bit grey at 255; scaling keeps the picture's tones.
            return to_rgb8(np.asarray(upright))
        return to_rgb8(np.asarray(upright.convert("RGB")))


def decode_image(data: bytes) -> RGB:
    """Decode JPEG, PNG, BMP or TIFF bytes into an HxWx3 uint8 RGB array.

    TIFF goes to Pillow only: OpenCV decodes a TIFF whose strips are corrupt as an all-black
    picture, where Pillow raises.  Other formats go to OpenCV first (it is the fast path, and it
    applies a JPEG's EXIF orientation itself); Pillow takes over for what OpenCV rejects, such as
    BMP variants.  No size or format policy is applied here: that is the caller's business.

    Raises:
        UndecodableImage: neither decoder can read the bytes.

    """
    if not data:
        raise UndecodableImage("cannot decode an image from 0 bytes: send the encoded file's bytes, not an empty body")
    if _is_tiff(data):
        _quiet_libtiff()
        return _pillow_or_raise(data)
    buffer = np.frombuffer(data, dtype=np.uint8)
    flags = cv2.IMREAD_COLOR if _is_jpeg(data) else cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        decoded = cv2.imdecode(buffer, flags)
    except cv2.error:
        decoded = None
    if decoded is not None and decoded.size:
        return to_rgb8(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))
    return _pillow_or_raise(data)


def _pillow_or_raise(data: bytes) -> RGB:
    try:
        return _decode_with_pillow(data)
    # A warning Pillow raises as an error (``python -W error``, pytest's filterwarnings) is a refusal too.
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        head = data[:8].hex(" ")
        raise UndecodableImage(
            f"cannot decode {len(data)} bytes starting {head} as JPEG, PNG, BMP or TIFF ({exc}): "
            "check that the payload is the raw, complete file (no data: prefix, no second base64 layer), "
            "and export it again if the file itself is damaged"
        ) from exc


def to_rgb8(pixels: npt.NDArray[np.generic]) -> RGB:
    """Return ``pixels`` as a contiguous HxWx3 uint8 RGB array.

    Accepts grey (HxW or HxWx1), RGB, RGBA (alpha composited on white, as a viewer shows it),
    8- or 16-bit integers, booleans and floats in [0, 1]; anything else is a ``ValueError``.
    """
    array = np.asarray(pixels)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4) or array.shape[0] == 0 or array.shape[1] == 0:
        raise UndecodableImage(
            f"expected an HxW, HxWx3 or HxWx4 pixel array, got shape {array.shape}: pass a decoded image"
        )
    values = _to_unit_float(array) if array.dtype != np.uint8 else None
    channels = array.shape[2]
    if values is None:
        if channels == 3:
            return np.ascontiguousarray(array)
        values = array.astype(np.float32) / 255.0
    if channels in (2, 4):
        alpha = values[:, :, -1:]
        values = values[:, :, :-1] * alpha + (1.0 - alpha)
    if values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    return np.ascontiguousarray(np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8))


def _to_unit_float(array: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)  # type: ignore[type-var]
        low = min(int(info.min), 0)
        return ((array.astype(np.float64) - low) / float(int(info.max) - low)).astype(np.float32)
    if np.issubdtype(array.dtype, np.floating):
        # NaN and infinities become black and white rather than poisoning every measure downstream.
        finite = np.nan_to_num(array.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        return np.clip(finite, 0.0, 1.0).astype(np.float32)
    raise UndecodableImage(f"cannot read pixels of dtype {array.dtype}: pass integers, booleans or floats in [0, 1]")
