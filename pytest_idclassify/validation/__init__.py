"""Response validation: the generated schemas plus the cross-field rules, reported per clause."""

from __future__ import annotations

from pytest_idclassify.validation._schemas import compiled_validator, load_schema
from pytest_idclassify.validation._threshold import AlarmAnswer, alarm_pairs, explaining, explains, run_violations
from pytest_idclassify.validation._validate import (
    assert_conforms,
    checked_clauses,
    request_image_size,
    validate_response,
)
from pytest_idclassify.validation._violation import ContractDriftWarning, Violation, format_violations

__all__ = [
    "AlarmAnswer",
    "ContractDriftWarning",
    "Violation",
    "alarm_pairs",
    "assert_conforms",
    "checked_clauses",
    "compiled_validator",
    "explaining",
    "explains",
    "format_violations",
    "load_schema",
    "request_image_size",
    "run_violations",
    "validate_response",
]
