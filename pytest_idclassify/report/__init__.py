"""The conformance report: per-clause verdicts, category scores, terminal summary, JSON and HTML."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_idclassify.report._html import render_html
from pytest_idclassify.report._model import PROPERTY, ClauseVerdict, Report, build_report
from pytest_idclassify.report._terminal import print_summary, summary_lines

__all__ = [
    "PROPERTY",
    "ClauseVerdict",
    "Report",
    "build_report",
    "print_summary",
    "render_html",
    "summary_lines",
    "write_reports",
]


def write_reports(records: Iterable[Mapping[str, Any]], config: Any, terminalreporter: Any = None,
                  metrics: Mapping[str, Any] | None = None) -> Report:  # fmt: skip
    """Build the report of a run, print its summary and write the JSON and HTML files ``config`` names."""
    meta = {"target": config.target, "profile": config.profile, "seed": config.seed, "assumed": config.assumed,
            "strict": config.strict, "tolerate_transient": config.tolerate_transient}  # fmt: skip
    report = build_report(records, meta=meta, metrics=metrics)
    if terminalreporter is not None:
        print_summary(report, terminalreporter, assumed_count=config.assumed == "count")
    if config.report_json:
        config.report_json.parent.mkdir(parents=True, exist_ok=True)
        config.report_json.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    if config.report_html:
        config.report_html.parent.mkdir(parents=True, exist_ok=True)
        config.report_html.write_text(render_html(report), "utf-8")
    return report
