import copy
import json
import random
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_idclassify import ContractDriftWarning, assert_conforms, validate_response
from pytest_idclassify.catalogue import Tier
from pytest_idclassify.strategies._schema import from_schema
from pytest_idclassify.validation import checked_clauses, load_schema

EXAMPLE_200: dict[str, Any] = {
    "result": {
        "type": "id_card",
        "location": [[275, 125], [860, 165], [916, 634], [255, 633]],
        "confidence": 0.979,
        "alarm_result": {
            "detect_blur_result": True,
            "detect_glare_result": False,
            "detect_blocking_within_border_result": False,
            "detect_insufficient_lighting_result": False,
            "detect_copy_result": False,
            "detect_border_integrity_result": False,
            "detect_reproduce_result": False,
        },
        "alarm_confidence": {
            "blur_score": 98,
            "glare_score": 0,
            "blocking_within_border_score": 0,
            "insufficient_lighting_score": 0,
            "copy_score": 0,
            "border_integrity_score": 0,
            "reproduce_score": 0,
        },
    }
}
EXAMPLE_400 = {"error_code": "AIS.0103", "error_msg": "The image size does not meet the requirements."}


def clauses_of(body: Any, **kwargs: Any) -> set[str]:
    return {v.clause for v in validate_response(body, **kwargs)}


def test_the_pages_200_example_is_an_alarm_response_and_not_a_plain_one() -> None:
    assert validate_response(EXAMPLE_200, status=200, request={"alarm": True}) == []
    assert clauses_of(EXAMPLE_200, status=200, request={"alarm": False}) == {"cross.alarm.present-iff-requested"}
    assert clauses_of(EXAMPLE_200, status=200, request={"data": "x"}) == {"cross.alarm.default-false"}


def test_the_pages_400_example_is_an_error_body() -> None:
    assert validate_response(EXAMPLE_400, status=400) == []
    assert clauses_of(EXAMPLE_400, status=200) == {"response.result", "cross.error.absent-on-success"}


def _broken(path: list[str | int], value: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE_200)
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "clause"),
    [
        (["result", "type"], "drivers_license", "response.result.type"),
        (["result", "alarm_confidence", "blur_score"], 100, "response.alarm-confidence.blur_score"),
        (["result", "alarm_confidence", "glare_score"], -1, "response.alarm-confidence.glare_score"),
        (["result", "alarm_confidence", "copy_score"], 5.5, "response.alarm-confidence.copy_score"),
        (["result", "location"], [[1, 2], [3, 4], [5, 6]], "response.result.location"),
        (["result", "location", 0, 0], -3, "cross.location.inside-image"),
        (["result", "location", 2, 1], 63.5, "response.result.location"),
        (["result", "confidence"], "0.9", "response.result.confidence"),
        (["result", "alarm_result", "detect_copy_result"], KeyError, "response.alarm-result.detect_copy_result"),
        (["result", "alarm_result", "detect_glare_result"], "false", "response.alarm-result.detect_glare_result"),
        (["result", "alarm_confidence"], KeyError, "cross.alarm.present-iff-requested"),
        # Whole values written with a fraction part: JSON Schema's integer takes them, a typed client does not.
        (["result", "location", 1, 0], 860.0, "response.result.location"),
        (["result", "alarm_confidence", "blur_score"], 98.0, "response.alarm-confidence.blur_score"),
        (["result", "alarm_confidence", "glare_score"], json.loads("1e1"), "response.alarm-confidence.glare_score"),
    ],
)
def test_hand_made_broken_responses_name_the_right_clause(path: list[str | int], value: Any, clause: str) -> None:
    assert clauses_of(_broken(path, value), status=200, request={"alarm": True}) == {clause}


