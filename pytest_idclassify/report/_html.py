"""The self-contained HTML conformance report: one file, no external assets."""

from __future__ import annotations

import html
import json
from typing import Any

from pytest_idclassify.report._model import Report

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.passed{color:#1a7f37}.failed{color:#cf222e;font-weight:600}.skipped,.not-exercised{color:#777}
details{margin:.4em 0;border:1px solid #eee;padding:.3em .6em}summary{cursor:pointer}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:.5em;font-size:12px}
img{border:1px solid #ccc;margin:2px;image-rendering:pixelated}.tag{font-size:11px;color:#555}
"""


def _esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, indent=1, ensure_ascii=False))


def _scores(report: Report, assumed: bool) -> str:
    rows = "".join(
        f"<tr><td>{_esc(name)}</td><td class=passed>{c['passed']}</td><td class=failed>{c['failed']}</td>"
        f"<td class=skipped>{c['skipped']}</td></tr>"
        for name, c in report.scores(assumed=assumed).items()
    )
    return f"<table><tr><th>category</th><th>passed</th><th>failed</th><th>skipped</th></tr>{rows}</table>"


def _case(record: dict[str, Any]) -> str:
    parts = [f"<summary class={record['outcome']}>{_esc(record['case'])} — {record['outcome']}</summary>"]
    for thumb in record.get("thumbnails", []):
        parts.append(f'<img alt="failing image" src="data:image/png;base64,{thumb}">')
    for v in record["violations"]:
        where = f"call {v['call'] + 1}: " if v.get("call") is not None else ""
        parts.append(f"<p class=failed>{where}{_esc(v['clause'])} {_esc(v['pointer'])}: {_esc(v['message'])}</p>")
    for call in record["calls"]:
        tries = call.get("attempts", [])
        retried = ("attempts: " + " → ".join(str(a["status"] or a["error"]) for a in tries) + "\n"
                   if len(tries) > 1 else "")  # fmt: skip
        parts.append(
            f"<pre>request: {_esc(call['request'])}\nsent: {_esc(call['sent'])}\n{_esc(retried)}"
            f"HTTP {call['status']} request id {_esc(call['request_id'] or '-')}\n{_esc(call['body'])}</pre>"
        )
    if record.get("skip_reason"):
        parts.append(f"<p class=skipped>{_esc(record['skip_reason'])}</p>")
    return "<details>" + "".join(parts) + "</details>"


def render_html(report: Report) -> str:
    """Return the report as one HTML page: scores, every clause with its evidence, failing images."""
    by_case = {r["case"]: r for r in report.records}
    rows = []
    for verdict in report.clauses.values():
        evidence = "".join(_case(by_case[c]) for c in dict.fromkeys(v["case"] for v in verdict.violations))
        tag = " <span class=tag>assumed</span>" if verdict.assumed else ""
        rows.append(
            f"<tr><td><code>{_esc(verdict.id)}</code>{tag}</td><td class={verdict.status}>{verdict.status}</td>"
            f"<td>{_esc(verdict.rule)}<br><span class=tag>{_esc(verdict.source)}</span>{evidence}</td>"
            f"<td>{len(dict.fromkeys(verdict.cases))}</td></tr>"
        )
    meta = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in report.meta.items())
    metrics = f"<h2>Recognition metrics</h2><pre>{_esc(report.metrics)}</pre>" if report.metrics else ""
    cases = "".join(_case(r) for r in report.records)
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>Auto ID Document Classification conformance</title>"
        f"<style>{_STYLE}</style></head><body><h1>Auto ID Document Classification: conformance report</h1>"
        f"<table>{meta}</table><h2>Documented clauses</h2>{_scores(report, False)}"
        f"<h2>Assumed clauses</h2>{_scores(report, True)}"
        "<h2>Clauses</h2><table><tr><th>clause</th><th>verdict</th><th>rule, source, failing cases</th>"
        f"<th>cases</th></tr>{''.join(rows)}</table>{metrics}<h2>All cases</h2>{cases}</body></html>\n"
    )
