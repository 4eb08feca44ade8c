"""The explore profile: randomised cases from the strategies, many examples, Hypothesis database on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_idclassify.cases import Case
from pytest_idclassify.errors import CassetteMissError, TransportError
from pytest_idclassify.redaction import redact_text
from pytest_idclassify.report import PROPERTY
from pytest_idclassify.suite import SuiteConfig, Target, case_record, check_case, error_record
from pytest_idclassify.validation import format_violations

if TYPE_CHECKING:
    from hypothesis import settings


@pytest.mark.parametrize("kind", ["valid", "invalid"])
def test_explore(kind: str, idclassify_target: Target, idclassify_config: SuiteConfig,
                 request: pytest.FixtureRequest) -> None:  # fmt: skip
    """Draw requests the documentation accepts (or refuses) and check every answer; failures shrink.

    Only failing examples leave a record for the report: an exploration sends hundreds of calls.
    """
    if idclassify_config.profile != "explore":
        pytest.skip(
            idclassify_config.interface.words(
                "randomised exploration runs in the explore profile (--idclassify-profile=explore)"
            )
        )
    # Hypothesis loads only for an exploration: the gate profile's runs (and workers) skip its import.
    from hypothesis import given, seed

    from pytest_idclassify.strategies import invalid_requests, valid_requests

    idclassify_hypothesis_settings: settings = request.getfixturevalue("idclassify_hypothesis_settings")

    cases = valid_requests() if kind == "valid" else invalid_requests()
    config = idclassify_config

    # The first case that got no usable answer (unreachable, too slow, too large, no recording).
    unanswered: list[str] = []

    @idclassify_hypothesis_settings
    @given(case=cases.filter(lambda c: idclassify_target.missing(c) is None))
    def explore(case: Case) -> None:
        if not unanswered:
            try:
                exchanges = [idclassify_target.send(call) for call in case.calls]
            except (CassetteMissError, TransportError) as exc:
                record = error_record(case, exc)
                request.node.user_properties.append((PROPERTY, record))
                unanswered.append(f"the exploration stopped: {case.id}: {case.describe()}: {record['error']}")
        if unanswered:
            # Shrinking replays examples: once the target gave no answer none is sent again, and
            # every replay fails the same way (one place, one message: the case that met it, and why).
            raise AssertionError(redact_text(unanswered[0]))
        verdict = check_case(case, exchanges, strict=config.strict, tolerate_transient=config.tolerate_transient)
        counted = [v for v in verdict.violations if config.counts(v.tier)]
        if counted:
            request.node.user_properties.append((PROPERTY, case_record(case, exchanges, verdict)))
            raise AssertionError(redact_text(format_violations(counted, title=f"{case.id}: {case.describe()}")))

    # Seed 0 (the default) explores afresh each run; any other seed replays the same exploration.
    (seed(config.seed)(explore) if config.seed else explore)()
