"""The machinery of the contract suite: settings, targets, checks and records (the plugin wires it).

Names load on first use (PEP 562): the plugin resolves its settings at start-up through
``pytest_idclassify.suite._config``, which must not pull in the client, the emulator or Pillow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_idclassify._lazy import lazy_exports as _lazy_exports

if TYPE_CHECKING:
    from pytest_idclassify._options import OPTIONS, Option
    from pytest_idclassify.suite._checks import Verdict, check_case
    from pytest_idclassify.suite._config import SuiteConfig, resolve
    from pytest_idclassify.suite._preflight import Preflight, PreflightError, preflight
    from pytest_idclassify.suite._records import case_record, error_record, skipped_record
    from pytest_idclassify.suite._target import Exchange, Target, open_target

_LAZY = {
    "OPTIONS": "pytest_idclassify._options", "Option": "pytest_idclassify._options",
    "Verdict": "pytest_idclassify.suite._checks", "check_case": "pytest_idclassify.suite._checks",
    "SuiteConfig": "pytest_idclassify.suite._config", "resolve": "pytest_idclassify.suite._config",
    "Preflight": "pytest_idclassify.suite._preflight", "PreflightError": "pytest_idclassify.suite._preflight",
    "preflight": "pytest_idclassify.suite._preflight",
    "case_record": "pytest_idclassify.suite._records", "skipped_record": "pytest_idclassify.suite._records",
    "error_record": "pytest_idclassify.suite._records",
    "Exchange": "pytest_idclassify.suite._target", "Target": "pytest_idclassify.suite._target",
    "open_target": "pytest_idclassify.suite._target",
}  # fmt: skip

__all__ = [
    "OPTIONS",
    "Exchange",
    "Option",
    "Preflight",
    "PreflightError",
    "SuiteConfig",
    "Target",
    "Verdict",
    "case_record",
    "check_case",
    "error_record",
    "open_target",
    "preflight",
    "resolve",
    "skipped_record",
]


# Not for type checkers, which read the imports above (see lazy_exports).
if not TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
