"""Turn a calibration into emulator settings, so the emulator answers as the calibrated server did.

The emulator follows what it has a setting for: the code of each undocumented refusal, the
reading of the base64 limit, the strictness of base64 and the alarm threshold.  Statuses follow
the documented table of the code, and choices the emulator has no setting for are left as they are.
"""

from __future__ import annotations

from typing import Any

from pytest_idclassify.calibration._file import Calibration
from pytest_idclassify.catalogue import ALARM_THRESHOLD, BASE64_LIMIT_BINARY, BASE64_LIMIT_DECIMAL

#: assumed clause -> the emulator setting that holds the error code it chooses.
CODE_SETTINGS: dict[str, str] = {
    "request.body.json": "code_invalid_json",
    "request.data.base64-max.code": "code_base64_too_long",
    "request.data-url.neither": "code_neither",
    "request.data.base64-noncanonical": "code_noncanonical_base64",
    "request.url.chinese-raw.code": "code_raw_non_ascii_url",
    "request.url.schemes.code": "code_url_refused",
    "request.url.fetch-failure.code": "code_url_fetch_failed",
    "request.image.undecodable": "code_undecodable",
    "request.image.no-document": "code_no_document",
    "uri.project-id.mismatch": "code_project_mismatch",
}


def emulator_settings(calibration: Calibration) -> dict[str, Any]:
    """The emulator settings (field name -> value) that reproduce the calibrated choices."""
    out: dict[str, Any] = {}
    for clause_id, setting in CODE_SETTINGS.items():
        entry = calibration.entry(clause_id)
        if entry is not None and entry.reading == "refused" and entry.evidence is not None and entry.evidence.code:
            out[setting] = entry.evidence.code
    noncanonical = calibration.entry("request.data.base64-noncanonical")
    if noncanonical is not None and noncanonical.reading == "served":
        out["strict_base64"] = False
    reading = calibration.entry("request.data.base64-binary-reading")
    if reading is not None and reading.reading in ("binary", "decimal"):
        out["base64_limit"] = BASE64_LIMIT_BINARY if reading.reading == "binary" else BASE64_LIMIT_DECIMAL
    threshold = calibration.entry("cross.alarm.result-matches-score")
    if threshold is not None and threshold.low is not None and threshold.high is not None:
        # Any threshold in the range explains what was seen; the documented default when it fits.
        out["alarm_threshold"] = min(max(ALARM_THRESHOLD, threshold.low), threshold.high)
    return out
