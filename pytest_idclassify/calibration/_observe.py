"""Take a calibration: run the assumed-choice cases against a server and write down what it chose.

A case is an assumed-choice case when its clause, or a companion it is held to, is assumed; the
cases that ask for alarms run too, since their (flag, score) pairs place the server's threshold.
Single-call cases give an answer per clause (status, code, message); error codes whose status
the documentation leaves open give theirs; relations and per-answer rules give ``kept`` or
``not kept``.  Messages are scrubbed of every secret the run knows before they are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pytest_idclassify.calibration._file import Calibration, Entry, Observation
from pytest_idclassify.cases import VALIDATION_CODES, Case, Expect
from pytest_idclassify.catalogue import ALARM_THRESHOLD, Kind, clause, error_clause_for
from pytest_idclassify.client import Outcome
from pytest_idclassify.errors import BudgetExceededError, TransportError, UploadHookError
from pytest_idclassify.suite._checks import check_case
from pytest_idclassify.suite._target import Target
from pytest_idclassify.validation import alarm_pairs, explaining

THRESHOLD_CLAUSE = "cross.alarm.result-matches-score"
BASE64_READING_CLAUSE = "request.data.base64-binary-reading"
#: a scrubber: text in, the same text with every known secret replaced.
Scrub = Callable[[str], str]


def accepted(observation: Observation) -> bool:
    """Whether an answer got past input validation: 200, or a content-level refusal (AIS.0104, AIS.0105)."""
    return observation.status == 200 or (observation.status == 400 and observation.code not in VALIDATION_CODES)


def _is_assumed(clause_id: str) -> bool:
    return clause(clause_id).assumed


def _asks_alarms(case: Case) -> bool:
    return any((call.json or {}).get("alarm") is True for call in case.calls)


def calibration_cases(cases: Iterable[Case]) -> list[Case]:
    """The cases a calibration runs: assumed clause or companion, or alarms asked for (threshold evidence)."""
    return [c for c in cases if _is_assumed(c.clause) or any(map(_is_assumed, c.companions)) or _asks_alarms(c)]


@dataclass
class Observer:
    """Collects what a server answered, case by case, and turns it into calibration entries."""

    scrub: Scrub = str
    answers: dict[str, list[Observation]] = field(default_factory=dict)
    codes: dict[str, Observation] = field(default_factory=dict)
    violations: dict[str, str] = field(default_factory=dict)
    exercised: set[str] = field(default_factory=set)
    pairs: list[tuple[bool, int, str | None]] = field(default_factory=list)
    not_observed: dict[str, str] = field(default_factory=dict)
    #: clauses whose cases only ask that validation let the request through (Expect.ACCEPTED).
    lenient: dict[str, bool] = field(default_factory=dict)

    def _observation(self, case: Case, outcome: Outcome) -> Observation:
        message = outcome.error_msg
        return Observation(case.id, outcome.status, outcome.error_code,
                           self.scrub(message) if message is not None else None, outcome.request_id)  # fmt: skip

    def skipped(self, case: Case, reason: str) -> None:
        """Note that ``case`` could not run, so its assumed clauses may go unobserved."""
        for cid in (case.clause, *case.companions):
            if _is_assumed(cid):
                self.not_observed.setdefault(cid, reason)

    def add(self, case: Case, outcomes: Sequence[Outcome], exercised: Iterable[str], violated: Iterable[Any]) -> None:
        """Record one case's answers, the clauses its checks covered and the violations they found."""
        self.exercised |= set(exercised)
        for violation in violated:
            self.violations.setdefault(violation.clause, self.scrub(violation.message))
        if case.expect is not None:
            for cid in (case.clause, *case.companions):
                if _is_assumed(cid) and clause(cid).kind is not Kind.ERROR:
                    self.answers.setdefault(cid, []).append(self._observation(case, outcomes[0]))
                    self.lenient.setdefault(cid, case.expect is Expect.ACCEPTED)
        for outcome in outcomes:
            code = outcome.error_code
            if code is not None:
                try:
                    mapped = error_clause_for(code, outcome.error_msg)
                except KeyError:  # an undocumented code: drift, not a choice of the documented table
                    continue
                if mapped.assumed:
                    self.codes.setdefault(mapped.id, self._observation(case, outcome))
            for flag, score in alarm_pairs(outcome.body).values():
                self.pairs.append((flag, score, outcome.request_id))

    def entries(self) -> dict[str, Entry]:
        """One entry per assumed clause the run observed."""
        out: dict[str, Entry] = {}
        for cid, observed in self.answers.items():
            if cid == BASE64_READING_CLAUSE:
                reading = "binary" if all(map(accepted, observed)) else "decimal"
            elif self.lenient.get(cid):
                reading = "served" if accepted(observed[0]) else "refused"
            else:
                reading = "served" if observed[0].status == 200 else "refused"
            out[cid] = Entry(cid, reading, observed[0], tuple(observed))
        for cid, observation in self.codes.items():
            out.setdefault(cid, Entry(cid, "refused", observation))
        if self.pairs:
            span = explaining((flag, score) for flag, score, _ in self.pairs)
            evidence = next((rid for _, _, rid in self.pairs if rid), None)
            if span:
                out[THRESHOLD_CLAUSE] = Entry(
                    THRESHOLD_CLAUSE,
                    "threshold",
                    low=span.start,
                    high=span.stop - 1,
                    evidence=Observation("alarm answers", 200, request_id=evidence),
                )
            else:
                broken = f"no one threshold explains every alarm's flags (the assumed one is {ALARM_THRESHOLD})"
                out[THRESHOLD_CLAUSE] = Entry(THRESHOLD_CLAUSE, "not kept", violation=broken)
        for cid in sorted(self.exercised):
            if cid in out or not _is_assumed(cid) or clause(cid).kind is Kind.ERROR or clause(cid).metric:
                continue
            seen = self.violations.get(cid)
            out[cid] = Entry(cid, "not kept" if seen else "kept", violation=seen)
        return out


