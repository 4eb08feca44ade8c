"""The generated JSON Schemas, loaded and compiled once per process."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from pytest_idclassify._paths import schemas_dir

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
    return Draft202012Validator(load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)
