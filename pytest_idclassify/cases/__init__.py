"""Contract cases: the calls to make, the clause each exercises, and what the documentation requires.

A :class:`Case` is built from image recipes, never from rendered bytes, so a gate profile of a
hundred cases costs nothing until it is sent.
"""

from __future__ import annotations

from pytest_idclassify.cases._gate import PER_ANSWER_CLAUSES, SCORE_DEGRADATIONS, fixed_cases, gate_cases, sampled_cases
from pytest_idclassify.cases._model import (
    VALIDATION_CODES,
    Auth,
    Call,
    Case,
    Expect,
    ImageSource,
    Relation,
    UrlImage,
)

__all__ = [
    "PER_ANSWER_CLAUSES",
    "SCORE_DEGRADATIONS",
    "VALIDATION_CODES",
    "Auth",
    "Call",
    "Case",
    "Expect",
    "ImageSource",
    "Relation",
    "UrlImage",
    "fixed_cases",
    "gate_cases",
    "sampled_cases",
]