def observe(target: Target, cases: Sequence[Case], *, scrub: Scrub = str, target_name: str = "") -> tuple[
    Calibration, dict[str, str]
]:  # fmt: skip
    """Run ``cases`` against ``target``; return the calibration and the assumed clauses left unobserved (why).

    A spent call budget or a server that stops answering ends the run cleanly: what was observed so
    far is kept, and the rest is reported unobserved with the reason.  A failing upload hook leaves
    the URL cases unobserved, with its reason, and the others are still run.
    """
    from pytest_idclassify.report._model import catalogue_version, toolkit_version

    observer = Observer(scrub)
    hook_failed: str | None = None  # once the upload hook fails, the other URL cases are not tried
    for n, case in enumerate(cases):
        reason = target.missing(case) or (hook_failed if "url-server" in case.needs else None)
        if reason is not None:
            observer.skipped(case, reason)
            continue
        try:
            exchanges = [target.send(call) for call in case.calls]
        except UploadHookError as exc:
            hook_failed = str(exc)
            observer.skipped(case, hook_failed)
            continue
        except (BudgetExceededError, TransportError) as exc:
            for rest in cases[n:]:
                observer.skipped(rest, str(exc))
            break
        verdict = check_case(case, exchanges)
        observer.add(case, [e.outcome for e in exchanges], verdict.exercised, verdict.violations)
    entries = observer.entries()
    missing = {cid: why for cid, why in observer.not_observed.items() if cid not in entries}
    taken = datetime.now(timezone.utc).isoformat(timespec="seconds")
    calibration = Calibration(entries, target=target_name, taken=taken, toolkit_version=toolkit_version(),
                              catalogue_version=catalogue_version())  # fmt: skip
    return calibration, missing
