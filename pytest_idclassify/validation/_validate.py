"""Check a response body (and its status and headers) against every clause that can be checked on it."""

from __future__ import annotations

import base64
import binascii
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from pytest_idclassify._tables import documented_tables
from pytest_idclassify.catalogue import ALARM_THRESHOLD, clause, error_clause_for
from pytest_idclassify.errors import IdClassifyError
from pytest_idclassify.validation._schemas import compiled_validator, fast_check
from pytest_idclassify.validation._threshold import alarm_pairs, answer_violations, explains, flag_name
from pytest_idclassify.validation._violation import ContractDriftWarning, Violation, format_violations

if TYPE_CHECKING:
    from jsonschema import ValidationError

#: an alarm threshold: one score, or the (lowest, highest) of the thresholds a calibration allows.
Threshold = int | tuple[int, int]
_RESULT_FIELDS = ("type", "location", "confidence")
_ALARM_OBJECTS = {"alarm_result": "response.alarm-result", "alarm_confidence": "response.alarm-confidence"}
#: how much of a base64 ``data`` value is decoded to read the image's size from its header.
_PROBE_CHARS = 64 * 1024


def _pointer(path: Iterable[Any]) -> str:
    return "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in path)


def _missing_name(error: ValidationError) -> str | None:
    """The property a ``required`` error is about: jsonschema gives one error per missing property."""
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [str(name) for name in cast(list[str], error.validator_value) if name not in error.instance]
        # Its message names the property; the first missing one stands in for a message worded otherwise.
        named = [name for name in missing if error.message.startswith(f"{name!r} ")]
        return next(iter(named or missing), None)
    return None


def _extra_names(error: ValidationError) -> list[str]:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(cast(Mapping[str, Any], error.schema).get("properties", {}))
        return [str(k) for k in error.instance if k not in allowed]
    return []


def _success_clause(error: ValidationError, alarm_requested: bool | None) -> str:
    """Map a schema error in a 200 body to the clause it breaks, from where it happened."""
    path = list(error.absolute_path)
    missing = _missing_name(error)
    if not path:
        return "response.result"
    if path == ["result"]:
        if missing in _ALARM_OBJECTS:
            return "cross.alarm.present-iff-requested"
        if missing in _RESULT_FIELDS:
            return f"response.result.{missing}"
        return "response.result"
    name = str(path[1])
    if name in _ALARM_OBJECTS:
        base = _ALARM_OBJECTS[name]
        if len(path) == 2:
            return f"{base}.{missing}" if missing else base
        return f"{base}.{path[2]}"
    return f"response.result.{name}" if name in _RESULT_FIELDS else "response.result"


def _error_clause(error: ValidationError) -> str:
    path = list(error.absolute_path)
    missing = _missing_name(error)
    if missing:
        return f"response.error.{missing}"
    if path and str(path[0]) in ("error_code", "error_msg"):
        return f"response.error.{path[0]}"
    return "response.error.error_code"


def _schema_violations(
    body: Any, schema: str, *, strict: bool, to_clause: Callable[[ValidationError], str], drift: list[str]
) -> list[Violation]:
    # Most answers conform: a compiled check accepts them at once; only a failing body is walked
    # clause by clause (and a conforming one has no undocumented field to report as drift either).
    if fast_check(schema)(body):
        return []
    violations = []
    for error in compiled_validator(schema).iter_errors(body):
        extras = _extra_names(error)
        if extras:
            where = _pointer(error.absolute_path)
            for name in extras:
                known_elsewhere = {"error_code", "error_msg"} if schema.startswith("response") else {"result"}
                if name in known_elsewhere:
                    cid = "cross.error.absent-on-success" if name != "result" else "cross.result.absent-on-failure"
                    violations.append(Violation(cid, f"{where}/{name}", f"unexpected field {name!r} in this body"))
                elif strict:
                    violations.append(Violation(to_clause(error), f"{where}/{name}", f"undocumented field {name!r}"))
                else:
                    drift.append(f"{where}/{name}: undocumented field {name!r}")
            continue
        violations.append(Violation(to_clause(error), _pointer(error.absolute_path), error.message))
    return violations


