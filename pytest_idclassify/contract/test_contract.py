"""One test per contract case: send its calls, check every answer, record the evidence."""

from __future__ import annotations

import pytest

from pytest_idclassify.calibration import Calibration, calibrated_record, hold, tier_of
from pytest_idclassify.cases import Case
from pytest_idclassify.errors import (
    BudgetExceededError,
    CallTimeoutError,
    CassetteMissError,
    ResponseTooDeepError,
    ResponseTooLargeError,
    TransportError,
    UploadHookError,
)
from pytest_idclassify.redaction import redact_text
from pytest_idclassify.report import PROPERTY
from pytest_idclassify.suite import SuiteConfig, Target, case_record, check_case, error_record, skipped_record
from pytest_idclassify.suite._checks import TRANSIENT_STATUSES
from pytest_idclassify.suite._target import Exchange
from pytest_idclassify.validation import format_violations


def test_clause(idclassify_case: Case, idclassify_target: Target, idclassify_config: SuiteConfig,
                idclassify_calibration: Calibration | None, request: pytest.FixtureRequest) -> None:  # fmt: skip
    """Exercise one clause of the catalogue against the configured target."""
    case, config, target, calibration = idclassify_case, idclassify_config, idclassify_target, idclassify_calibration
    if target.stop_reason is not None:
        from pytest_idclassify.plugin import stop_run

        stop_run(request.config, target.stop_reason)
    reason, cause = target.missing(case), "target"
    reason = reason and config.interface.words(reason)
    # A calibrated clause counts as documented, so excluding assumed clauses does not skip it.
    excluded = case.assumed and config.assumed == "exclude" and not (calibration and case.clause in calibration)
    if reason is None and excluded:
        reason, cause = f"assumed clauses are excluded ({config.interface.flag('assumed')}=exclude)", "settings"
    if reason is None:
        # Failures are raised after the except blocks, so the report shows one message, not a chain.
        unanswered: Exception | None = None
        stopped: TransportError | None = None  # the answer that made the target count as gone
        try:
            exchanges = [target.send(call) for call in case.calls]
        except BudgetExceededError as exc:
            reason = str(exc)
        except UploadHookError as exc:
            # The user's hook failed before the target was called: one stop naming it, no verdict on the server.
            from pytest_idclassify.plugin import stop_run

            stop_run(request.config, f"{config.origin('upload-hook')}: {exc}")
        except (CassetteMissError, TransportError) as exc:
            # No usable answer (unreachable, too slow, too large, no recording): a failed case, not a traceback.
            unanswered = exc
            # An answer past a bound (too large, too deep, too slow) still shows the target is there.
            reached = isinstance(exc, (ResponseTooLargeError, ResponseTooDeepError, CallTimeoutError))
            if isinstance(exc, TransportError) and target.note_reached(reached):
                stopped = exc
        else:
            target.note_reached(True)
        if unanswered is not None:
            record = error_record(case, unanswered)
            request.node.user_properties.append((PROPERTY, record))
            if stopped is not None:
                from pytest_idclassify.plugin import stop_run

                stop_run(request.config, _stopped_answering(target, config, stopped))
            pytest.fail(f"{case.id}: {case.describe()}: {record['error']}", pytrace=False)
    if reason is not None:
        request.node.user_properties.append((PROPERTY, skipped_record(case, reason, cause=cause)))
        pytest.skip(reason)
    verdict = check_case(
        case, exchanges, strict=config.strict, tolerate_transient=config.tolerate_transient, interface=config.interface
    )
    if calibration is not None:
        verdict = hold(calibration, case, exchanges, verdict)
    record = case_record(case, exchanges, verdict, all_images=config.report_images)
    if calibration is not None:
        record = calibrated_record(calibration, record)
    request.node.user_properties.append((PROPERTY, record))
    if target.note_busy(all(e.outcome.status in TRANSIENT_STATUSES for e in exchanges)):
        target.stop_reason = _kept_busy(target, config, exchanges)
    counted = [v for v in verdict.violations if config.counts(tier_of(calibration, v.clause))]
    if counted:
        pytest.fail(redact_text(format_violations(counted, title=f"{case.id}: {case.describe()}")), pytrace=False)


def _kept_busy(target: Target, config: SuiteConfig, exchanges: list[Exchange]) -> str:
    last = exchanges[-1].outcome
    said = " ".join(str(part) for part in (last.status, last.error_code) if part)
    wait = last.headers.get("retry-after")
    asked = f", asking to retry after {wait} s" if wait else ""
    budget = config.origin("call-budget")
    return (f"the target {target.config.endpoint} answered HTTP {said} to {target.busy_in_a_row} cases in a row, "
            f"after every retry{asked}: it is overloaded or down, and the run stops rather than wait out its call "
            f"budget ({budget}): run it again later")  # fmt: skip


def _stopped_answering(target: Target, config: SuiteConfig, error: TransportError) -> str:
    cause = error.original if error.original is not None else error
    return (f"the target {target.config.endpoint} stopped answering ({target.unreachable_in_a_row} cases in a row got "
            f"no answer; last: {type(cause).__name__}: {redact_text(str(cause))}): check that it is still running at "
            f"{config.origin('base-url')}, then run again")  # fmt: skip
