"""Run contract cases against any ASGI app the way the suite does, and collect what it reports."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp

from pytest_idclassify.cases import Case
from pytest_idclassify.client import ClientConfig
from pytest_idclassify.emulator._settings import (
    DEFAULT_AK,
    DEFAULT_EXPIRED_TOKEN,
    DEFAULT_PROJECT_ID,
    DEFAULT_SK,
    DEFAULT_TOKEN,
)
from pytest_idclassify.suite import Exchange, Target, Verdict, check_case
from pytest_idclassify.suite._urlhost import LoopbackImageServer
from pytest_idclassify.validation import AlarmAnswer, Violation, alarm_pairs, run_violations

#: everything the suite can ask of an offline target.
OFFERS = frozenset({"url-server", "expired-token", "aksk"})


@dataclass(frozen=True)
class Finding:
    """A violation the suite reported, with the case that provoked it."""

    case: Case
    violation: Violation

    def __str__(self) -> str:
        """One line: clause, case id and what was wrong."""
        return f"{self.violation.clause} in {self.case.id}: {self.violation.message}"


def client_config() -> ClientConfig:
    """The client settings for an app that knows the emulator's published fake credentials."""
    return ClientConfig(endpoint="http://service.invalid", project_id=DEFAULT_PROJECT_ID, auth="token",
                        token=DEFAULT_TOKEN, access_key=DEFAULT_AK, secret_key=DEFAULT_SK, max_retries=0)  # fmt: skip


@contextlib.contextmanager
def app_target(app: ASGIApp, images: LoopbackImageServer) -> Iterator[Target]:
    """A suite target that sends every call to ``app`` in-process, with URL images on ``images``."""
    target = Target("emulator", client_config(), app=app, url_host=images, offers=OFFERS,
                    expired_token=DEFAULT_EXPIRED_TOKEN)  # fmt: skip
    try:
        yield target
    finally:
        target.close()


def send_and_check(target: Target, case: Case, *, tolerate_transient: bool = False) -> tuple[Verdict, list[Exchange]]:
    """Send ``case``'s calls and check the answers as the suite does; return the verdict and the exchanges."""
    reason = target.missing(case)
    if reason is not None:
        raise AssertionError(f"{case.id} cannot run on an offline target: {reason}")
    exchanges = [target.send(call) for call in case.calls]
    return check_case(case, exchanges, tolerate_transient=tolerate_transient), exchanges


def check(target: Target, case: Case, *, tolerate_transient: bool = False) -> Verdict:
    """Send ``case``'s calls and check the answers as the suite does (assumed clauses included)."""
    return send_and_check(target, case, tolerate_transient=tolerate_transient)[0]


def alarm_answers(case: Case, exchanges: Sequence[Exchange]) -> list[AlarmAnswer]:
    """The alarm pairs of a case's answers, as the run-level threshold check reads them."""
    return [
        AlarmAnswer(case.id, e.outcome.request_id, pairs) for e in exchanges if (pairs := alarm_pairs(e.outcome.body))
    ]


def run_case(target: Target, case: Case, *, tolerate_transient: bool = False) -> list[Finding]:
    """Send ``case``'s calls and return every violation, assumed clauses included."""
    return [Finding(case, v) for v in check(target, case, tolerate_transient=tolerate_transient).violations]


@dataclass(frozen=True)
class Baseline:
    """A run of every case against a correct server: what it exercised, what it reported, how long it took."""

    findings: tuple[Finding, ...]
    exercised: Mapping[str, frozenset[str]]
    seconds: Mapping[str, float]

    @classmethod
    def measure(cls, target: Target, cases: Sequence[Case]) -> Baseline:
        """Run every case once against ``target``."""
        findings: list[Finding] = []
        exercised, seconds = {}, {}
        answers: list[AlarmAnswer] = []
        for case in cases:
            started = time.perf_counter()
            verdict, exchanges = send_and_check(target, case)
            seconds[case.id] = time.perf_counter() - started
            exercised[case.id] = verdict.exercised
            findings += [Finding(case, v) for v in verdict.violations]
            answers += alarm_answers(case, exchanges)
        # The run-level clauses, over every answer of the run, as the report judges them at the end.
        findings += [Finding(cases[-1], v) for v in run_violations(answers)] if cases else []
        return cls(tuple(findings), exercised, seconds)

    @property
    def clauses(self) -> frozenset[str]:
        """Every clause some case exercised."""
        return frozenset().union(*self.exercised.values())

    def known(self, finding: Finding) -> bool:
        """Whether the correct server was reported for the same clause in the same case."""
        return any(f.case.id == finding.case.id and f.violation.clause == finding.violation.clause
                   for f in self.findings)  # fmt: skip

    def order(self, cases: Iterable[Case], clauses: frozenset[str]) -> list[Case]:
        """The cases that exercised ``clauses`` first, quickest first; then the others, quickest first."""
        return sorted(cases, key=lambda c: (not (self.exercised.get(c.id, frozenset()) & clauses),
                                            self.seconds.get(c.id, 0.0)))  # fmt: skip


def hunt(
    target: Target, cases: Sequence[Case], clauses: frozenset[str], baseline: Baseline
) -> tuple[Finding | None, list[Finding]]:
    """Run cases until one reports a violation of ``clauses`` that the baseline did not.

    Returns that finding (or ``None`` when the mutant survives) and the findings of other clauses
    met on the way.  Cases that exercised ``clauses`` in the baseline run first, so a run is short.
    """
    others: list[Finding] = []
    answers: list[AlarmAnswer] = []
    for case in baseline.order(cases, clauses):
        verdict, exchanges = send_and_check(target, case)
        findings = [Finding(case, v) for v in verdict.violations]
        # Run-level clauses judge every answer so far: the case that completes the evidence is the one named.
        answers += alarm_answers(case, exchanges)
        findings += [Finding(case, v) for v in run_violations(answers)]
        findings = [f for f in findings if not baseline.known(f)]
        hit = next((f for f in findings if f.violation.clause in clauses), None)
        others += [f for f in findings if f.violation.clause not in clauses]
        if hit is not None:
            return hit, others
    return None, others
