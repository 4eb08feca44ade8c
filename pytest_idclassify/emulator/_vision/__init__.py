"""The reference emulator's recognition engine: decode, localise, classify and score a document picture.

:func:`analyse` finds the document's quadrilateral, tells which of the nine documented types it is
by comparing its rectified layout with templates drawn from the synthetic specimens, and scores the
seven image-quality alarms from real image measures.  :func:`decode_image` turns encoded bytes into
the RGB pixels it works on; :func:`warm_up` prepares everything before the first picture.
docs/explanation/recognition.md explains every step and measure.
"""

from __future__ import annotations

from pytest_idclassify.emulator._vision._alarms import ALARM_NAMES, DEFAULT_ALARM_THRESHOLD, SCALES, Measures, Scale
from pytest_idclassify.emulator._vision._decode import UndecodableImage, decode_image, to_rgb8
from pytest_idclassify.emulator._vision._engine import Analysis, NoDocumentFound, analyse, set_threads, warm_up

__all__ = [
    "ALARM_NAMES",
    "DEFAULT_ALARM_THRESHOLD",
    "SCALES",
    "Analysis",
    "Measures",
    "NoDocumentFound",
    "Scale",
    "UndecodableImage",
    "analyse",
    "decode_image",
    "set_threads",
    "to_rgb8",
    "warm_up",
]
