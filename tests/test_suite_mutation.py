"""The contract suite's self-test: every deliberately broken emulator is caught, by the clause it breaks.

Each mutant of ``tests/mutants`` is the reference emulator wrong in one documented way.  The gate
profile's cases run against it (assumed clauses counted), those that exercised the mutant's
clauses first, until one reports a violation of a declared clause that the unbroken emulator did
not get.  The unbroken emulator, run over every case, is the baseline: it must be reported for
nothing, or the kills prove nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from independent_server import create_independent_app
from mutants import (
    MUTANTS,
    Baseline,
    Finding,
    Mutant,
    Rewrite,
    app_target,
    contract_cases,
    hunt,
    run_case,
    served_target,
)
from mutants._catalogue import null_alarm_absent

from pytest_idclassify.cases import Case
from pytest_idclassify.catalogue import clause
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.suite import Target
from pytest_idclassify.suite._urlhost import LoopbackImageServer


@pytest.fixture(scope="module")
def images() -> Iterator[LoopbackImageServer]:
    with LoopbackImageServer().running() as server:
        yield server


@pytest.fixture(scope="module")
def cases() -> tuple[Case, ...]:
    return contract_cases()


@pytest.fixture(scope="module")
def baseline(cases: tuple[Case, ...], images: LoopbackImageServer) -> Baseline:
    with app_target(create_app(EmulatorSettings(fetch_timeout=1.0)), images) as target:
        return Baseline.measure(target, cases)


def test_the_catalogue_is_well_formed() -> None:
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names)) >= 25
    for mutant in MUTANTS:
        assert mutant.kills, f"{mutant.name} declares no clause"
        for clause_id in mutant.kills:
            clause(clause_id)  # raises for a clause the catalogue does not have
        wrapped = mutant.before is not None or mutant.after is not None
        assert wrapped != bool(mutant.settings), f"{mutant.name}: break it with a wrapper or a setting, not both"


def test_the_reference_emulator_is_not_flagged(baseline: Baseline) -> None:
    assert not baseline.findings, "the unbroken emulator is flagged:\n" + "\n".join(map(str, baseline.findings))


def test_every_declared_clause_is_exercised(baseline: Baseline) -> None:
    silent = {m.name: sorted(m.kills) for m in MUTANTS if not (m.kills & baseline.clauses)}
    assert not silent, f"no case of the gate exercises a declared clause of these mutants: {silent}"


def test_every_mutant_is_killed_by_a_declared_clause(
    cases: tuple[Case, ...], images: LoopbackImageServer, baseline: Baseline, capsys: pytest.CaptureFixture[str]
) -> None:
    lines, survivors = [], []
    for mutant in MUTANTS:
        with _target_of(mutant, images) as target:
            hit, others = hunt(target, cases, mutant.kills, baseline)
        if hit is None:
            survivors.append(mutant)
            lines.append(f"  SURVIVED {mutant.name}: {mutant.fault} (declared {sorted(mutant.kills)})")
        else:
            lines.append(f"  killed   {mutant.name} by {hit.violation.clause} in {hit.case.id}")
        lines += [f"           also {finding}" for finding in _distinct(others)]
    rate = f"mutation kill rate: {len(MUTANTS) - len(survivors)}/{len(MUTANTS)}"
    with capsys.disabled():
        print("\n" + rate + "\n" + "\n".join(lines))
    assert not survivors, rate + "\n" + "\n".join(lines)


@pytest.mark.parametrize("threshold", [1, 99])
def test_another_threshold_is_only_an_assumed_difference(
    threshold: int, cases: tuple[Case, ...], images: LoopbackImageServer
) -> None:
    # The harmless side of the threshold mutants: a server that cuts at 1 or at 99, not at the assumed
    # 50, keeps every flag explained by one threshold in (0, 99], so only the assumed clause may object.
    alarm_cases = [c for c in cases if any((call.json or {}).get("alarm") is True for call in c.calls)]
    settings = EmulatorSettings(fetch_timeout=1.0, alarm_threshold=threshold)
    with app_target(create_app(settings), images) as target:
        run = Baseline.measure(target, alarm_cases)
    assert "cross.alarm.threshold-consistent" in run.clauses
    objected = {f.violation.clause for f in run.findings}
    assert objected <= {"cross.alarm.result-matches-score"}, "\n".join(map(str, run.findings))


def test_refusing_redirects_is_only_an_assumed_difference(cases: tuple[Case, ...], images: LoopbackImageServer) -> None:
    # The harmless side of redirects-refused: the page says nothing of redirects, so only the assumed
    # clause may object to a server that follows none (an SSRF defence).
    url_cases = [c for c in cases if c.clause.startswith("request.url.")]
    with app_target(create_app(EmulatorSettings(fetch_timeout=1.0, fetch_max_redirects=0)), images) as target:
        run = Baseline.measure(target, url_cases)
    assert "request.url.redirect-followed" in run.clauses
    assert {f.violation.clause for f in run.findings} == {"request.url.redirect-followed"}


def test_a_patient_download_is_only_an_assumed_difference(cases: tuple[Case, ...], images: LoopbackImageServer) -> None:
    # The harmless side of fetch-without-timeout: the page does not say how long is too long, so a
    # server that waits out the slow image and serves it breaks only the assumed clause.
    url_cases = [c for c in cases if c.clause.startswith("request.url.")]
    with app_target(create_app(EmulatorSettings(fetch_timeout=10.0)), images) as target:
        run = Baseline.measure(target, url_cases)
    assert {f.violation.clause for f in run.findings} == {"request.url.fetch-slow"}
    assert clause("request.url.fetch-slow").assumed


def test_the_decimal_reading_of_the_url_limit_is_no_difference(
    cases: tuple[Case, ...], images: LoopbackImageServer
) -> None:
    # The harmless side of url-size-unchecked: a server that cuts at 10,000,000 base64 characters
    # (7,500,000 bytes) rather than 10 MiB still refuses over both readings and accepts 7 MiB.
    url_cases = [c for c in cases if c.clause == "request.url.size-max"]
    with app_target(create_app(EmulatorSettings(fetch_timeout=1.0, fetch_max_bytes=7_500_000)), images) as target:
        run = Baseline.measure(target, url_cases)
    assert len(url_cases) == 2 and run.clauses >= {"request.url.size-max"} and not run.findings, run.findings


def test_a_null_alarm_read_as_absent_is_only_an_assumed_difference(images: LoopbackImageServer) -> None:
    # The harmless side of alarm-null-absent, on the independent server: only the assumed clause objects.
    alarm_cases = [c for c in contract_cases() if c.clause.startswith("request.alarm.")]
    with app_target(Rewrite(create_independent_app(), before=null_alarm_absent), images) as target:
        run = Baseline.measure(target, alarm_cases)
    assert {f.violation.clause for f in run.findings} == {"request.alarm.null"}
    assert clause("request.alarm.null").assumed and not clause("request.alarm.type").assumed


def _target_of(mutant: Mutant, images: LoopbackImageServer) -> contextlib.AbstractContextManager[Target]:
    # Served mutants run as `idclassify verify --base-url` runs: real port, retries, the suite's image server.
    return served_target(mutant.app()) if mutant.served else app_target(mutant.app(), images)


def _distinct(findings: list[Finding]) -> list[Finding]:
    first: dict[str, Finding] = {}
    for finding in findings:
        first.setdefault(finding.violation.clause, finding)
    return list(first.values())


def test_the_rewrite_layer_is_transparent(cases: tuple[Case, ...], images: LoopbackImageServer) -> None:
    # A mutant's only fault must be its hook: a wrapper whose hooks change nothing changes no answer.
    identity = Mutant(
        "identity", "nothing", frozenset({"behaviour.statuses"}), before=lambda s: s, after=lambda s, a: a
    )
    sample = [c for c in cases if c.clause.startswith(("auth.", "request.image.side", "request.body", "response."))]
    with app_target(identity.app(), images) as target:
        findings = [f for case in sample for f in run_case(target, case)]
    assert sample and not findings, "\n".join(map(str, findings))


def test_a_killed_mutant_is_reported_by_its_clause(
    cases: tuple[Case, ...], images: LoopbackImageServer, baseline: Baseline
) -> None:
    # The hunt itself can fail: a mutant that declares the wrong clause survives.
    misdeclared = Mutant(
        "misdeclared",
        "no X-Request-Id, declared as a location fault",
        frozenset({"cross.location.clockwise"}),
        after=lambda s, a: a.without_header("x-request-id"),
    )
    with app_target(misdeclared.app(), images) as target:
        hit, others = hunt(target, [c for c in cases if c.clause.startswith("auth.")], misdeclared.kills, baseline)
    assert hit is None
    assert {f.violation.clause for f in others} == {"behaviour.request-id"}
