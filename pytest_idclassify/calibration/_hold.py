"""Hold a target to a calibration: the observed choices take the place of the assumed ones, as if documented.

For every calibrated clause the default check of the assumed choice is dropped and replaced by
the observation: the same status, code and message for each case; the observed status and message
for each error code; a threshold within the observed range for each alarm; a clause ``kept`` by
the calibrated server must be kept, one it did ``not kept`` is not required.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pytest_idclassify.calibration._file import Calibration, Observation
from pytest_idclassify.calibration._observe import THRESHOLD_CLAUSE, accepted
from pytest_idclassify.cases import Case, Expect
from pytest_idclassify.catalogue import Kind, Tier, catalogue, error_clause_for
from pytest_idclassify.client import Outcome
from pytest_idclassify.suite._checks import Verdict
from pytest_idclassify.suite._target import Exchange
from pytest_idclassify.validation import Violation, alarm_pairs, explains

_ANSWER_READINGS = frozenset({"served", "refused", "binary", "decimal"})


def tier_of(calibration: Calibration | None, clause_id: str) -> Tier:
    """The tier a clause counts as in a run: a calibrated clause counts as documented."""
    if calibration is not None and clause_id in calibration:
        return Tier.DOCUMENTED
    return catalogue()[clause_id].tier


def calibrated_record(calibration: Calibration, record: dict[str, Any]) -> dict[str, Any]:
    """A case record whose tiers are those the run counts: calibrated clauses as documented, marked so."""
    out = {**record, "tier": tier_of(calibration, record["clause"]).value}
    out["violations"] = [
        {**v, "tier": tier_of(calibration, v["clause"]).value, "calibrated": v["clause"] in calibration}
        for v in record["violations"]
    ]
    return out


def _said(outcome: Outcome) -> str:
    return f"{outcome.status} {outcome.error_code} {outcome.error_msg!r}" if outcome.error_code else str(outcome.status)


def _matches(observed: Observation, outcome: Outcome, expect: Expect | None) -> bool:
    got = Observation(observed.case, outcome.status, outcome.error_code, outcome.error_msg)
    if expect is Expect.ACCEPTED and accepted(observed):
        # The case asks only that validation let the request through; what recognition made of it is another choice.
        return accepted(got)
    if observed.status == 200:
        return outcome.status == 200
    return (got.status, got.code, got.message) == (observed.status, observed.code, observed.message)


def _differs(calibration: Calibration, clause_id: str, observed: Observation, outcome: Outcome) -> Violation:
    evidence = f"request id {observed.request_id}" if observed.request_id else "no request id"
    return Violation(clause_id, "", f"{calibration.name} observed {observed.said()} ({evidence}); "
                                    f"got {_said(outcome)}")  # fmt: skip


def _answer_violations(calibration: Calibration, case: Case, outcome: Outcome) -> list[Violation]:
    out = []
    for clause_id in (case.clause, *case.companions):
        entry = calibration.entry(clause_id)
        if entry is None or entry.reading not in _ANSWER_READINGS or catalogue()[clause_id].kind is Kind.ERROR:
            continue
        observed = entry.observed_for(case.id)
        if observed is not None and not _matches(observed, outcome, case.expect):
            out.append(_differs(calibration, clause_id, observed, outcome))
    return out


def _code_violations(calibration: Calibration, outcome: Outcome) -> list[Violation]:
    if outcome.error_code is None:
        return []
    try:
        clause_id = error_clause_for(outcome.error_code, outcome.error_msg).id
    except KeyError:
        return []
    entry = calibration.entry(clause_id)
    observed = entry.evidence if entry is not None else None
    if observed is None or (outcome.status, outcome.error_msg) == (observed.status, observed.message):
        return []
    return [_differs(calibration, clause_id, observed, outcome)]


def _threshold_violations(calibration: Calibration, outcome: Outcome) -> list[Violation]:
    entry = calibration.entry(THRESHOLD_CLAUSE)
    if entry is None or entry.low is None or entry.high is None:
        return []
    out = []
    for name, (flag, score) in alarm_pairs(outcome.body).items():
        if not explains(flag, score, entry.low, entry.high):
            seen = f"{calibration.name} observed a threshold between {entry.low} and {entry.high}"
            state = "on" if flag else "off"
            out.append(Violation(THRESHOLD_CLAUSE, f"/result/alarm_confidence/{name}",
                                 f"{name} {score} came with its alarm {state}, but {seen}"))  # fmt: skip
    return out


def hold(calibration: Calibration, case: Case, exchanges: Sequence[Exchange], verdict: Verdict) -> Verdict:
    """``verdict`` with every calibrated clause judged by the calibration instead of the assumed default."""

    def replaced(violation: Violation) -> bool:
        entry = calibration.entry(violation.clause)
        return entry is not None and entry.reading != "kept"

    # Each violation keeps the index of the call that broke it (None for a rule across calls).
    calls = verdict.calls or (None,) * len(verdict.violations)
    pairs = zip(verdict.violations, calls, strict=True)
    found: dict[Violation, int | None] = {v: c for v, c in pairs if not replaced(v)}
    outcomes = [e.outcome for e in exchanges]
    if case.expect is not None and outcomes:
        for violation in _answer_violations(calibration, case, outcomes[0]):
            found.setdefault(violation, 0)
    for index, outcome in enumerate(outcomes):
        for violation in [*_code_violations(calibration, outcome), *_threshold_violations(calibration, outcome)]:
            found.setdefault(violation, index)
    return dataclasses.replace(verdict, violations=tuple(found), calls=tuple(found.values()))
