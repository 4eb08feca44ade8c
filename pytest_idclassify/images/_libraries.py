"""The libraries whose versions decide an image's bytes: what a cache key and a cassette note name."""

from __future__ import annotations

from functools import cache
from importlib import metadata

# OpenCV ships under several distribution names; whichever is installed provides ``cv2``.
_OPENCV_DISTRIBUTIONS = ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless",
                         "opencv-contrib-python")  # fmt: skip


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def rendering_libraries() -> dict[str, str]:
    """Return the versions of the libraries that render the toolkit's images: Pillow, numpy, OpenCV, ours.

    OpenCV draws the specimens' text and warps their scenes, and its releases change those pixels
    (5.1 sets the same text a few pixels narrower than 5.0), so it is named like the others.
    """
    return dict(_installed())


@cache
def _installed() -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for label, dist in (("Pillow", "pillow"), ("numpy", "numpy"), ("pytest-idclassify", "pytest-idclassify")):
        version = _version(dist)
        if version is not None:
            out[label] = version
    opencv = next((v for v in map(_version, _OPENCV_DISTRIBUTIONS) if v is not None), None)
    if opencv is not None:
        out["OpenCV"] = opencv
    return tuple(sorted(out.items()))
