"""The conformance report's data: what each case did, and the verdict per clause and per category.

Case records are plain JSON-able dicts so that pytest-xdist workers can hand them to the
controller through ``user_properties``; the report is assembled from them once, at the end.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pytest_idclassify.catalogue import Kind, catalogue

#: the key under which a contract test leaves its record in ``item.user_properties``.
PROPERTY = "idclassify"
#: bump when the JSON report's shape changes.
REPORT_FORMAT = 1
#: how much of a response body a record keeps.
_BODY_LIMIT = 2000


def toolkit_version() -> str:
    """The installed pytest-idclassify version (``0+unknown`` in a bare checkout)."""
    try:
        return version("pytest-idclassify")
    except PackageNotFoundError:  # pragma: no cover - only without an install
        return "0+unknown"


def catalogue_version() -> str:
    """A short digest of the catalogue: it changes whenever a clause's id, rule or outcome changes."""
    import hashlib

    text = json.dumps([(c.id, c.rule, str(c.error), c.assumed) for c in catalogue().values()])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def trimmed(body: Any) -> Any:
    """A response body small enough for a report: long strings and big bodies are cut."""
    text = json.dumps(body, ensure_ascii=False, default=str)
    return body if len(text) <= _BODY_LIMIT else text[:_BODY_LIMIT] + "...(cut)"


@dataclass
class ClauseVerdict:
    """One clause's result over the run: passed, failed, skipped or not exercised, with evidence."""

    id: str
    status: str
    assumed: bool
    category: str
    rule: str
    source: str
    cases: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    skip_reasons: list[str] = field(default_factory=list)


@dataclass
class Report:
    """The whole conformance report."""

    records: list[dict[str, Any]]
    clauses: dict[str, ClauseVerdict]
    meta: dict[str, Any]
    metrics: dict[str, Any] | None = None

    def scores(self, *, assumed: bool = False) -> dict[str, dict[str, int]]:
        """Per category: passed, failed and skipped clauses (documented ones, or assumed ones)."""
        out: dict[str, dict[str, int]] = {kind.category: {"passed": 0, "failed": 0, "skipped": 0} for kind in Kind}
        for verdict in self.clauses.values():
            if verdict.assumed == assumed and verdict.status in ("passed", "failed", "skipped"):
                out[verdict.category][verdict.status] += 1
        return out

    def failed(self, *, assumed: bool | None = None) -> list[ClauseVerdict]:
        """The clauses that failed (documented only, assumed only, or all)."""
        return [v for v in self.clauses.values() if v.status == "failed" and (assumed is None or v.assumed == assumed)]

    @property
    def transient(self) -> int:
        """Attempts answered 429, 503 or 504 (or not at all) that a retry then replaced, over the run."""
        return sum(int(record.get("transient", 0)) for record in self.records)

    def to_json(self) -> dict[str, Any]:
        """The JSON report (see docs/reference/report-format.md)."""
        return {
            "format": REPORT_FORMAT,
            "meta": self.meta,
            "scores": {"documented": self.scores(), "assumed": self.scores(assumed=True)},
            "transient": self.transient,
            "clauses": [vars(v) for v in self.clauses.values()],
            "cases": self.records,
            "metrics": self.metrics,
        }


def build_report(records: Iterable[Mapping[str, Any]], *, meta: Mapping[str, Any],
                 metrics: Mapping[str, Any] | None = None) -> Report:  # fmt: skip
    """Assemble the per-clause verdicts from the case records of a run (redacted: every report writes these)."""
    from pytest_idclassify.redaction import redact_mapping

    # Thumbnails are opt-in renderings of the toolkit's own synthetic images; all else is redacted.
    ordered = sorted(
        ({k: v if k == "thumbnails" else redact_mapping(v) for k, v in dict(r).items()} for r in records),
        key=lambda r: str(r["case"]),
    )
    verdicts = {
        c.id: ClauseVerdict(c.id, "not-exercised" if c.testable else "skipped", c.assumed, c.category, c.rule,
                            c.source, skip_reasons=[] if c.testable else [f"not testable offline: {c.rationale}"])
        for c in catalogue().values()
    }  # fmt: skip
    for record in ordered:
        if record["outcome"] == "error":
            continue  # no answer to judge: counted in the summary's verdict line, not against a clause
        if record["outcome"] == "skipped":
            verdict = verdicts[record["clause"]]
            verdict.skip_reasons.append(record.get("skip_reason") or "skipped")
            if verdict.status == "not-exercised":
                verdict.status = "skipped"
            continue
        for clause_id in record["exercised"]:
            verdict = verdicts[clause_id]
            verdict.cases.append(record["case"])
            if verdict.status in ("not-exercised", "skipped"):
                verdict.status = "passed"
        for violation in record["violations"]:
            verdict = verdicts[violation["clause"]]
            verdict.status = "failed"
            verdict.violations.append({**violation, "case": record["case"]})
    full_meta = {
        "toolkit_version": toolkit_version(),
        "catalogue_version": catalogue_version(),
        "python": platform.python_version(),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **meta,
    }
    return Report(ordered, verdicts, redact_mapping(full_meta), redact_mapping(dict(metrics)) if metrics else None)
