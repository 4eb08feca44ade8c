"""One test per contract case: send its calls, check every answer, record the evidence."""

from __future__ import annotations

import pytest

from pytest_idclassify.cases import Case
from pytest_idclassify.errors import BudgetExceededError, TransportError
from pytest_idclassify.redaction import redact_text
from pytest_idclassify.report import PROPERTY
from pytest_idclassify.suite import SuiteConfig, Target, case_record, check_case, error_record, skipped_record
from pytest_idclassify.validation import format_violations


def test_clause(idclassify_case: Case, idclassify_target: Target, idclassify_config: SuiteConfig,
                request: pytest.FixtureRequest) -> None:  # fmt: skip
    """Exercise one clause of the catalogue against the configured target."""
    case, config = idclassify_case, idclassify_config
    reason = idclassify_target.missing(case)
    if reason is None and case.assumed and config.assumed == "exclude":
        reason = "assumed clauses are excluded (--idclassify-assumed=exclude)"
    if reason is None:
        try:
            exchanges = [idclassify_target.send(call) for call in case.calls]
        except BudgetExceededError as exc:
            reason = str(exc)
        except TransportError as exc:
            # Unreachable, too slow, too large, too deep: a failed case with the error, not a traceback.
            record = error_record(case, exc)
            request.node.user_properties.append((PROPERTY, record))
            pytest.fail(f"{case.id}: {case.describe()}: {record['error']}", pytrace=False)
    if reason is not None:
        request.node.user_properties.append((PROPERTY, skipped_record(case, reason)))
        pytest.skip(reason)
    verdict = check_case(case, exchanges, strict=config.strict, tolerate_transient=config.tolerate_transient)
    record = case_record(case, exchanges, verdict, all_images=config.report_images)
    request.node.user_properties.append((PROPERTY, record))
    counted = [v for v in verdict.violations if config.counts(v.assumed)]
    if counted:
        pytest.fail(redact_text(format_violations(counted, title=f"{case.id}: {case.describe()}")), pytrace=False)
