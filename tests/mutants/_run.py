"""Run contract cases against any ASGI app the way the suite does, and collect what it reports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
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
from pytest_idclassify.suite import Target, check_case
from pytest_idclassify.suite._urlhost import LoopbackImageServer
from pytest_idclassify.validation import Violation

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


def run_case(target: Target, case: Case) -> list[Finding]:
    """Send ``case``'s calls and return every violation, assumed clauses included."""
    reason = target.missing(case)
    if reason is not None:
        raise AssertionError(f"{case.id} cannot run on an offline target: {reason}")
    verdict = check_case(case, [target.send(call) for call in case.calls])
    return [Finding(case, v) for v in verdict.violations]


def declared_first(cases: Iterable[Case], clauses: frozenset[str]) -> list[Case]:
    """The cases whose own clause (or a companion) is in ``clauses`` first, the others after, order kept."""
    cases = list(cases)
    return sorted(cases, key=lambda c: not ({c.clause, *c.companions} & clauses))


def hunt(target: Target, cases: Sequence[Case], clauses: frozenset[str]) -> tuple[Finding | None, list[Finding]]:
    """Run cases until one reports a violation of ``clauses``: return it, and the other clauses' findings on the way."""
    others: list[Finding] = []
    for case in declared_first(cases, clauses):
        findings = run_case(target, case)
        hit = next((f for f in findings if f.violation.clause in clauses), None)
        others += [f for f in findings if f.violation.clause not in clauses]
        if hit is not None:
            return hit, others
    return None, others
