"""Calibration: what a real server answers where the documentation is silent, written down once.

:func:`observe` runs the assumed-choice cases against a target and returns a :class:`Calibration`,
which :meth:`Calibration.write` saves as a versioned TOML file (``idclassify calibrate``).
:func:`load_calibration` reads one back; :func:`hold` judges a case's answers by it (``verify
--calibration``), and :func:`emulator_settings` turns it into emulator settings (``serve
--calibration``).  A bad file raises :class:`CalibrationError` naming the file, the entry and the fix.

Names load on first use (PEP 562): the plugin checks a calibration file at start-up, which must not
pull in the client or the checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_idclassify._lazy import lazy_exports as _lazy_exports

if TYPE_CHECKING:
    from pytest_idclassify.calibration._emulator import emulator_settings
    from pytest_idclassify.calibration._file import (
        FORMAT,
        Calibration,
        Entry,
        Observation,
        load_calibration,
        parse_calibration,
    )
    from pytest_idclassify.calibration._hold import calibrated_record, hold, tier_of
    from pytest_idclassify.calibration._observe import calibration_cases, observe
    from pytest_idclassify.errors import CalibrationError

_FILE = "pytest_idclassify.calibration._file"
_HOLD = "pytest_idclassify.calibration._hold"
_LAZY = {
    "FORMAT": _FILE, "Calibration": _FILE, "Entry": _FILE, "Observation": _FILE, "load_calibration": _FILE,
    "parse_calibration": _FILE, "CalibrationError": "pytest_idclassify.errors",
    "emulator_settings": "pytest_idclassify.calibration._emulator",
    "hold": _HOLD, "calibrated_record": _HOLD, "tier_of": _HOLD,
    "calibration_cases": "pytest_idclassify.calibration._observe", "observe": "pytest_idclassify.calibration._observe",
}  # fmt: skip

__all__ = [
    "FORMAT",
    "Calibration",
    "CalibrationError",
    "Entry",
    "Observation",
    "calibrated_record",
    "calibration_cases",
    "emulator_settings",
    "hold",
    "load_calibration",
    "observe",
    "parse_calibration",
    "tier_of",
]

# Not for type checkers, which read the imports above (see lazy_exports).
if not TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