def test_integers_parsed_from_their_json_text_pass_and_fractions_do_not() -> None:
    text = json.dumps(EXAMPLE_200)
    assert validate_response(json.loads(text), status=200, request={"alarm": True}) == []
    fractions = json.loads(text.replace('"blur_score": 98', '"blur_score": 98.0').replace("[275, 125]", "[275.0, 125]"))
    found = validate_response(fractions, status=200, request={"alarm": True})
    assert [(v.clause, v.pointer) for v in found] == [
        ("response.result.location", "/result/location/0/0"),
        ("response.alarm-confidence.blur_score", "/result/alarm_confidence/blur_score"),
    ]
    assert "98.0 is written with a fraction part; an Integer is written 98" in [v.message for v in found]


def test_each_missing_field_names_its_own_clause() -> None:
    body = copy.deepcopy(EXAMPLE_200)
    body["result"]["alarm_result"] = {}
    found = {v.clause for v in validate_response(body, status=200, request={"alarm": True})}
    assert found == {f"response.alarm-result.{name}" for name in EXAMPLE_200["result"]["alarm_result"]}


def test_a_negative_corner_breaks_only_the_assumed_clause() -> None:
    # The page says Array<Array<Integer>> and no more: a card cut by the frame may be reported unclipped.
    overhang = _broken(["result", "location", 0, 1], -8)
    assert validate_response(overhang, status=200, request={"alarm": True}, include_assumed=False) == []
    assert clauses_of(overhang, status=200, request={"alarm": True}) == {"cross.location.inside-image"}


def test_assumed_cross_field_rules() -> None:
    outside = _broken(["result", "location", 2], [1200, 634])
    assert clauses_of(outside, status=200, request={"alarm": True}, image_size=(1000, 700)) == {
        "cross.location.inside-image"
    }
    assert validate_response(outside, status=200, request={"alarm": True}, image_size=(1280, 800)) == []
    counter = _broken(["result", "location"], [[275, 125], [255, 633], [916, 634], [860, 165]])
    assert clauses_of(counter, status=200, request={"alarm": True}) == {"cross.location.clockwise"}
    mismatch = _broken(["result", "alarm_result", "detect_blur_result"], False)
    assert clauses_of(mismatch, status=200, request={"alarm": True}) == {"cross.alarm.result-matches-score"}
    assert validate_response(mismatch, status=200, request={"alarm": True}, include_assumed=False) == []
    assert clauses_of(_broken(["result", "confidence"], 1.5), status=200) == {"cross.confidence.range"}


def _location_rule(location: list[list[int]], image_size: tuple[int, int] | None) -> list[tuple[str, str]]:
    # The two location clauses as the catalogue states them, written plainly and apart from the validator.
    out = []
    for index, (x, y) in enumerate(location):
        outside = not (0 <= x < image_size[0] and 0 <= y < image_size[1]) if image_size else min(x, y) < 0
        if outside:
            out.append(("cross.location.inside-image", f"/result/location/{index}"))
    area2 = sum(location[i][0] * location[(i + 1) % 4][1] - location[(i + 1) % 4][0] * location[i][1] for i in range(4))
    top_left = min(range(4), key=lambda i: (location[i][0] + location[i][1], location[i][1]))
    if area2 <= 0 or top_left != 0:
        out.append(("cross.location.clockwise", "/result/location"))
    return out


def test_the_location_checks_follow_their_rules() -> None:
    # Small coordinates, so that ties for the top-left corner, collinear and negative points come often.
    rng = random.Random(4)
    for _ in range(4000):
        location = [[rng.randint(-3, 12), rng.randint(-3, 12)] for _ in range(4)]
        image_size = None if rng.random() < 0.5 else (rng.randint(1, 12), rng.randint(1, 12))
        body = _broken(["result", "location"], location)
        found = [
            (v.clause, v.pointer)
            for v in validate_response(body, status=200, request={"alarm": True}, image_size=image_size)
            if v.clause.startswith("cross.location.")
        ]
        assert found == _location_rule(location, image_size), (location, image_size)


