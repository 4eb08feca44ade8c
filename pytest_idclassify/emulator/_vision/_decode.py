"""Turn encoded bytes or odd arrays into the one pixel layout the engine works on: HxWx3 uint8 RGB.

Decoding is bounded in memory and in work, whatever the file claims (docs/reference/security.md):

- conversion to 8-bit RGB never makes a full-frame float or 16-bit copy: deep, wide and odd modes
  are converted a strip of rows at a time into the one 8-bit output, and OpenCV's colour swap runs
  in place, so an image within the limits costs its source raster plus its 8-bit raster;
- a progressive JPEG's scans are counted from its markers before anything is decoded, and one with
  more than the caller's limit is refused (each scan is another pass over the whole picture);
- a JPEG can be decoded at 1/2, 1/4 or 1/8 scale in the DCT domain, for callers that need less
  than full resolution.
"""

from __future__ import annotations

import ctypes
import io
import re
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from pytest_idclassify.errors import RecognitionError

RGB = npt.NDArray[np.uint8]

# Pillow refuses images above this many pixels as a "decompression bomb"; the server caps sides at
# 8192, so the engine must accept every 8192 x 8192 image and nothing needs a larger allowance.
_MAX_PIXELS = 8192 * 8192
#: rows converted at a time: a strip's working copies stay a few MB even for the widest picture.
_STRIP_ROWS = 256
#: the scale factors a JPEG decoder offers in the DCT domain, with OpenCV's flag for each.
_REDUCED_FLAGS = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}
# A marker in entropy-coded data: 0xFF followed by anything but a stuffed 0x00, a restart marker or fill.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
#: markers that carry no length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# EXIF orientation (tag 0x0112) -> the OpenCV operations that make the picture upright, as Pillow's
# ImageOps.exif_transpose would, but on the 8-bit array instead of a copy of the source image.
_ORIENT: dict[int, tuple[str, ...]] = {
    2: ("flip_lr",),
    3: ("rot180",),
    4: ("flip_ud",),
    5: ("transpose",),
    6: ("rot90cw",),
    7: ("transpose", "rot180"),
    8: ("rot90ccw",),
}


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


def jpeg_scan_count(data: bytes, *, stop_after: int) -> int:
    """Count the scans (SOS markers) of a JPEG by walking its markers, without decoding anything.

    Marker segments are skipped by their length, entropy-coded data up to its next marker, so bytes
    inside an EXIF block or a thumbnail are never mistaken for a scan; stray bytes between segments
    are skipped as the decoder skips them.  Counting stops once it passes
    ``stop_after``; a stream that ends early just ends the count (the decoder judges it afterwards).
    """
    size = len(data)
    pos, scans = 2, 0
    while pos + 1 < size:
        if data[pos] != 0xFF:
            # libjpeg skips stray bytes before a marker ("extraneous bytes") and decodes on, so must the count.
            pos = data.find(b"\xff", pos)
            if pos < 0:
                break
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0x00:  # a stuffed zero is no marker: libjpeg skips it as extraneous, so does the count
            pos += 2
            continue
        if marker == 0xD9:
            break
        if marker in _STANDALONE:
            pos += 2
            continue
        if pos + 4 > size:
            break
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            scans += 1
            if scans > stop_after:
                break
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                break
            pos = found.start()
    return scans


def _check_scans(data: bytes, max_jpeg_scans: int | None) -> None:
    if max_jpeg_scans is None:
        return
    scans = jpeg_scan_count(data, stop_after=max_jpeg_scans)
    if scans > max_jpeg_scans:
        raise UndecodableImage(
            f"the JPEG has more than {max_jpeg_scans} scans; each one is another pass over the whole picture, "
            "so it is refused before decoding: save it again as a baseline or an ordinary progressive JPEG"
        )


#: TIFF compression codes whose strips (or tiles) are JPEG streams: old-style and new-style JPEG.
_TIFF_JPEG = (6, 7)