def request_image_size(request: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """Read (width, height) from the header of the request's base64 image, when it can be read cheaply."""
    data = request.get("data") if request else None
    if not isinstance(data, str) or not data:
        return None
    head = data[:_PROBE_CHARS]
    head = head[: len(head) - len(head) % 4]
    try:
        raw = base64.b64decode(head, validate=True)
        from pytest_idclassify.images import probe

        info = probe(raw)
    except (binascii.Error, ValueError, IdClassifyError):  # an unreadable header only leaves the size unknown
        return None
    return (int(info.width), int(info.height))


def _four_integer_points(location: Any) -> bool:
    """Whether ``location`` is four [x, y] lists of JSON integers (plain loops: every answer passes here)."""
    if not (isinstance(location, list) and len(location) == 4):
        return False
    for point in location:
        if not (isinstance(point, list) and len(point) == 2):
            return False
        for value in point:
            if not isinstance(value, int) or isinstance(value, bool):
                return False
    return True


def _location_violations(location: Any, image_size: tuple[int, int] | None) -> list[Violation]:
    if not _four_integer_points(location):
        return []  # the schema already reports the shape
    out = []
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = location
    # A negative coordinate lies outside any image, so it is reported even when the size is unknown.
    if image_size is not None or min(x0, y0, x1, y1, x2, y2, x3, y3) < 0:
        for index, (x, y) in enumerate(location):
            if image_size is not None and not (0 <= x < image_size[0] and 0 <= y < image_size[1]):
                where = f"the {image_size[0]}x{image_size[1]} image"
            elif image_size is None and min(x, y) < 0:
                where = "the image (a coordinate is negative)"
            else:
                continue
            out.append(Violation("cross.location.inside-image", f"/result/location/{index}",
                                 f"point [{x}, {y}] lies outside {where}"))  # fmt: skip
    # Shoelace sum: positive for clockwise order when y grows downwards, as in image coordinates.
    area2 = x0 * y1 - x1 * y0 + x1 * y2 - x2 * y1 + x2 * y3 - x3 * y2 + x3 * y0 - x0 * y3
    # The top-left corner has the smallest x + y (then the smallest y); on a tie the first listed counts.
    first = (x0 + y0, y0)
    first_is_top_left = first <= (x1 + y1, y1) and first <= (x2 + y2, y2) and first <= (x3 + y3, y3)
    if area2 <= 0 or not first_is_top_left:
        out.append(Violation("cross.location.clockwise", "/result/location",
                             f"{location} is not listed clockwise from the top-left corner"))  # fmt: skip
    return out


def _integers_written_as_fractions(result: Mapping[str, Any]) -> list[Violation]:
    """The Integer fields (corner coordinates, alarm scores) written with a fraction part, such as ``139.0``.

    JSON Schema's ``integer`` takes any number whose value is whole, so the schema check lets
    ``139.0`` through; the page types these fields Integer, and a typed client (an ``int32`` field,
    an SDK's ``int``) refuses that text.  Only whole values are reported here: ``139.5`` breaks the
    schema's type already.  Python's JSON parser reads ``139.0`` and ``1e2`` as floats, ``139`` as an int.
    """
    # Every answer passes here: only a float found costs a pointer and a message.
    found: list[tuple[str, str, float]] = []
    location = result.get("location")
    if isinstance(location, list):
        for i, point in enumerate(location):
            if isinstance(point, list) and float in map(type, point):
                found += [("response.result.location", f"/result/location/{i}/{j}", value)
                          for j, value in enumerate(point) if type(value) is float]  # fmt: skip
    scores = result.get("alarm_confidence")
    if isinstance(scores, dict) and float in map(type, scores.values()):
        found += [(f"response.alarm-confidence.{name}", f"/result/alarm_confidence/{name}", value)
                  for name, value in scores.items() if type(value) is float]  # fmt: skip
    return [
        Violation(cid, pointer, f"{value!r} is written with a fraction part; an Integer is written {int(value)}")
        for cid, pointer, value in found
        if value.is_integer()
    ]


def _success_cross_checks(
    body: Mapping[str, Any], request: Mapping[str, Any] | None, image_size: tuple[int, int] | None, threshold: Threshold
) -> list[Violation]:
    result = body.get("result")
    if not isinstance(result, dict):
        return []
    out: list[Violation] = []
    if request is not None:
        requested = request.get("alarm") is True
        if not requested:
            cid = "cross.alarm.default-false" if "alarm" not in request else "cross.alarm.present-iff-requested"
            for name in _ALARM_OBJECTS:
                if name in result:
                    sent = "no alarm field" if "alarm" not in request else "alarm: false"
                    out.append(Violation(cid, f"/result/{name}", f"{name} is present but the request had {sent}"))
    out += _integers_written_as_fractions(result)
    out += _location_violations(result.get("location"), image_size or request_image_size(request))
    confidence = result.get("confidence")
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool) and not 0 <= confidence <= 1:
        out.append(Violation("cross.confidence.range", "/result/confidence", f"{confidence} is outside [0, 1]"))
    pairs = alarm_pairs(body)
    out += answer_violations(pairs)
    low, high = (threshold, threshold) if isinstance(threshold, int) else threshold
    shown = str(low) if low == high else f"between {low} and {high}"
    for score_name, (flag, score) in pairs.items():
        if not explains(flag, score, low, high):
            name = flag_name(score_name)
            out.append(Violation("cross.alarm.result-matches-score", f"/result/alarm_result/{name}",
                                 f"{name} is {str(flag).lower()} but {score_name} is {score} "
                                 f"(threshold {shown})"))  # fmt: skip
    return out