def test_error_bodies() -> None:
    assert clauses_of({"error_code": "AIS.0103"}, status=400) == {"response.error.error_msg"}
    assert clauses_of({**EXAMPLE_400, "error_msg": "Image too small."}, status=400) == {"error.AIS.0103"}
    assert clauses_of(EXAMPLE_400, status=500) == {"error.AIS.0103"}
    assert clauses_of({**EXAMPLE_400, "result": {}}, status=400) == {"cross.result.absent-on-failure"}
    auth = {"error_code": "APIG.0301", "error_msg": "Incorrect IAM authentication information: decrypt token fail"}
    assert validate_response(auth, status=401) == []
    limit = "The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute"
    throttled = {"error_code": "APIG.0308", "error_msg": limit}
    assert validate_response(throttled, status=429) == []
    assert validate_response({"error_code": "APIG.0201", "error_msg": "Backend timeout."}, status=504) == []
    assert validate_response({"error_code": "APIG.0201", "error_msg": "Request entity too large."}, status=413) == []
    assert clauses_of("<html>bad gateway</html>", status=400) == {"response.error.error_code"}


def test_request_id_header_is_checked_when_headers_are_given() -> None:
    assert clauses_of(EXAMPLE_400, status=400, headers={"content-type": "application/json"}) == {"behaviour.request-id"}
    assert (
        validate_response(EXAMPLE_400, status=400, headers={"X-Request-Id": "abc", "Content-Type": "application/json"})
        == []
    )


JSON_LABELS = ["application/json", "application/json;charset=utf-8", "Application/JSON; Charset=UTF-8", "a/x+json"]


@pytest.mark.parametrize("label", JSON_LABELS)
def test_a_json_answer_labelled_json_passes(label: str) -> None:
    assert validate_response(EXAMPLE_400, status=400, headers={"X-Request-Id": "a", "Content-Type": label}) == []


@pytest.mark.parametrize("label", ["application/xml", "text/plain", "text/html; charset=utf-8", None])
def test_a_json_answer_labelled_otherwise_breaks_the_content_type_clause(label: str | None) -> None:
    headers = {"X-Request-Id": "a", **({"Content-Type": label} if label else {})}
    assert clauses_of(EXAMPLE_400, status=400, headers=headers) == {"behaviour.json-content-type"}
    # A body that is not JSON is judged by the body clauses, whatever its label.
    assert "behaviour.json-content-type" not in clauses_of("<html>bad gateway</html>", status=502, headers=headers)


def test_unknown_fields_drift_by_default_and_violate_when_strict() -> None:
    body = _broken(["result", "side"], "front")
    with pytest.warns(ContractDriftWarning, match=r"/result/side: undocumented field 'side'"):
        assert validate_response(body, status=200, request={"alarm": True}) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clauses_of(body, status=200, request={"alarm": True}, strict=True) == {"response.result"}
    with pytest.warns(ContractDriftWarning, match="undocumented error code"):
        assert validate_response({"error_code": "AIS.0199", "error_msg": "New."}, status=400) == []
    assert clauses_of({"error_code": "AIS.0199", "error_msg": "New."}, status=400, strict=True) == {
        "cross.error.message-matches-code"
    }


def test_assert_conforms_lists_every_violation_with_pointer_clause_and_rule() -> None:
    body = _broken(["result", "alarm_confidence", "blur_score"], 100)
    body["result"]["type"] = "visa"
    with pytest.raises(AssertionError) as failure:
        assert_conforms(body, status=200, request={"alarm": True})
    text = str(failure.value)
    assert text.startswith("response does not conform to the Auto ID Document Classification contract (2 violations):")
    assert "/result/alarm_confidence/blur_score: 100 is greater than the maximum of 99" in text
    assert "clause response.alarm-confidence.blur_score: `result.alarm_confidence.blur_score` is an Integer" in text
    assert "source: Table 7, row blur_score" in text
    assert "clause response.result.type" in text
    assert_conforms(EXAMPLE_200, status=200, request={"alarm": True})


