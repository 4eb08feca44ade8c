"""pytest-idclassify: contract testing for Huawei Cloud OCR's Auto ID Document Classification API."""

from __future__ import annotations

from pytest_idclassify.catalogue import Clause, ErrorSpec, Kind, catalogue, clause, clauses
from pytest_idclassify.errors import (
    BudgetExceededError,
    CassetteError,
    ConfigurationError,
    IdClassifyError,
    ImageSpecError,
    SchemaStaleError,
    SigningError,
    TableError,
    TransportError,
)
from pytest_idclassify.validation import ContractDriftWarning, Violation, assert_conforms, validate_response

__all__ = [
    "BudgetExceededError",
    "CassetteError",
    "Clause",
    "ConfigurationError",
    "ContractDriftWarning",
    "ErrorSpec",
    "IdClassifyError",
    "ImageSpecError",
    "Kind",
    "SchemaStaleError",
    "SigningError",
    "TableError",
    "TransportError",
    "Violation",
    "assert_conforms",
    "catalogue",
    "clause",
    "clauses",
    "validate_response",
]
