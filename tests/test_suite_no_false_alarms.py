"""No false alarms: the gate profile finds nothing wrong with a second, independently written correct server.

``tests/independent_server.py`` shares no code with the reference emulator or the suite's checks,
so a clause the suite reports against it is a false alarm of the suite (or a documented rule
both servers read alike and wrongly, which the mutation test cannot see).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from independent_server import create_independent_app
from mutants import Baseline, app_target, contract_cases

from pytest_idclassify.catalogue import clause
from pytest_idclassify.suite._urlhost import LoopbackImageServer

#: Assumed clauses the independent server may break, with the reason: none today.  A documented
#: clause never belongs here.
ALLOWED: dict[str, str] = {}

#: Clauses whose cases need real recognition, and which a fixed answer passes without proving much.
TRIVIAL = {
    "behaviour.score-monotone.blur_score": "every score is 0, so no score ever falls",
    "behaviour.score-monotone.reproduce_score": "every score is 0, so no score ever falls",
    "behaviour.reencode-keeps-type": "the type is always passport",
    "behaviour.alarm-toggle": "type, location and confidence never depend on anything but the image size",
    "response.result.type": "passport for every specimen type: the clause checks the shape, not the reading",
}


@pytest.fixture(scope="module")
def independent_run() -> Iterator[Baseline]:
    with LoopbackImageServer().running() as images, app_target(create_independent_app(), images) as target:
        yield Baseline.measure(target, contract_cases())


def test_the_allowances_are_assumed_clauses() -> None:
    assert all(clause(cid).assumed for cid in ALLOWED)


def test_the_gate_reports_nothing_against_an_independent_correct_server(independent_run: Baseline) -> None:
    false_alarms = [f for f in independent_run.findings if f.violation.clause not in ALLOWED]
    assert not false_alarms, "false alarms:\n" + "\n".join(map(str, false_alarms))


def test_the_run_exercised_the_served_and_refused_clauses(independent_run: Baseline) -> None:
    # A server that refused everything, or a run that reached nothing, would pass vacuously.
    exercised = independent_run.clauses
    needed = {"response.alarm-result", "cross.location.inside-image", "cross.alarm.result-matches-score",
              "auth.aksk.signature", "request.url.chinese-encoded", "request.body.max-size", *TRIVIAL}  # fmt: skip
    assert needed <= exercised, sorted(needed - exercised)
