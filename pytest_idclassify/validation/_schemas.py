"""The generated JSON Schemas, loaded and compiled once per process."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from pytest_idclassify._paths import schemas_dir

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_FILES = ("request.schema.json", "response.schema.json", "response-alarm.schema.json", "error.schema.json")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return a generated schema by file name, e.g. ``response-alarm.schema.json``."""
    if name not in SCHEMA_FILES:
        raise KeyError(f"unknown schema {name!r}; the generated schemas are {list(SCHEMA_FILES)}")
    document: dict[str, Any] = json.loads((schemas_dir() / name).read_text(encoding="utf-8"))
    return document


@cache
def compiled_validator(name: str) -> Draft202012Validator:
    """Return the compiled validator of a generated schema, built once and reused."""
    # Imported here: only a body the fast check rejects needs explaining, and most runs have none.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def fast_check(name: str) -> Callable[[Any], bool]:
    """Return a compiled yes/no check of a generated schema (jsonschema-rs), built once and reused.

    It only answers whether a body conforms; :func:`compiled_validator` explains why one does not.
    A body the check cannot take (a mapping with non-string keys...) counts as not conforming, so
    the caller falls back to the explaining validator and reports exactly what it reports.
    """
    validator = jsonschema_rs.validator_for(load_schema(name))

    def conforms(body: Any) -> bool:
        try:
            return bool(validator.is_valid(body))
        except (ValueError, TypeError, OverflowError):
            return False

    return conforms