def _error_code_violations(body: Mapping[str, Any], status: int, *, strict: bool, drift: list[str]) -> list[Violation]:
    code, message = body.get("error_code"), body.get("error_msg")
    if not isinstance(code, str) or not isinstance(message, str):
        return []
    known = [e for e in documented_tables().error_codes if e.code == code]
    if not known:
        if strict:
            return [Violation("cross.error.message-matches-code", "/error_code", f"{code!r} is not a documented code")]
        drift.append(f"/error_code: undocumented error code {code!r}")
        return []
    candidates = [error_clause_for(e.code, e.message if len(known) > 1 else None) for e in known]
    for candidate in candidates:
        spec = candidate.error
        if spec is not None and spec.status == status and spec.message_ok(message):
            return []
    best = candidates[0]
    for candidate in candidates:
        if candidate.error is not None and candidate.error.message_ok(message):
            best = candidate
    spec = best.error
    assert spec is not None
    out = []
    if spec.status != status:
        out.append(Violation(best.id, "/error_code", f"{code} came with HTTP {status}, documented as {spec.status}"))
    if not spec.message_ok(message):
        out.append(Violation(best.id, "/error_msg", f"{message!r} is not the documented message {spec.message!r}"))
    return out


def _header_violations(body: Any, headers: Mapping[str, str]) -> list[Violation]:
    lowered = {k.lower(): v for k, v in headers.items()}
    out = []
    if "x-request-id" not in lowered:
        out.append(Violation("behaviour.request-id", "header X-Request-Id", "the response has no X-Request-Id header"))
    media = lowered.get("content-type", "").split(";")[0].strip().lower()
    if isinstance(body, (dict, list)) and media != "application/json" and not media.endswith("+json"):
        shown = lowered.get("content-type", "")[:80] or "absent"
        out.append(Violation("behaviour.json-content-type", "header Content-Type",
                             f"the body is JSON but Content-Type is {shown!r}, not application/json"))  # fmt: skip
    return out


def validate_response(
    body: Any,
    *,
    status: int,
    request: Mapping[str, Any] | None = None,
    strict: bool = False,
    image_size: tuple[int, int] | None = None,
    headers: Mapping[str, str] | None = None,
    include_assumed: bool = True,
    alarm_threshold: Threshold = ALARM_THRESHOLD,
    drift: list[str] | None = None,
) -> list[Violation]:
    """Return every violation of the contract in one response; an empty list means it conforms.

    ``body`` is the parsed JSON (or the raw text when it was not JSON); ``status`` the HTTP status.
    Give the ``request`` body to check the cross-field rules that depend on it (alarm fields present
    iff ``alarm: true``), ``image_size`` (width, height) to check that ``location`` lies inside the
    image (read from the request's image header when not given), and the response ``headers`` to
    check ``X-Request-Id``.  Undocumented extra fields and codes are reported as
    :class:`ContractDriftWarning` unless ``strict``, where they are violations; give a list as
    ``drift`` to have them appended to it instead of warned (a report that lists them itself).  With
    ``include_assumed=False`` only documented and inferred clauses are reported.  ``alarm_threshold``
    is the assumed threshold, or a (lowest, highest) range of them.  Validators are compiled once
    per process and reused.
    """
    warn = drift is None
    drift = [] if drift is None else drift
    out: list[Violation] = []
    if headers is not None:
        out += _header_violations(body, headers)
    if status == 200:
        alarm_requested = bool(request and request.get("alarm") is True)
        schema = "response-alarm.schema.json" if alarm_requested else "response.schema.json"
        if not isinstance(body, dict):
            out.append(Violation("response.result", "", f"a 200 body must be a JSON object, got {_quoted(body)}"))
        else:
            out += _schema_violations(body, schema, strict=strict, drift=drift,
                                      to_clause=lambda e: _success_clause(e, alarm_requested))  # fmt: skip
            out += _success_cross_checks(body, request, image_size, alarm_threshold)
    elif 200 < status < 300:
        # A success under another status: judged as an error body, it would only add "'error_code' is a
        # required property" to the one fault there is.
        out.append(Violation("behaviour.statuses", "", f"HTTP {status} is not a documented status: the API answers "
                             "200 with a result, or an error status with an error body"))  # fmt: skip
    else:
        if status >= 500 and status not in (500, 503, 504):
            out.append(Violation("behaviour.statuses", "", f"HTTP {status} is not a documented status"))
        if not isinstance(body, dict):
            out.append(
                Violation("response.error.error_code", "", f"an error body must be a JSON object, got {_quoted(body)}")
            )
        else:
            out += _schema_violations(body, "error.schema.json", strict=strict, drift=drift, to_clause=_error_clause)
            out += _error_code_violations(body, status, strict=strict, drift=drift)
    for item in drift if warn else ():
        warnings.warn(ContractDriftWarning(item), stacklevel=2)
    if not include_assumed:
        out = [v for v in out if not clause(v.clause).assumed]
    return out


