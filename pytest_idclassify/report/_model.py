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
#: the key under which an exploration leaves the attempts of the examples it kept no record of.
UNRECORDED_CALLS_PROPERTY = "idclassify-unrecorded-calls"
#: the key under which a replayed test leaves the library changes its images were matched across
#: (``{change: [recipe, ...]}``, see :attr:`pytest_idclassify.cassettes` ``rendered_differently``).
RENDERING_PROPERTY = "idclassify-rendered-differently"
#: bump when the JSON report's shape changes (2: tiers, and the run-level clauses).
REPORT_FORMAT = 2
#: the tiers, in the order the report shows them.
TIERS = ("documented", "inferred", "assumed")
#: the case name run-level violations carry: they belong to the whole run, not one case.
RUN = "(the whole run)"
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

    text = json.dumps([(c.id, c.rule, str(c.error), c.tier.value) for c in catalogue().values()])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def plural(count: int, word: str) -> str:
    """``1 case``, ``2 cases``: a count and its noun, as the summary and the HTML page write them."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def trimmed(body: Any) -> Any:
    """A response body small enough for a report: long strings and big bodies are cut."""
    text = json.dumps(body, ensure_ascii=False, default=str)
    return body if len(text) <= _BODY_LIMIT else text[:_BODY_LIMIT] + "...(cut)"


#: the verdicts of a clause, worst first: the order the HTML report lists them in.
VERDICT_ORDER = ("failed", "skipped", "not-exercised", "passed")


@dataclass
class ClauseVerdict:
    """One clause's result over the run: passed, failed, skipped or not exercised, with evidence.

    ``quote`` is the API page's sentence the clause comes from (when it has one), ``tier`` how it
    is known (documented, inferred, assumed) and ``rationale`` why an assumed choice was made (or,
    for an inferred clause, why any correct server keeps it).
    ``tier`` is the clause's tier in this run: a clause a calibration holds the target to counts as
    ``documented`` and is marked ``calibrated``.  ``assumed`` is kept for readers of format 1.
    """

    id: str
    status: str
    assumed: bool
    category: str
    rule: str
    source: str
    cases: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    skip_reasons: list[str] = field(default_factory=list)
    quote: str | None = None
    tier: str = "documented"
    rationale: str | None = None
    calibrated: bool = False


def attempt_count(call: Mapping[str, Any]) -> int:
    """How many requests a recorded call put on the wire (its ``attempts`` list, or a count; at least one)."""
    attempts = call.get("attempts")
    if isinstance(attempts, list) and attempts:
        return len(attempts)
    return attempts if isinstance(attempts, int) and attempts > 0 else 1


@dataclass
class Report:
    """The whole conformance report."""

    records: list[dict[str, Any]]
    clauses: dict[str, ClauseVerdict]
    meta: dict[str, Any]
    metrics: dict[str, Any] | None = None

    def scores(self, tier: str = "documented", *, assumed: bool | None = None) -> dict[str, dict[str, int]]:
        """Per category: passed, failed and skipped clauses of one tier (``assumed=True``: the assumed tier)."""
        if assumed is not None:
            tier = "assumed" if assumed else "documented"
        out: dict[str, dict[str, int]] = {kind.category: {"passed": 0, "failed": 0, "skipped": 0} for kind in Kind}
        for verdict in self.clauses.values():
            if verdict.tier == tier and verdict.status in ("passed", "failed", "skipped"):
                out[verdict.category][verdict.status] += 1
        return out

    def failed(self, *, assumed: bool | None = None, tier: str | None = None) -> list[ClauseVerdict]:
        """The clauses that failed: of one tier, assumed only or not (``assumed=``), or all."""
        return [v for v in self.clauses.values() if v.status == "failed" and (assumed is None or v.assumed == assumed)
                and (tier is None or v.tier == tier)]  # fmt: skip

    @property
    def transient(self) -> int:
        """Attempts answered 429, 503 or 504 (or not at all) that a retry then replaced, over the run."""
        return sum(int(record.get("transient", 0)) for record in self.records)

    def drift(self) -> list[dict[str, Any]]:
        """What the answers held beyond the documentation, each item with the cases that saw it, most seen first.

        Items are the validator's words (``/result/side: undocumented field 'side'``); a strict
        run has none, since there they are violations.
        """
        seen: dict[str, list[str]] = {}
        for record in self.records:
            for item in record.get("drift", ()):
                seen.setdefault(str(item), []).append(str(record["case"]))
        ranked = sorted(seen.items(), key=lambda entry: (-len(entry[1]), entry[0]))
        return [{"item": item, "cases": cases} for item, cases in ranked]

    def counting_failures(self) -> list[ClauseVerdict]:
        """The failed clauses that fail the run.

        Documented ones always; inferred ones unless the run reports them apart (``inferred=report``);
        assumed ones only under ``assumed=count``.
        """
        counted = {"documented": True, "inferred": self.meta.get("inferred", "count") == "count",
                   "assumed": self.meta.get("assumed") == "count"}  # fmt: skip
        return [v for v in self.failed() if counted.get(v.tier, not v.assumed)]

    def outcomes(self) -> dict[str, int]:
        """How many cases ended each way (passed, failed, skipped, and any other outcome a record names)."""
        tally: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}
        for record in self.records:
            tally[str(record["outcome"])] = tally.get(str(record["outcome"]), 0) + 1
        return tally

    def calls_used(self) -> int:
        """The calls the run sent: every attempt of every case's calls (retries count), and its probes.

        An exploration's examples that left no record count too (``meta.calls_unrecorded``).
        """
        cases = sum(attempt_count(call) for record in self.records for call in record.get("calls", ()))
        return cases + int(self.meta.get("calls_spent", 0)) + int(self.meta.get("calls_unrecorded", 0))

    def passed(self) -> bool:
        """The run's verdict: no clause that counts failed, and every case ended passed, failed or skipped."""
        unusual = {k: n for k, n in self.outcomes().items() if k not in ("passed", "failed", "skipped") and n}
        return not self.counting_failures() and not unusual

    def to_json(self) -> dict[str, Any]:
        """The JSON report (see docs/reference/report-format.md)."""
        return {
            "format": REPORT_FORMAT,
            "meta": self.meta,
            "scores": {tier: self.scores(tier) for tier in TIERS},
            "transient": self.transient,
            "drift": self.drift(),
            "clauses": [vars(v) for v in self.clauses.values()],
            "cases": self.records,
            "metrics": self.metrics,
        }


