"""The gate against servers on a real port, as `idclassify verify --base-url http://127.0.0.1:PORT` runs it.

The target is the suite's own live target: real HTTP, the client's retries on, and URL images served
by the suite itself because the server is on loopback.  The independent server and every harmless
variant of it pass; every attempt a retry replaced is checked and recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from independent_server import create_independent_app
from mutants import HARMLESS, Baseline, Harmless, Rewrite, contract_cases, run_case, served_target
from mutants._catalogue import _every_nth

from pytest_idclassify._options import VERIFY
from pytest_idclassify.cases import Case
from pytest_idclassify.report import build_report, render_html, summary_lines
from pytest_idclassify.suite import Target, case_record, check_case


@pytest.fixture(scope="module")
def independent_target() -> Iterator[Target]:
    with served_target(create_independent_app()) as target:
        yield target


def _one_per_clause(cases: tuple[Case, ...]) -> list[Case]:
    # Every clause's first case, and every URL case: each kind of answer the server gives, once or more.
    first: dict[str, Case] = {}
    for case in cases:
        first.setdefault(case.clause, case)
    return [c for c in cases if first[c.clause] is c or "url-server" in c.needs]


def test_a_loopback_target_runs_every_case_the_credentials_allow(independent_target: Target) -> None:
    skipped = {case.id: independent_target.missing(case) for case in contract_cases()}
    assert not {k: v for k, v in skipped.items() if v}, "a served target on 127.0.0.1 must skip nothing"


def test_the_independent_server_passes_clean_over_real_http(independent_target: Target) -> None:
    run = Baseline.measure(independent_target, contract_cases())
    assert not run.findings, "false alarms:\n" + "\n".join(map(str, run.findings))
    assert {"request.url.chinese-encoded", "request.url.fetch-failure", "request.url.schemes"} <= run.clauses


@pytest.mark.parametrize("variant", HARMLESS, ids=[h.name for h in HARMLESS])
def test_a_harmless_variant_passes(variant: Harmless) -> None:
    with served_target(variant.app()) as target:
        findings = [f for case in _one_per_clause(contract_cases()) for f in run_case(target, case)]
    assert not findings, f"{variant.name} ({variant.change}) is flagged:\n" + "\n".join(map(str, findings))


def _first_failing(target: Target, cases: list[Case]) -> dict[str, Any] | None:
    """The record of the first case reported for anything."""
    for case in cases:
        exchanges = [target.send(call) for call in case.calls]
        verdict = check_case(case, exchanges)
        if verdict.violations or verdict.transient:
            return case_record(case, exchanges, verdict, thumbnails=False)
    return None


def test_a_500_that_a_retry_hid_is_reported_and_recorded_with_its_call() -> None:
    flaky = Rewrite(
        create_independent_app(), after=_every_nth(3, 500, "ModelArts.4505", "Backend service internal error.")
    )
    cases = [c for c in contract_cases() if c.clause == "behaviour.reencode-keeps-type"]
    with served_target(flaky) as target:
        record = _first_failing(target, cases)
    assert record is not None
    (violation,) = [v for v in record["violations"] if v["clause"] == "behaviour.statuses"]
    retried = record["calls"][violation["call"]]
    # The final answer is a good one: only the attempt log shows the 500 the retry replaced.
    assert retried["status"] == 200
    assert [a["status"] for a in retried["attempts"]] == [500, 200]
    assert all(a["request_id"] and a["error"] is None for a in retried["attempts"])
    assert "on attempt 1 of 2" in violation["message"]
    page = render_html(build_report([record], meta={"target": "live"}))
    # The page puts the violation under the call that broke it, with that call's attempts.
    item = re.search(
        rf'<li class="call broke" id="[^"]*-call-{violation["call"] + 1}">(.*?)</details></li>', page, re.S
    )
    assert item is not None and "behaviour.statuses" in item.group(1)
    statuses = re.findall(r"<tr><td class=num>\d+</td><td>(\d+)</td>", item.group(1))
    assert statuses == ["500", "200"]


#: answers a service gives under load or failure, with a documented body each.
_FAULTS = {429: ("APIG.0308", "The throttling threshold has been reached."),
           503: ("ModelArts.4403", "Backend service unavailable error."),
           504: ("ModelArts.4402", "Backend service timeout error."),
           502: ("APIG.0601", "Internal server error.")}  # fmt: skip


@pytest.mark.parametrize("tolerate", [False, True])
@pytest.mark.parametrize("status", sorted(_FAULTS))
def test_a_fault_a_retry_resolved_fails_unless_tolerated_transient_and_is_counted(tolerate: bool, status: int) -> None:
    busy = Rewrite(create_independent_app(), after=_every_nth(2, status, *_FAULTS[status]))
    (case,) = [c for c in contract_cases() if c.id == "behaviour.reencode-keeps-type[jpeg-png-bmp-tiff]"]
    with served_target(busy) as target:
        exchanges = [target.send(call) for call in case.calls]
    verdict = check_case(case, exchanges, tolerate_transient=tolerate)
    assert [e.outcome.status for e in exchanges] == [200] * len(exchanges)
    assert verdict.transient == (0 if status == 502 else 3)  # calls 2, 3 and 4 each met one on their first try
    statuses = [v for v in verdict.violations if v.clause == "behaviour.statuses"]
    # A 502 is no transient answer: it is never tolerated.
    assert bool(statuses) is (not tolerate or status == 502), verdict.violations


def test_users_contract_tests_see_the_answers_a_retry_replaced_too() -> None:
    from pytest_idclassify.images import ImageRecipe
    from pytest_idclassify.suite._contract_client import ContractClient

    # Every other answer has no X-Request-Id and is a 500: only the replaced attempts are wrong.
    def every_other(seen: object, answer: Any) -> Any:
        counter[0] += 1
        return answer.without_header("x-request-id").with_json({}, status=500) if counter[0] % 2 else answer

    counter = [0]
    with served_target(Rewrite(create_independent_app(), after=every_other)) as target:
        client = ContractClient(target)
        outcome = client.classify(data=ImageRecipe(format="png", width=64, height=64, content="noise").to_base64())
    assert outcome.status == 200 and len(client.replaced) == 1
    assert "behaviour.request-id" in {v.clause for v in client.violations()}


def test_throttling_that_no_retry_resolved_fails_even_when_transient_answers_are_tolerated() -> None:
    throttled = Rewrite(create_independent_app(), after=_every_nth(1, 429, *_FAULTS[429]))
    (case,) = [c for c in contract_cases() if c.id == "request.image.side-min[png-14x64]"]
    with served_target(throttled, tolerate_transient=True) as target:
        exchanges = [target.send(call) for call in case.calls]
    verdict = check_case(case, exchanges, tolerate_transient=True)
    assert [a.status for a in exchanges[0].all_attempts] == [429] * 4  # the first try and three retries
    assert verdict.transient == 3
    assert any("no retry resolved it" in v.message for v in verdict.violations if v.clause == "behaviour.statuses")


def test_an_undocumented_field_is_drift_listed_by_the_report_neither_a_failure_nor_a_warning(
    recwarn: pytest.WarningsRecorder,
) -> None:
    extra = next(h for h in HARMLESS if h.name == "extra-result-field")
    cases = [c for c in contract_cases() if c.clause in ("behaviour.deterministic", "request.image.side-min")]
    with served_target(extra.app()) as target:
        sent = [(case, [target.send(call) for call in case.calls]) for case in cases]
    item = "/result/side: undocumented field 'side'"
    verdicts = {case.id: check_case(case, exchanges) for case, exchanges in sent}
    assert not [v for verdict in verdicts.values() for v in verdict.violations]
    answered = {case_id for case_id, verdict in verdicts.items() if verdict.drift == (item,)}
    # Only the cases answered 200 show the field; the refusals' error bodies are as documented.
    assert answered == {"behaviour.deterministic[specimen-twice]"}
    assert not [w for w in recwarn if "undocumented" in str(w.message)], "drift is the report's, not a warning"

    report = build_report([case_record(c, e, verdicts[c.id], thumbnails=False) for c, e in sent], meta={})
    assert report.drift() == [{"item": item, "cases": sorted(answered)}]
    assert report.to_json()["drift"] == report.drift() and report.passed()
    lines = summary_lines(report, assumed_count=False)
    at = next(i for i, line in enumerate(lines) if line.startswith("DRIFT "))
    assert "--idclassify-strict makes each a violation" in lines[at]
    assert VERIFY.words(lines[at]).endswith("(reported, not failed: --strict makes each a violation):")
    assert lines[at + 1].startswith(f"  {item} ({len(answered)} case")
    page = render_html(report)
    assert 'id="drift"' in page and "undocumented item in the answers" in page

    # Strict, the same answers break their shape clause instead, and nothing is left as drift.
    strict = [check_case(case, exchanges, strict=True) for case, exchanges in sent]
    assert {v.pointer for verdict in strict for v in verdict.violations} == {"/result/side"}
    assert not [verdict.drift for verdict in strict if verdict.drift]
