"""The conformance report: per-clause verdicts, category scores, terminal summary, JSON and HTML."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_idclassify._json_words import json_words as _json_words
from pytest_idclassify.report._html import render_html
from pytest_idclassify.report._model import (
    PROPERTY,
    RENDERING_PROPERTY,
    UNRECORDED_CALLS_PROPERTY,
    ClauseVerdict,
    Report,
    build_report,
    run_violations,
)
from pytest_idclassify.report._terminal import RunCounts, print_summary, summary_lines

__all__ = [
    "PROPERTY",
    "RENDERING_PROPERTY",
    "UNRECORDED_CALLS_PROPERTY",
    "ClauseVerdict",
    "Report",
    "RunCounts",
    "build_report",
    "print_summary",
    "render_html",
    "run_violations",
    "summary_lines",
    "write_reports",
]


def write_reports(records: Iterable[Mapping[str, Any]], config: Any, terminalreporter: Any = None,
                  metrics: Mapping[str, Any] | None = None, counts: RunCounts | None = None,
                  deselected: frozenset[str] = frozenset(), duration: float | None = None,
                  unrecorded_calls: int = 0,
                  rendered_differently: Mapping[str, Iterable[str]] | None = None) -> Report:  # fmt: skip
    """Build the report of a run, write the JSON and HTML files ``config`` names, and print its summary.

    ``counts`` (the run's tests, from pytest's statistics) gives the summary its verdict line;
    ``deselected`` names the clauses whose cases ``-k`` / ``-m`` left out; ``duration`` is the run's
    wall-clock time in seconds, when the caller measured it; ``unrecorded_calls`` the attempts of
    an exploration's examples that left no record (counted among the calls used);
    ``rendered_differently`` the library changes across which replay matched images by their recipe.
    """
    from pytest_idclassify.redaction import redact_url

    meta = {"target": config.target, "profile": config.profile, "seed": config.seed, "assumed": config.assumed,
            "inferred": getattr(config, "inferred", "count"), "strict": config.strict,
            "tolerate_transient": config.tolerate_transient}  # fmt: skip
    calibration = getattr(config, "calibration", None)
    if calibration is not None:
        from pytest_idclassify.calibration import load_calibration

        meta["calibration"] = str(calibration)
        meta["calibrated"] = sorted(load_calibration(calibration).entries)
    if config.target == "live":
        # The base URL as given may carry a project id in its path or signed query parameters.
        meta.update(base_url=redact_url(config.base_url), call_budget=config.call_budget,
                    calls_spent=getattr(config, "calls_spent", 0))  # fmt: skip
    if duration is not None:
        meta["duration"] = round(duration, 2)
    if unrecorded_calls:
        meta["calls_unrecorded"] = unrecorded_calls
    if rendered_differently:
        meta["rendered_differently"] = {change: sorted(set(recipes)) for change, recipes in
                                        sorted(rendered_differently.items())}  # fmt: skip
    report = build_report(records, meta=meta, metrics=metrics)
    written: dict[str, Path] = {}
    if config.report_json:
        config.report_json.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(_json_words(report.to_json()), indent=2, ensure_ascii=False, allow_nan=False)
        config.report_json.write_text(text + "\n", "utf-8")
        written["JSON"] = config.report_json
    if config.report_html:
        config.report_html.parent.mkdir(parents=True, exist_ok=True)
        config.report_html.write_text(render_html(report), "utf-8")
        written["HTML"] = config.report_html
    if terminalreporter is not None:
        print_summary(report, terminalreporter, assumed_count=config.assumed == "count", counts=counts,
                      written=written, deselected=deselected, inferred_count=meta["inferred"] == "count",
                      words=config.interface.words)  # fmt: skip
    return report