def test_a_failing_assert_conforms_shows_the_test_and_the_violations_not_the_toolkits_source(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "from pytest_idclassify import assert_conforms\n\n"
        "def test_answer():\n"
        "    assert_conforms({'result': {'type': 'visa'}}, status=200)\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "assert_conforms({'result': {'type': 'visa'}}, status=200)" in output
    assert "clause response.result.type" in output
    assert "violations = validate_response(" not in output and "_validate.py" not in output


# Property tests: whatever the generated schemas allow validates, and breaking one field's type is caught.
@given(body=from_schema(load_schema("response-alarm.schema.json")))
def test_bodies_drawn_from_the_alarm_schema_validate(body: dict[str, Any]) -> None:
    # The schemas state the documented shape; inferred and assumed rules lie beyond them.
    found = validate_response(body, status=200, request={"alarm": True})
    assert [v for v in found if v.tier is Tier.DOCUMENTED] == []


@given(body=from_schema(load_schema("error.schema.json")))
def test_bodies_drawn_from_the_error_schema_pass_the_schema(body: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ContractDriftWarning)
        found = validate_response(body, status=400)
    # Random codes are drift, not violations; nothing of the body's shape may be reported.
    assert [v for v in found if v.clause.startswith(("response.", "cross."))] == []


_WRONG_TYPE = {"string": 7, "integer": "7", "number": "0.5", "boolean": "true", "array": {"x": 1}, "object": [1]}


def _leaves(body: Any, schema: dict[str, Any], path: list[Any]) -> list[tuple[list[Any], str]]:
    """Every (path, JSON type) of a body whose schema names a type, resolving local $defs."""
    if "$ref" in schema:
        schema = load_schema("response-alarm.schema.json")["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    out = [(path, schema["type"])] if path and "type" in schema else []
    if isinstance(body, dict):
        for key, value in body.items():
            out += _leaves(value, schema["properties"][key], [*path, key])
    elif isinstance(body, list):
        for index, value in enumerate(body):
            out += _leaves(value, schema["items"], [*path, index])
    return out


@given(body=from_schema(load_schema("response-alarm.schema.json")), data=st.data())
def test_breaking_any_one_fields_type_is_caught(body: dict[str, Any], data: st.DataObject) -> None:
    leaves = _leaves(body, load_schema("response-alarm.schema.json"), [])
    path, json_type = data.draw(st.sampled_from(leaves))
    broken = json.loads(json.dumps(body))
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = _WRONG_TYPE[json_type]
    assert [v for v in validate_response(broken, status=200, request={"alarm": True}) if not v.assumed]


def test_a_result_under_another_2xx_status_is_one_status_fault() -> None:
    found = validate_response(EXAMPLE_200, status=201, request={"alarm": True})
    assert [(v.clause, v.message) for v in found] == [
        (
            "behaviour.statuses",
            "HTTP 201 is not a documented status: the API answers 200 with a result, or an error "
            "status with an error body",
        )
    ]
    assert checked_clauses(EXAMPLE_200, status=201) == set()


def test_an_answer_that_is_no_json_object_exercises_only_the_clause_it_breaks() -> None:
    page = "<!DOCTYPE HTML><html><body>Unsupported method ('POST')</body></html>"
    assert clauses_of(page, status=501) == {"behaviour.statuses", "response.error.error_code"}
    # Neither the message nor the absence of a result can pass on a page that is no error body.
    assert checked_clauses(page, status=501) == {"response.error.error_code"}
    assert "response.error.error_msg" in checked_clauses(EXAMPLE_400, status=400)
    assert checked_clauses(page, status=200, request={"alarm": True}) == {"response.result"}
    assert "response.alarm-result" in checked_clauses(EXAMPLE_200, status=200, request={"alarm": True})


pytest_plugins = ["pytester"]