def run_violations(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The violations of run-level clauses over every record (today: one alarm threshold per alarm)."""
    from pytest_idclassify.validation import AlarmAnswer
    from pytest_idclassify.validation import run_violations as threshold_violations

    answers = [AlarmAnswer.from_json(str(r["case"]), a) for r in records for a in r.get("alarms", ())]
    return [{"clause": v.clause, "pointer": v.pointer, "message": v.message, "assumed": v.assumed,
             "tier": v.tier.value, "case": RUN} for v in threshold_violations(answers)]  # fmt: skip


def build_report(records: Iterable[Mapping[str, Any]], *, meta: Mapping[str, Any],
                 metrics: Mapping[str, Any] | None = None) -> Report:  # fmt: skip
    """Assemble the per-clause verdicts from the case records of a run (redacted: every report writes these)."""
    from pytest_idclassify.redaction import default_policy

    policy = default_policy()
    # Thumbnails are opt-in renderings of the toolkit's own synthetic images; all else is redacted,
    # in two passes: a secret that one record names is replaced in the records before it too.
    rows = [dict(r) for r in records]
    policy.learn(*({k: v for k, v in r.items() if k != "thumbnails"} for r in rows))
    ordered = sorted(
        ({k: v if k == "thumbnails" else policy.redact_mapping(v) for k, v in r.items()} for r in rows),
        key=lambda r: str(r["case"]),
    )
    calibrated = set(meta.get("calibrated", ()))
    verdicts = {
        c.id: ClauseVerdict(c.id, "not-exercised" if c.testable else "skipped", c.assumed, c.category, c.rule,
                            c.source, skip_reasons=[] if c.testable else [f"not testable offline: {c.rationale}"],
                            quote=c.quote, tier="documented" if c.id in calibrated else c.tier.value,
                            rationale=c.rationale or getattr(c, "argument", None), calibrated=c.id in calibrated)
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
    for violation in run_violations(ordered):
        verdict = verdicts[violation["clause"]]
        verdict.status = "failed"
        verdict.violations.append(violation)
    full_meta = {
        "toolkit_version": toolkit_version(),
        "catalogue_version": catalogue_version(),
        "python": platform.python_version(),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **meta,
    }
    redacted_metrics = policy.redact_mapping(dict(metrics)) if metrics else None
    return Report(ordered, verdicts, policy.redact_mapping(full_meta), redacted_metrics)