def _check_tiff_scans(data: bytes, max_jpeg_scans: int | None) -> None:
    """Hold each JPEG strip or tile of a JPEG-compressed TIFF to the scan limit a JPEG file has."""
    if max_jpeg_scans is None:
        return
    try:
        with Image.open(io.BytesIO(data)) as opened:  # reads the first directory only: no pixel is decoded
            tags = opened.tag_v2
            if tags.get(259) not in _TIFF_JPEG:
                return
            offsets = tags.get(273) or tags.get(324) or ()
            counts = tags.get(279) or tags.get(325) or ()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return  # the decoder judges a file that cannot even be opened
    walked = 0
    for offset, count in sorted(set(zip(offsets, counts, strict=False))):
        # Each distinct stretch once, and no more bytes in all than the file holds: strips that all
        # point at the same bytes must not multiply the count's work.
        walked += count
        if walked > len(data) or offset + count > len(data):
            raise UndecodableImage("the TIFF's JPEG strips overlap or run past the end of the file; export it again")
        if jpeg_scan_count(data[offset : offset + count], stop_after=max_jpeg_scans) > max_jpeg_scans:
            raise UndecodableImage(
                f"a JPEG strip of the TIFF has more than {max_jpeg_scans} scans; each one is another pass over "
                "the strip, so it is refused before decoding: save it again with ordinary compression"
            )


def _orient(rgb: RGB, orientation: int) -> RGB:
    turned: npt.NDArray[np.uint8] | cv2.typing.MatLike = rgb
    for step in _ORIENT.get(orientation, ()):
        if step == "flip_lr":
            turned = cv2.flip(turned, 1)
        elif step == "flip_ud":
            turned = cv2.flip(turned, 0)
        elif step == "rot180":
            turned = cv2.rotate(turned, cv2.ROTATE_180)
        elif step == "rot90cw":
            turned = cv2.rotate(turned, cv2.ROTATE_90_CLOCKWISE)
        elif step == "rot90ccw":
            turned = cv2.rotate(turned, cv2.ROTATE_90_COUNTERCLOCKWISE)
        else:
            turned = cv2.transpose(turned)
    return np.ascontiguousarray(turned, dtype=np.uint8)


def _strip_to_rgb8(strip: Image.Image) -> npt.NDArray[np.uint8]:
    if strip.mode.startswith("I;16"):
        # Pillow's own conversion clips 16-bit grey at 255; scaling keeps the picture's tones.
        return to_rgb8(np.asarray(strip))
    return np.asarray(strip.convert("RGB"), dtype=np.uint8)


def _pillow_rgb8(image: Image.Image) -> RGB:
    """Convert a loaded Pillow image to 8-bit RGB one strip of rows at a time, into one output array."""
    width, height = image.size
    out = np.empty((height, width, 3), np.uint8)
    for top in range(0, height, _STRIP_ROWS):
        bottom = min(height, top + _STRIP_ROWS)
        out[top:bottom] = _strip_to_rgb8(image.crop((0, top, width, bottom)))
    return out


