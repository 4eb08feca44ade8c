"""A strategy that draws JSON values from the generated schemas.

The generated schemas use a small, fixed subset of JSON Schema (object, array, string, integer,
number, boolean; properties, required, additionalProperties, enum, minimum, maximum, items,
minItems, maxItems, maxLength and local ``$ref``), so a strategy for exactly that subset is short,
fast and shrinks well: optional properties shrink away, numbers toward zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

_SUPPORTED = frozenset({
    "type", "properties", "required", "additionalProperties", "enum", "minimum", "maximum", "items",
    "minItems", "maxItems", "maxLength", "$ref", "$defs", "$schema", "$id", "title", "description",
    "default", "contentEncoding",
})  # fmt: skip


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"only local '#/$defs/...' references are supported, got {ref!r}")
        schema = root["$defs"][ref.removeprefix("#/$defs/")]
    return schema


def _strategy(schema: Mapping[str, Any], root: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    schema = _resolve(schema, root)
    unknown = {k for k in schema if not k.startswith("x-")} - _SUPPORTED
    if unknown:
        raise ValueError(f"from_schema does not support the keywords {sorted(unknown)}")
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        required = {name: _strategy(props[name], root) for name in schema.get("required", [])}
        optional = {name: _strategy(s, root) for name, s in props.items() if name not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "array":
        return st.lists(_strategy(schema["items"], root), min_size=schema.get("minItems", 0),
                        max_size=schema.get("maxItems", 8))  # fmt: skip
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.text(max_size=min(schema.get("maxLength", 40), 40))
    raise ValueError(f"from_schema needs a 'type' or 'enum' in {dict(schema)!r:.120}")


def from_schema(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Return a strategy for JSON values valid against one of the generated schemas.

    Supports the subset of JSON Schema the generator writes and raises ``ValueError`` at once,
    naming the keyword, for anything else.  Examples shrink toward the fewest optional properties,
    the shortest strings and the smallest numbers.
    """
    return _strategy(schema, schema)
