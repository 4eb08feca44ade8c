"""The conformance summary printed at the end of a pytest run: the verdict first, then the detail.

The verdict line agrees with the exit code: it counts contract failures, errors (tests that could
not run, calls that got no answer), cassette misses and skips, so a run that exits 1 never reads
"100%".  Clauses no case exercised are listed with the reason, and every report file with its path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_idclassify.report._model import ClauseVerdict, Report, plural

#: how many clause ids a "not exercised" line names before it refers to the JSON report.
_IDS_SHOWN = 8
#: how many errors and misses the summary names one by one.
_ERRORS_SHOWN = 5


@dataclass(frozen=True)
class RunCounts:
    """What a run's tests came to, as the verdict line counts them.

    Attributes:
        passed: tests that passed.
        failed: tests that failed on a contract violation (or any other assertion).
        errors: tests that could not run (fixture errors) or whose calls got no answer.
        misses: tests whose request matched no recorded interaction in replay.
        skipped: tests skipped (the target could not run them, or the settings left them out).
        exit_status: pytest's exit status; anything but 0 makes the verdict FAIL.

    """

    passed: int = 0
    failed: int = 0
    errors: int = 0
    misses: int = 0
    skipped: int = 0
    exit_status: int = 0

    @property
    def verdict(self) -> str:
        """``PASS`` when nothing failed, erred or missed and pytest exits 0; else ``FAIL``."""
        clean = not (self.failed or self.errors or self.misses) and self.exit_status == 0
        return "PASS" if clean else "FAIL"

    def line(self) -> str:
        """The verdict line: ``FAIL: 2 failed, 0 errors, 1 cassette miss, 12 skipped, 130 passed``."""
        misses = f"{self.misses} cassette miss" + ("" if self.misses == 1 else "es")
        errors = f"{self.errors} error" + ("" if self.errors == 1 else "s")
        return f"{self.verdict}: {self.failed} failed, {errors}, {misses}, {self.skipped} skipped, {self.passed} passed"

    @classmethod
    def from_stats(cls, stats: Mapping[str, Sequence[Any]], records: Sequence[Mapping[str, Any]],
                   exit_status: int) -> RunCounts:  # fmt: skip
        """Count from pytest's terminal statistics, telling misses and unanswered calls from failures."""
        errored = [r for r in records if r.get("error")]
        misses = sum(1 for r in errored if str(r.get("error", "")).startswith("CassetteMissError"))
        unanswered = len(errored) - misses
        failed = len(stats.get("failed", ())) - len(errored)
        return cls(passed=len(stats.get("passed", ())), failed=max(0, failed),
                   errors=len(stats.get("error", ())) + unanswered, misses=misses,
                   skipped=len(stats.get("skipped", ())), exit_status=int(exit_status))  # fmt: skip


def _line(name: str, counts: dict[str, int]) -> str:
    total = counts["passed"] + counts["failed"]
    score = f"{counts['passed'] / total:6.1%}" if total else "   n/a"
    tallies = f"{counts['passed']:>3} passed  {counts['failed']:>3} failed  {counts['skipped']:>3} skipped"
    return f"  {name:<20} {score}  {tallies}"


def _why(verdict: ClauseVerdict, deselected: frozenset[str], unanswered: frozenset[str]) -> str:
    reasons = sorted(set(verdict.skip_reasons))
    if reasons:
        return "; ".join(reasons)
    if verdict.id in unanswered:
        return "its cases got no answer (see the ERROR lines)"
    if verdict.id in deselected:
        return "its cases were deselected (-k / -m)"
    return "no case of this run reached it (no request the suite sends can provoke it on this target)"