def _decode_with_pillow(data: bytes, scale_down: int) -> tuple[RGB, int]:
    Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, _MAX_PIXELS)
    with Image.open(io.BytesIO(data)) as opened:
        # Multi-page TIFFs answer with their first page, as a scanner's viewer would.
        opened.seek(0)
        factor = 1
        if scale_down > 1 and opened.format == "JPEG":
            width, height = opened.size
            opened.draft("RGB", (-(-width // scale_down), -(-height // scale_down)))
            factor = round(width / opened.size[0])
        opened.load()
        orientation = int(opened.getexif().get(0x0112, 1) or 1)
        rgb = _pillow_rgb8(opened)
    return _orient(rgb, orientation), factor


def decode_image(data: bytes, *, max_jpeg_scans: int | None = None) -> RGB:
    """Decode JPEG, PNG, BMP or TIFF bytes into an HxWx3 uint8 RGB array.

    TIFF goes to Pillow only: OpenCV decodes a TIFF whose strips are corrupt as an all-black
    picture, where Pillow raises.  Other formats go to OpenCV first (it is the fast path, and it
    applies a JPEG's EXIF orientation itself); Pillow takes over for what OpenCV rejects, such as
    BMP variants.  No size or format policy is applied here: that is the caller's business, except
    ``max_jpeg_scans``, which refuses a progressive JPEG with more scans before decoding it.

    Raises:
        UndecodableImage: neither decoder can read the bytes, or the JPEG has too many scans.

    """
    return decode_scaled(data, scale_down=1, max_jpeg_scans=max_jpeg_scans)[0]


def decode_scaled(data: bytes, *, scale_down: int, max_jpeg_scans: int | None = None) -> tuple[RGB, int]:
    """Decode like :func:`decode_image`, a JPEG at ``1/scale_down`` of its size (1, 2, 4 or 8).

    Returns the pixels and the factor actually applied: other formats are always decoded whole (1).
    A reduced JPEG is decoded in the DCT domain: each output pixel is the mean of a
    ``factor`` x ``factor`` block, as an area-averaging downscale gives, for a fraction of the work.
    """
    if scale_down not in (1, *_REDUCED_FLAGS):
        raise ValueError(f"scale_down is {scale_down}; use 1, 2, 4 or 8")
    if not data:
        raise UndecodableImage("cannot decode an image from 0 bytes: send the encoded file's bytes, not an empty body")
    if _is_tiff(data):
        _quiet_libtiff()
        _check_tiff_scans(data, max_jpeg_scans)
        return _pillow_or_raise(data, 1)
    jpeg = _is_jpeg(data)
    if jpeg:
        _check_scans(data, max_jpeg_scans)
    buffer = np.frombuffer(data, dtype=np.uint8)
    if jpeg:
        flags = _REDUCED_FLAGS.get(scale_down, cv2.IMREAD_COLOR)
    else:
        flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        decoded = cv2.imdecode(buffer, flags)
    except cv2.error:
        decoded = None
    if decoded is not None and decoded.size:
        # In place: a second full-size raster only to swap two channels would double the peak.
        cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB, dst=decoded)
        return to_rgb8(decoded), scale_down if jpeg else 1
    return _pillow_or_raise(data, scale_down if jpeg else 1)


def _pillow_or_raise(data: bytes, scale_down: int) -> tuple[RGB, int]:
    try:
        return _decode_with_pillow(data, scale_down)
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
    Anything but 8-bit RGB is converted a strip of rows at a time, so the float working copies
    never span the whole frame.
    """
    array = np.asarray(pixels)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4) or array.shape[0] == 0 or array.shape[1] == 0:
        raise UndecodableImage(
            f"expected an HxW, HxWx3 or HxWx4 pixel array, got shape {array.shape}: pass a decoded image"
        )
    if array.dtype == np.uint8 and array.shape[2] == 3:
        return np.ascontiguousarray(array)
    if array.dtype.kind not in "biuf":
        raise UndecodableImage(
            f"cannot read pixels of dtype {array.dtype}: pass integers, booleans or floats in [0, 1]"
        )
    height, width = array.shape[:2]
    out = np.empty((height, width, 3), np.uint8)
    for top in range(0, height, _STRIP_ROWS):
        out[top : top + _STRIP_ROWS] = _strip_rgb8(array[top : top + _STRIP_ROWS])
    return out


def _strip_rgb8(array: npt.NDArray[np.generic]) -> npt.NDArray[np.uint8]:
    values = _to_unit_float(array) if array.dtype != np.uint8 else array.astype(np.float32) / 255.0
    if values.shape[2] in (2, 4):
        alpha = values[:, :, -1:]
        values = values[:, :, :-1] * alpha + (1.0 - alpha)
    if values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    out: npt.NDArray[np.uint8] = np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)
    return out


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