def assert_conforms(
    body: Any,
    *,
    status: int,
    request: Mapping[str, Any] | None = None,
    strict: bool = False,
    image_size: tuple[int, int] | None = None,
    headers: Mapping[str, str] | None = None,
    include_assumed: bool = True,
    alarm_threshold: Threshold = ALARM_THRESHOLD,
) -> None:
    """Fail with one readable block listing every violation (pointer, clause, rule) if any.

    Takes the same arguments as :func:`validate_response`; meant for ``assert``-style use in tests.
    """
    __tracebackhide__ = True  # pytest shows the test's line and the violations, not this function's source
    violations = validate_response(
        body, status=status, request=request, strict=strict, image_size=image_size, headers=headers,
        include_assumed=include_assumed, alarm_threshold=alarm_threshold,
    )  # fmt: skip
    if violations:
        raise AssertionError(format_violations(violations))


def checked_clauses(
    body: Any,
    *,
    status: int,
    request: Mapping[str, Any] | None = None,
    image_size: tuple[int, int] | None = None,
    headers: Mapping[str, str] | None = None,
) -> set[str]:
    """Return the clauses :func:`validate_response` checks on this answer (for per-clause reports).

    A clause is exercised by an answer when the answer could have broken it: the alarm clauses by
    a 200 to a request with ``alarm: true``, an error-mapping clause by an answer carrying its code.
    """
    out: set[str] = set()
    if headers is not None:
        out.add("behaviour.request-id")
        if isinstance(body, (dict, list)):
            out.add("behaviour.json-content-type")
    if status == 200 and not isinstance(body, dict):
        out.add("response.result")  # the one clause a page or a text breaks; the result's fields are not there
        return out
    if status == 200:
        out |= {"response.result", "response.result.type", "response.result.location",
                "response.result.confidence", "cross.error.absent-on-success", "cross.location.clockwise",
                "cross.confidence.range"}  # fmt: skip
        if image_size is not None or request_image_size(request) is not None:
            out.add("cross.location.inside-image")
        if request is not None:
            out.add("cross.alarm.present-iff-requested")
            if "alarm" not in request:
                out.add("cross.alarm.default-false")
            if request.get("alarm") is True:
                tables = documented_tables()
                out |= {
                    "response.alarm-result",
                    "response.alarm-confidence",
                    "cross.alarm.result-matches-score",
                    "cross.alarm.threshold-consistent",
                }
                out |= {f"response.alarm-result.{r.name}" for r in tables["Table 6"].rows}
                out |= {f"response.alarm-confidence.{r.name}" for r in tables["Table 7"].rows}
        return out
    if 200 < status < 300:
        return out  # judged by behaviour.statuses alone (see validate_response)
    if not isinstance(body, dict):
        # Only the clause it breaks: an HTML page or a text says nothing of an error body's message or
        # of a result in it, and counting those as passed would score a server that is not this API.
        out.add("response.error.error_code")
        return out
    out |= {"response.error.error_code", "response.error.error_msg", "cross.result.absent-on-failure"}
    code = body.get("error_code")
    known = [e for e in documented_tables().error_codes if e.code == code]
    if known:
        out.add("cross.error.message-matches-code")
        out.add(error_clause_for(known[0].code, known[0].message if len(known) > 1 else None).id)
        message = body.get("error_msg")
        for row in known:
            candidate = error_clause_for(row.code, row.message if len(known) > 1 else None)
            if candidate.error is not None and isinstance(message, str) and candidate.error.message_ok(message):
                out.add(candidate.id)
    return out


def _quoted(body: Any) -> str:
    """The start of a body a message quotes, redacted before it is cut (a cut secret would escape the policy)."""
    from pytest_idclassify.redaction import excerpt

    return excerpt(repr(body), 80)