def unexercised_lines(report: Report, deselected: frozenset[str] = frozenset()) -> list[str]:
    """The documented (and inferred) clauses no case exercised, grouped by the reason why."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    unanswered = frozenset(str(r.get("clause")) for r in report.records if r.get("error"))
    for verdict in report.clauses.values():
        if verdict.status in ("skipped", "not-exercised") and not verdict.assumed:
            groups[(verdict.tier, _why(verdict, deselected, unanswered))].append(verdict.id)
    lines = []
    for (tier, why), ids in sorted(groups.items(), key=lambda item: (item[0][0], -len(item[1]), item[0][1])):
        shown = ", ".join(ids[:_IDS_SHOWN]) + (f" (+{len(ids) - _IDS_SHOWN} more)" if len(ids) > _IDS_SHOWN else "")
        lines.append(f"NOT EXERCISED {len(ids)} {tier} clause{'s' if len(ids) > 1 else ''}: {shown}: {why[:200]}")
    return lines


def _error_lines(report: Report) -> list[str]:
    errored = [r for r in report.records if r.get("error")]
    lines = []
    for record in errored[:_ERRORS_SHOWN]:
        first = str(record.get("error", "")).splitlines()[0]
        lines.append(f"ERROR {record['case']}: {first[:200]}")
    if len(errored) > _ERRORS_SHOWN:
        lines.append(f"ERROR ... and {len(errored) - _ERRORS_SHOWN} more (see the JSON report)")
    return lines


def drift_lines(report: Report) -> list[str]:
    """What the answers held beyond the documentation: a heading, then each item with how many cases saw it."""
    drift = report.drift()
    if not drift:
        return []
    cases = len({case for entry in drift for case in entry["cases"]})
    lines = [f"DRIFT {plural(len(drift), 'item')} the documentation does not name, in {plural(cases, 'case')} "
             "(reported, not failed: --idclassify-strict makes each a violation):"]  # fmt: skip
    for entry in drift[:_ERRORS_SHOWN]:
        seen = entry["cases"]
        lines.append(f"  {str(entry['item'])[:150]} ({plural(len(seen), 'case')}, e.g. {seen[0]})")
    if len(drift) > _ERRORS_SHOWN:
        lines.append(f"  ... and {len(drift) - _ERRORS_SHOWN} more (see the JSON report's drift)")
    return lines


def summary_lines(
    report: Report,
    *,
    assumed_count: bool,
    counts: RunCounts | None = None,
    written: Mapping[str, Path] | None = None,
    deselected: frozenset[str] = frozenset(),
    inferred_count: bool = True,
) -> list[str]:
    """The lines of the terminal summary, verdict first.

    Then the target, scores per category and tier, what was not exercised and why, what the answers
    held beyond the documentation, every failed clause, errors and misses, and where each report was
    written.  Flags are pytest's (``--idclassify-strict``); :func:`print_summary` rewords them.
    """
    meta = report.meta
    lines = [counts.line()] if counts is not None else []
    budget = meta.get("call_budget")
    calls = report.calls_used()
    used = f"{calls} of {budget} calls used" if budget else f"{calls} calls"
    where = f" {meta['base_url']}" if meta.get("base_url") else ""
    lines += [f"target {meta.get('target')}{where}, profile {meta.get('profile')}, {used}, "
              f"pytest-idclassify {meta['toolkit_version']}, catalogue {meta['catalogue_version']}",
              "documented clauses:"]  # fmt: skip
    lines += [_line(name, tally) for name, tally in report.scores().items()]
    lines.append(
        "inferred clauses (not stated, but any correct server keeps them; "
        + ("they count in this run):" if inferred_count else "reported apart, they do not fail the run):")
    )
    lines += [_line(name, tally) for name, tally in report.scores("inferred").items()]
    lines.append(
        "assumed clauses (choices where the documentation is silent; "
        + ("they count in this run):" if assumed_count else "reported apart, they do not fail the run):")
    )
    lines += [_line(name, tally) for name, tally in report.scores(assumed=True).items()]
    if report.transient:
        how = ("tolerated (--idclassify-tolerate-transient)" if meta.get("tolerate_transient")
               else "429/503/504 answers count against behaviour.statuses")  # fmt: skip
        lines.append(f"transient answers replaced by a retry: {report.transient}, {how}")
    lines += unexercised_lines(report, deselected)
    lines += drift_lines(report)
    for change, recipes in meta.get("rendered_differently", {}).items():
        lines.append(f"NOTE {plural(len(recipes), 'image recipe')} replayed by recipe, not by bytes: drawn with "
                     f"{change}; re-record the cassettes to keep today's digests")  # fmt: skip
    for verdict in report.failed():
        label = verdict.tier + (", calibrated" if verdict.calibrated else "")
        tag = f" ({label})" if label != "documented" else ""
        first = verdict.violations[0]
        more = f" (+{len(verdict.violations) - 1} more)" if len(verdict.violations) > 1 else ""
        lines.append(f"FAILED {verdict.id}{tag}: {first['message'][:150]} [{first['case']}]{more}")
    lines += _error_lines(report)
    if report.metrics:
        lines.append(
            "recognition metrics: " + ", ".join(f"{k}={v}" for k, v in report.metrics.get("summary", {}).items())
        )
    for kind, path in (written or {}).items():
        lines.append(f"report {kind}: {path.resolve()}")
    return lines


def print_summary(
    report: Report,
    terminalreporter: Any,
    *,
    assumed_count: bool,
    counts: RunCounts | None = None,
    written: Mapping[str, Path] | None = None,
    deselected: frozenset[str] = frozenset(),
    inferred_count: bool = True,
    words: Callable[[str], str] = str,
) -> None:
    """Write the summary section into pytest's terminal output, its flags in ``words`` (an interface's)."""
    terminalreporter.section("idclassify conformance")
    for pytest_line in summary_lines(report, assumed_count=assumed_count, counts=counts, written=written,
                                     deselected=deselected, inferred_count=inferred_count):  # fmt: skip
        line = words(pytest_line)
        markup = {"green": True} if line.startswith("PASS") else {"red": True} if line.startswith("FAIL") else {}
        terminalreporter.write_line(line, **markup)
