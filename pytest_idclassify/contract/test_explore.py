"""The explore profile: randomised cases from the strategies, many examples, Hypothesis database on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_idclassify.cases import Case
from pytest_idclassify.errors import BudgetExceededError, CassetteMissError, TransportError, UploadHookError
from pytest_idclassify.redaction import redact_text
from pytest_idclassify.report import PROPERTY, UNRECORDED_CALLS_PROPERTY
from pytest_idclassify.suite import SuiteConfig, Target, case_record, check_case, error_record
from pytest_idclassify.validation import format_violations

if TYPE_CHECKING:
    from hypothesis import settings


#: the most passing examples an exploration records for the undocumented items they show.
DRIFT_RECORDS = 20


@pytest.mark.parametrize("kind", ["valid", "invalid"])
def test_explore(kind: str, idclassify_target: Target, idclassify_config: SuiteConfig,
                 request: pytest.FixtureRequest) -> None:  # fmt: skip
    """Draw requests the documentation accepts (or refuses) and check every answer; failures shrink.

    Only failing examples leave a record for the report (an exploration sends hundreds of calls), and
    the first example to show each undocumented item (drift), up to :data:`DRIFT_RECORDS` of them.
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
    config, target = idclassify_config, idclassify_target
    spent = target.spent()
    if spent is not None:
        pytest.skip(config.interface.words(f"{spent}: raise --idclassify-call-budget to explore"))

    # The first case that got no usable answer (unreachable, too slow, too large, no recording).
    unanswered: list[str] = []
    drift_seen: set[str] = set()
    # Attempts of examples that leave no record: the report counts them among the calls used.
    unrecorded = [0]
    # Once the budget cannot pay for an example, the rest are drawn but not sent (Hypothesis has no stop).
    out_of_budget: list[str] = []
    # The user's upload hook failed: the run stops naming it once Hypothesis returns (no verdict on the server).
    hook_failed: list[str] = []

    @idclassify_hypothesis_settings
    @given(case=cases.filter(lambda c: target.unmet(c) is None))
    def explore(case: Case) -> None:
        if not unanswered and not out_of_budget and (spent := target.spent(len(case.calls))) is not None:
            out_of_budget.append(spent)
        if out_of_budget or hook_failed:
            return
        if not unanswered:
            try:
                exchanges = [target.send(call) for call in case.calls]
            except BudgetExceededError as exc:  # a retry the budget could not pay for: the answers so far stand
                out_of_budget.append(str(exc))
                return
            except UploadHookError as exc:  # the user's hook, not the target: no record against the server
                hook_failed.append(f"{config.origin('upload-hook')}: {exc}")
                return
            except (CassetteMissError, TransportError) as exc:
                record = error_record(case, exc)
                request.node.user_properties.append((PROPERTY, record))
                unanswered.append(f"the exploration stopped: {case.id}: {case.describe()}: {record['error']}")
        if unanswered:
            # Shrinking replays examples: once the target gave no answer none is sent again, and
            # every replay fails the same way (one place, one message: the case that met it, and why).
            raise AssertionError(redact_text(unanswered[0]))
        verdict = check_case(
            case,
            exchanges,
            strict=config.strict,
            tolerate_transient=config.tolerate_transient,
            interface=config.interface,
        )
        counted = [v for v in verdict.violations if config.counts(v.tier)]
        if counted or (set(verdict.drift) - drift_seen and len(drift_seen) < DRIFT_RECORDS):
            drift_seen.update(verdict.drift)
            request.node.user_properties.append((PROPERTY, case_record(case, exchanges, verdict)))
        else:
            unrecorded[0] += sum(len(exchange.all_attempts) for exchange in exchanges)
        if counted:
            raise AssertionError(redact_text(format_violations(counted, title=f"{case.id}: {case.describe()}")))

    try:
        # Seed 0 (the default) explores afresh each run; any other seed replays the same exploration.
        (seed(config.seed)(explore) if config.seed else explore)()
    finally:
        request.node.user_properties.append((UNRECORDED_CALLS_PROPERTY, unrecorded[0]))
    if hook_failed:
        from pytest_idclassify.plugin import stop_run

        stop_run(request.config, hook_failed[0])
