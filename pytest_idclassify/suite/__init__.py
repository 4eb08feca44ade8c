"""The machinery of the contract suite: settings, targets, checks and records (the plugin wires it)."""

from __future__ import annotations

from pytest_idclassify._options import OPTIONS, Option
from pytest_idclassify.suite._checks import Verdict, check_case
from pytest_idclassify.suite._config import SuiteConfig, resolve
from pytest_idclassify.suite._records import case_record, skipped_record
from pytest_idclassify.suite._target import Exchange, Target, open_target

__all__ = [
    "OPTIONS",
    "Exchange",
    "Option",
    "SuiteConfig",
    "Target",
    "Verdict",
    "case_record",
    "check_case",
    "open_target",
    "resolve",
    "skipped_record",
]
