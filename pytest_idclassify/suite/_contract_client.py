"""The client users' own contract tests get: it remembers each call, to check them all at the end."""

from __future__ import annotations

from typing import Any

from pytest_idclassify.client import Attempt, Outcome
from pytest_idclassify.suite._target import Target
from pytest_idclassify.validation import Violation, format_violations, validate_response


class ContractClient:
    """Sends calls to the run's target and keeps (request body, outcome) pairs for the contract check."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self.calls: list[tuple[Any, Outcome]] = []
        #: the answers a retry replaced, (request body, outcome): checked like the final ones.
        self.replaced: list[tuple[Any, Outcome]] = []

    def classify(self, *, data: str | None = None, url: str | None = None, alarm: bool | None = None,
                 **kwargs: Any) -> Outcome:  # fmt: skip
        """Send a classification request; ``None`` fields are left out of the body."""
        body = {k: v for k, v in (("data", data), ("url", url), ("alarm", alarm)) if v is not None}
        return self.post(json=body, **kwargs)

    def post(self, **kwargs: Any) -> Outcome:
        """Send any body (see :meth:`pytest_idclassify.client.IdClassifyClient.post`)."""
        from pytest_idclassify.cases import Auth

        log: list[Attempt] = []
        outcome = self._target.client(Auth.DEFAULT).post(attempt_log=log, **kwargs)
        self.calls.append((kwargs.get("json"), outcome))
        self.replaced += [(kwargs.get("json"), a.outcome) for a in log[:-1] if a.outcome is not None]
        return outcome

    def violations(self, *, strict: bool = False, include_assumed: bool = True) -> list[Violation]:
        """Every contract violation among the calls made so far."""
        found: list[Violation] = []
        for body, outcome in self.replaced + self.calls:
            found += validate_response(outcome.body, status=outcome.status,
                                       request=body if isinstance(body, dict) else None, headers=outcome.headers,
                                       strict=strict, include_assumed=include_assumed)  # fmt: skip
        return found

    def assert_conforms(self, *, strict: bool = False, include_assumed: bool = True) -> None:
        """Fail with one block listing every violation of every call made so far."""
        found = self.violations(strict=strict, include_assumed=include_assumed)
        if found:
            raise AssertionError(format_violations(found, title=f"{len(self.calls)} call(s) made in this test"))
