"""Checks of a case's answers: the expectation or relation it states, plus every per-answer clause."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_idclassify._options import PYTEST, Interface
from pytest_idclassify.cases import VALIDATION_CODES, Case, Expect, Relation
from pytest_idclassify.catalogue import ErrorSpec, Kind, clause
from pytest_idclassify.client import Attempt, Outcome
from pytest_idclassify.suite._target import Exchange
from pytest_idclassify.validation import Violation, checked_clauses, request_image_size, validate_response

#: answers a live service gives under load, which a later attempt may resolve.
TRANSIENT_STATUSES = frozenset({429, 503, 504})


@dataclass(frozen=True)
class Verdict:
    """The checks of one case: the clauses it exercised and the violations found.

    Attributes:
        exercised: every clause some answer of the case was held to.
        violations: what was wrong, one per clause and message.
        calls: for each violation, the index of the call whose answer broke it (``None`` when
            the rule spans calls, as relations do).
        transient: attempts that answered 429, 503 or 504, or got no answer, before a retry
            resolved them (tolerated or not).
        drift: what the answers hold beyond the documentation (an undocumented field or error
            code), each once: not a violation unless the run is strict, where it is one instead.

    """

    exercised: frozenset[str]
    violations: tuple[Violation, ...]
    calls: tuple[int | None, ...] = ()
    transient: int = 0
    drift: tuple[str, ...] = ()


def _said(outcome: Outcome) -> str:
    from pytest_idclassify.redaction import excerpt

    # Redacted before cut: half a secret is not the value the policy knows.
    if outcome.error_code:
        return f"HTTP {outcome.status} {outcome.error_code} {outcome.error_msg!r}"
    if outcome.status == 200 and isinstance(outcome.body, dict):
        return f"HTTP 200 {excerpt(json.dumps(outcome.body), 160)}"
    return f"HTTP {outcome.status} {excerpt(str(outcome.body), 160)!r}"


def _error_violations(clause_id: str, spec: ErrorSpec, outcome: Outcome) -> list[Violation]:
    if spec.accepts(outcome.status, outcome.error_code, outcome.error_msg or ""):
        return []
    return [Violation(clause_id, "", f"expected {spec}, got {_said(outcome)}")]


def _expectation(case: Case, outcome: Outcome) -> list[Violation]:
    if case.expect is Expect.SERVED and outcome.status != 200:
        return [Violation(case.clause, "", f"expected HTTP 200 with a result, got {_said(outcome)}")]
    if case.expect is Expect.ACCEPTED and (outcome.status != 200 and (
        outcome.status != 400 or outcome.error_code is None or outcome.error_code in VALIDATION_CODES
    )):  # fmt: skip
        return [Violation(case.clause, "", f"expected the request to pass validation, got {_said(outcome)}")]
    if case.expect is not Expect.REFUSED:
        return []
    out: list[Violation] = []
    if case.error is not None:
        out += _error_violations(case.clause, case.error, outcome)
    elif not (400 <= outcome.status < 500 and outcome.error_code):
        out.append(
            Violation(case.clause, "", f"expected the call to be refused with an error body, got {_said(outcome)}")
        )
    for companion in _request_companions(case):
        spec = clause(companion).error
        if spec is not None:
            out += _error_violations(companion, spec, outcome)
    return out


def _request_companions(case: Case) -> list[str]:
    # An error-mapping companion ("AIS.0103 comes with 400 and its message") is checked on every
    # answer that carries the code; a refusal with another answer breaks the case's own clause, not it.
    return [c for c in case.companions if clause(c).kind is not Kind.ERROR]


def _classification(outcome: Outcome) -> Any:
    result = outcome.body.get("result") if isinstance(outcome.body, dict) else None
    if not isinstance(result, dict):
        return ("no result", outcome.status, outcome.error_code)
    return (result.get("type"), result.get("location"), result.get("confidence"))


def _comparable(outcome: Outcome) -> tuple[int, Any]:
    # Error bodies may carry their own request_id (error-codes.md), new on every call like the header.
    body = outcome.body
    if isinstance(body, dict) and "request_id" in body:
        body = {k: v for k, v in body.items() if k != "request_id"}
    return outcome.status, body


def _first_difference(a: Any, b: Any, pointer: str = "") -> str | None:
    """The JSON pointer of the first place two JSON values differ, with both values; ``None`` if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in a or key not in b:
                return f"{pointer}/{key} is {'absent' if key not in a else 'present'} in the first answer only"
            found = _first_difference(a[key], b[key], f"{pointer}/{key}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        differences = (_first_difference(x, y, f"{pointer}/{i}") for i, (x, y) in enumerate(zip(a, b, strict=True)))
        return next((d for d in differences if d is not None), None)
    if a == b:
        return None
    return f"{pointer or '/'} is {json.dumps(a, default=str)[:80]} then {json.dumps(b, default=str)[:80]}"


#: the refusals that say the input itself is unreadable, as opposed to a picture nothing was recognised in.
_UNREADABLE = frozenset({"AIS.0102", "AIS.0103", "AIS.0104"})


#: what an equally-accepted case's calls have in common, for its violation's message.
_SAME = {
    "behaviour.formats-equally-accepted": "the same pixels were served in one format and refused as unreadable in "
    "another",
    "behaviour.within-limits-equally-accepted": "the picture was served, and refused as unreadable once enlarged or "
    "padded within the documented limits",
}


def _equally_accepted(case: Case, outcomes: Sequence[Outcome]) -> list[Violation]:
    served = [i for i, o in enumerate(outcomes) if o.status == 200]
    refused = [i for i, o in enumerate(outcomes) if o.error_code in _UNREADABLE]
    if not (served and refused):
        return []
    shown = "; ".join(f"call {i + 1}: {_said(outcomes[i])}" for i in (served[0], *refused))
    return [Violation(case.clause, "", f"{_SAME.get(case.clause, 'the answers differ')}: {shown}")]


def _relation(case: Case, outcomes: Sequence[Outcome]) -> list[Violation]:
    first, rest = outcomes[0], outcomes[1:]
    if case.relation is Relation.SAME_ANSWER:
        expected = _comparable(first)
        differ = [o for o in rest if _comparable(o) != expected]
        if differ:
            (status, body), (other_status, other_body) = expected, _comparable(differ[0])
            where = (f"the status is {status} then {other_status}" if status != other_status
                     else f"the body's {_first_difference(body, other_body)}")  # fmt: skip
            return [Violation(case.clause, "", f"the answers differ where they must agree (same-answer): {where}")]
    elif case.relation is Relation.SAME_CLASSIFICATION:
        differ = [o for o in rest if _classification(o) != _classification(first)]
    elif case.relation is Relation.SAME_TYPE:
        differ = [o for o in rest if _classification(o)[0] != _classification(first)[0]]
    elif case.relation is Relation.EQUALLY_ACCEPTED:
        return _equally_accepted(case, outcomes)
    else:
        scores = []
        for o in outcomes:
            result = o.body.get("result", {}) if isinstance(o.body, dict) else {}
            scores.append((result.get("alarm_confidence") or {}).get(case.score) if isinstance(result, dict) else None)
        # A score of the wrong type (98.0, "98") is its shape clause's to report; only one missing stops the comparison.
        if any(not isinstance(s, (int, float)) or isinstance(s, bool) for s in scores):
            return [Violation(case.clause, "", f"{case.score} is missing from some answers, or not a number: {scores}")]
        if any(later < earlier for earlier, later in itertools.pairwise(scores)):  # type: ignore[operator]
            return [Violation(case.clause, "", f"{case.score} fell as the degradation grew: {scores}")]
        return []
    if not differ:
        return []
    shown = " / ".join(_said(o) for o in outcomes)
    return [Violation(case.clause, "", f"the answers differ where they must agree ({case.relation.value}): {shown}")]


def _attempt_violations(outcome: Outcome, attempt: int, count: int, interface: Interface) -> list[Violation]:
    where = f" on attempt {attempt + 1} of {count}" if count > 1 else ""
    if outcome.status >= 500:
        # No case asks for a fault: a server error is the service failing, whether or not a retry followed.
        return [Violation("behaviour.statuses", "", f"a server error{where}: {_said(outcome)}")]
    if outcome.status == 429:
        # Tolerated only when a retry resolved it (see check_case); the last answer has nothing after it.
        hint = ("no retry resolved it" if attempt == count - 1 else
                f"pass {interface.flag('tolerate-transient')} if the target is a live service under load")  # fmt: skip
        return [Violation("behaviour.statuses", "", f"throttled{where}: {_said(outcome)}; {hint}")]
    return []


def _transient(attempt: Attempt, last: bool) -> bool:
    return not last and (attempt.outcome is None or attempt.outcome.status in TRANSIENT_STATUSES)


def check_case(
    case: Case,
    exchanges: Sequence[Exchange],
    *,
    strict: bool = False,
    tolerate_transient: bool = False,
    interface: Interface = PYTEST,
) -> Verdict:
    """Check every answer of ``case`` (shape, cross-field, error mapping) and its expectation or relation.

    Every attempt the client made is checked, not only the last: a retry never hides an answer.
    With ``tolerate_transient``, a 429, 503 or 504 that a later attempt replaced is counted in
    :attr:`Verdict.transient` but not held against ``behaviour.statuses``.  Messages name flags in
    ``interface``'s words.
    """
    exercised = {case.clause, *_request_companions(case), "behaviour.statuses"}
    found: list[tuple[Violation, int | None]] = []
    drift: list[str] = []
    transient = 0
    for index, exchange in enumerate(exchanges):
        request = exchange.body if isinstance(exchange.body, dict) else None
        # Read the image's size from its header once, for both the checks and the list of what they covered.
        size = exchange.image_size if exchange.image_size is not None else request_image_size(request)
        attempts = exchange.all_attempts
        for number, attempt in enumerate(attempts):
            if _transient(attempt, number == len(attempts) - 1):
                transient += 1
                if tolerate_transient:
                    continue
            outcome = attempt.outcome
            if outcome is None:
                # A connection error is no answer to hold to a clause (a transient one is counted above).
                continue
            headers = outcome.headers
            violations = validate_response(outcome.body, status=outcome.status, request=request, strict=strict,
                                           image_size=size, headers=headers, drift=drift)  # fmt: skip
            violations += _attempt_violations(outcome, number, len(attempts), interface)
            found += [(v, index) for v in violations]
            exercised |= checked_clauses(
                outcome.body, status=outcome.status, request=request, image_size=size, headers=headers
            )
    outcomes = [e.outcome for e in exchanges]
    if case.expect is not None:
        found += [(v, 0) for v in _expectation(case, outcomes[0])]
    else:
        found += [(v, None) for v in _relation(case, outcomes)]
    # One violation per clause and message is enough, however many calls repeated it: the first call names it.
    first: dict[Violation, int | None] = {}
    for violation, call in found:
        first.setdefault(violation, call)
    return Verdict(frozenset(exercised), tuple(first), tuple(first.values()), transient, tuple(dict.fromkeys(drift)))
