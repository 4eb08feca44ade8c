"""The compiled fast check and the per-clause validator agree on every body the tests know.

``validate_response`` accepts a body at once when the compiled check (jsonschema-rs) says it
conforms, and walks the per-clause validator only otherwise.  That changes no result exactly when
the fast check accepts nothing the per-clause validator rejects and rejects nothing it accepts:
checked here on the response bodies of every shipped cassette, the hand-made bodies of the
validation tests, and bodies drawn from the schemas with one field broken.
"""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any

import pytest
import test_validation
from hypothesis import given
from hypothesis import strategies as st

from pytest_idclassify import ContractDriftWarning, validate_response
from pytest_idclassify._paths import cassettes_dir
from pytest_idclassify.strategies._schema import from_schema
from pytest_idclassify.validation import compiled_validator, load_schema
from pytest_idclassify.validation._schemas import fast_check

RESPONSE_SCHEMAS = ("response.schema.json", "response-alarm.schema.json", "error.schema.json")


def _cassette_bodies() -> list[Any]:
    bodies = []
    for path in sorted(cassettes_dir().rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for interaction in document.get("interactions", []):
            body = interaction["response"].get("body") or {}
            if "json" in body:
                bodies.append(body["json"])
    return bodies


def _hand_made_bodies() -> list[Any]:
    # The broken bodies the validation tests check clause by clause, from their own parameter list.
    marks = test_validation.test_hand_made_broken_responses_name_the_right_clause.pytestmark  # type: ignore[attr-defined]
    cases = next(mark.args[1] for mark in marks if mark.name == "parametrize")
    bodies: list[Any] = [test_validation._broken(path, value) for path, value, _ in cases]
    base = test_validation.EXAMPLE_200
    error = test_validation.EXAMPLE_400
    bodies += [base, error, {"error_code": "AIS.0103"}, {**error, "result": {}}]
    bodies += [{"result": {**base["result"], "side": "front"}}, {"error_code": "AIS.0199", "error_msg": "New."}]
    bodies += [{}, [], "text", None, 7, {"result": None}, {"result": {**base["result"], "confidence": True}}]
    floats = copy.deepcopy(base)
    floats["result"]["alarm_confidence"]["blur_score"] = 98.0  # an integral float is an integer to JSON Schema
    floats["result"]["location"][0][0] = 275.0
    huge = copy.deepcopy(base)
    huge["result"]["location"][0][0] = 10**30
    bodies += [floats, huge, {"result": {**base["result"], "type": "身份证"}}, {1: "non-string key"}]
    return bodies


def _agrees(body: Any, schema: str) -> None:
    slow = [error.message for error in compiled_validator(schema).iter_errors(body)]
    assert fast_check(schema)(body) == (not slow), f"{schema}: fast {fast_check(schema)(body)}, per-clause {slow}"


def test_there_are_shipped_bodies_to_compare() -> None:
    bodies = _cassette_bodies()
    assert len(bodies) >= 140
    assert any("result" in body for body in bodies) and any("error_code" in body for body in bodies)


@pytest.mark.parametrize("schema", RESPONSE_SCHEMAS)
def test_both_paths_agree_on_every_recorded_and_hand_made_body(schema: str) -> None:
    for body in _cassette_bodies() + _hand_made_bodies():
        _agrees(body, schema)


def test_the_fast_path_reports_what_the_per_clause_path_reports() -> None:
    # A failing body still gets its clauses and drift from the per-clause path, word for word.
    broken = test_validation._broken(["result", "alarm_confidence", "blur_score"], 100)
    assert [v.clause for v in validate_response(broken, status=200, request={"alarm": True})] == [
        "response.alarm-confidence.blur_score"
    ]
    with pytest.warns(ContractDriftWarning, match="undocumented field 'side'"):
        validate_response({"result": {**test_validation.EXAMPLE_200["result"], "side": "front"}}, status=200,
                          request={"alarm": True})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert validate_response(test_validation.EXAMPLE_200, status=200, request={"alarm": True}) == []


@pytest.mark.parametrize("schema", RESPONSE_SCHEMAS)
@given(data=st.data())
def test_both_paths_agree_on_drawn_bodies_with_one_leaf_replaced(schema: str, data: st.DataObject) -> None:
    body = data.draw(from_schema(load_schema(schema)))
    _agrees(body, schema)
    leaves = _paths(body)
    if leaves:
        path = data.draw(st.sampled_from(leaves))
        broken = json.loads(json.dumps(body))
        node = broken
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = data.draw(st.sampled_from([7, -1, 100, 0.5, 98.0, "7", True, None, [], {}, [[1, 2]]]))
        _agrees(broken, schema)


def _paths(body: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(body, dict):
        for key, value in body.items():
            out += _paths(value, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            out += _paths(value, (*path, index))
    return out


def test_the_fast_check_is_the_one_validate_response_uses() -> None:
    # Each response schema has a compiled check; a body it cannot take falls back instead of raising.
    for schema in RESPONSE_SCHEMAS:
        assert fast_check(schema) is fast_check(schema)
        assert fast_check(schema)({1: "x"}) is False
