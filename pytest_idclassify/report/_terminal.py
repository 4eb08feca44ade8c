"""The conformance summary printed at the end of a pytest run."""

from __future__ import annotations

from typing import Any

from pytest_idclassify.report._model import Report


def _line(name: str, counts: dict[str, int]) -> str:
    total = counts["passed"] + counts["failed"]
    score = f"{counts['passed'] / total:6.1%}" if total else "   n/a"
    tallies = f"{counts['passed']:>3} passed  {counts['failed']:>3} failed  {counts['skipped']:>3} skipped"
    return f"  {name:<20} {score}  {tallies}"


def summary_lines(report: Report, *, assumed_count: bool) -> list[str]:
    """The lines of the terminal summary: scores per category, then every failed clause."""
    meta = report.meta
    lines = [f"target {meta.get('target')}, profile {meta.get('profile')}, "
             f"pytest-idclassify {meta['toolkit_version']}, catalogue {meta['catalogue_version']}",
             "documented clauses:"]  # fmt: skip
    lines += [_line(name, counts) for name, counts in report.scores().items()]
    lines.append(
        "assumed clauses (choices where the documentation is silent; "
        + ("they count in this run):" if assumed_count else "reported apart, they do not fail the run):")
    )
    lines += [_line(name, counts) for name, counts in report.scores(assumed=True).items()]
    if report.transient:
        how = ("tolerated (--idclassify-tolerate-transient)" if meta.get("tolerate_transient")
               else "429/503/504 answers count against behaviour.statuses")  # fmt: skip
        lines.append(f"transient answers replaced by a retry: {report.transient}, {how}")
    for verdict in report.failed():
        tag = " (assumed)" if verdict.assumed else ""
        first = verdict.violations[0]
        more = f" (+{len(verdict.violations) - 1} more)" if len(verdict.violations) > 1 else ""
        lines.append(f"FAILED {verdict.id}{tag}: {first['message'][:150]} [{first['case']}]{more}")
    if report.metrics:
        lines.append(
            "recognition metrics: " + ", ".join(f"{k}={v}" for k, v in report.metrics.get("summary", {}).items())
        )
    return lines


def print_summary(report: Report, terminalreporter: Any, *, assumed_count: bool) -> None:
    """Write the summary section into pytest's terminal output."""
    terminalreporter.section("idclassify conformance")
    for line in summary_lines(report, assumed_count=assumed_count):
        terminalreporter.write_line(line)
