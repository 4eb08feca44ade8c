"""pytest-idclassify: contract testing for Huawei Cloud OCR's Auto ID Document Classification API.

The public names are loaded on first use (PEP 562), so importing the package, and so loading the
pytest plugin, stays cheap for suites that use none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_idclassify._lazy import lazy_exports as _lazy_exports
from pytest_idclassify.errors import (
    BudgetExceededError,
    CalibrationError,
    CassetteError,
    ConfigurationError,
    IdClassifyError,
    ImageSpecError,
    SchemaStaleError,
    SignatureRejected,
    SigningError,
    TableError,
    TransportError,
)

if TYPE_CHECKING:
    from pytest_idclassify.catalogue import Clause, ErrorSpec, Kind, Tier, catalogue, clause, clauses
    from pytest_idclassify.client import (
        AkSkAuth,
        AsyncIdClassifyClient,
        CallBudget,
        ClientConfig,
        IdClassifyClient,
        Outcome,
        TokenAuth,
        verify_aksk,
    )
    from pytest_idclassify.emulator import EmulatorSettings, create_app
    from pytest_idclassify.images import ImageRecipe, probe, render_scene
    from pytest_idclassify.validation import ContractDriftWarning, Violation, assert_conforms, validate_response

_LAZY = {
    "Clause": "catalogue", "ErrorSpec": "catalogue", "Kind": "catalogue", "Tier": "catalogue",
    "catalogue": "catalogue", "clause": "catalogue", "clauses": "catalogue",
    "AkSkAuth": "client", "AsyncIdClassifyClient": "client", "CallBudget": "client", "ClientConfig": "client",
    "IdClassifyClient": "client", "Outcome": "client", "TokenAuth": "client", "verify_aksk": "client",
    "EmulatorSettings": "emulator", "create_app": "emulator",
    "ImageRecipe": "images", "probe": "images", "render_scene": "images",
    "ContractDriftWarning": "validation", "Violation": "validation", "assert_conforms": "validation",
    "validate_response": "validation",
}  # fmt: skip

__all__ = [
    "AkSkAuth",
    "AsyncIdClassifyClient",
    "BudgetExceededError",
    "CalibrationError",
    "CallBudget",
    "CassetteError",
    "Clause",
    "ClientConfig",
    "ConfigurationError",
    "ContractDriftWarning",
    "EmulatorSettings",
    "ErrorSpec",
    "IdClassifyClient",
    "IdClassifyError",
    "ImageRecipe",
    "ImageSpecError",
    "Kind",
    "Outcome",
    "SchemaStaleError",
    "SignatureRejected",
    "SigningError",
    "TableError",
    "Tier",
    "TokenAuth",
    "TransportError",
    "Violation",
    "assert_conforms",
    "catalogue",
    "clause",
    "clauses",
    "create_app",
    "probe",
    "render_scene",
    "validate_response",
    "verify_aksk",
]


# Not for type checkers, which read the imports above (see lazy_exports).
if not TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(
        __name__, {name: f"pytest_idclassify.{module}" for name, module in _LAZY.items()}, __all__
    )
