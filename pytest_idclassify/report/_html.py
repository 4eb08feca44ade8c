"""The self-contained HTML conformance report: one file, no external assets, usable at 500 failures.

The page opens on the run's verdict, lists clauses and cases worst first, and filters them by
verdict, category, tier and text in place. Every clause and every case has an anchor. What can be
long (evidence, calls, bodies) is collapsed, and each piece is capped, so that a clause broken by
hundreds of cases stays a short row that links to them.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_idclassify.catalogue import Kind
from pytest_idclassify.report._html_assets import SCRIPT, STYLE
from pytest_idclassify.report._model import VERDICT_ORDER, ClauseVerdict, Report, plural

#: failing cases a clause row links to by name; the rest are one click away through the filter.
CASES_PER_CLAUSE = 25
#: characters of a response body shown per call (the record keeps a little more).
BODY_EXCERPT = 1500
#: characters of one violation message shown.
MESSAGE_EXCERPT = 600
#: the tiers a clause can have, in the order the filter offers them.
TIERS = ("documented", "inferred", "assumed")
_CASE_ORDER = ("failed", "error", "skipped", "passed")
_META_LABELS = {"target": "target", "base_url": "base URL", "profile": "profile", "seed": "seed",
                "duration": "duration", "assumed": "assumed clauses", "strict": "strict",
                "toolkit_version": "pytest-idclassify", "catalogue_version": "catalogue", "python": "Python",
                "finished": "finished"}  # fmt: skip


def _esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def anchor(kind: str, name: str) -> str:
    """The element id of a clause or a case: readable, unique, and safe in a URL fragment.

    Letters, digits, ``.``, ``_`` and ``-`` stay; any other character becomes ``~<hex>~`` (``~``
    included), so two names never share an anchor.
    """
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9._-]", lambda m: f"~{ord(m[0]):x}~", name)


def _search_text(parts: Iterable[Any]) -> str:
    return _esc(" ".join(str(p) for p in parts if p).lower())


def _verdict(status: str) -> str:
    return f'<span class="verdict {_esc(status)}">{_esc(status)}</span>'


def _banner(report: Report) -> str:
    outcomes = report.outcomes()
    counting = report.counting_failures()
    word, cls = ("PASS", "pass") if report.passed() else ("FAIL", "fail")
    parts = [f"{plural(len(counting), 'clause')} failed"]
    apart = len(report.failed()) - len(counting)
    if apart:
        parts[0] += f" (+{apart} reported apart)"
    cases = ", ".join(f"{n} {name}" for name, n in sorted(outcomes.items(), key=lambda kv: _rank(_CASE_ORDER, kv[0])))
    parts.append(f"cases: {cases}")
    not_exercised = sum(v.status == "not-exercised" for v in report.clauses.values())
    parts.append(f"{not_exercised} clauses not exercised")
    drift = len(report.drift())
    if drift:
        parts.append(f"{plural(drift, 'undocumented item')} in the answers")
    link = ' · <a href="#clauses">failures first</a>' if counting else ""
    return (f'<header id="verdict" class="banner {cls}"><strong>{word}</strong>'
            f"<span>{_esc(' · '.join(parts))}</span>{link}</header>")  # fmt: skip


def _rank(order: tuple[str, ...], name: str) -> int:
    return order.index(name) if name in order else len(order)


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return str(seconds)
    minutes, rest = divmod(float(seconds), 60)
    return f"{int(minutes)} min {rest:.1f} s" if minutes else f"{rest:.1f} s"


def _run(report: Report) -> str:
    meta = dict(report.meta)
    budget = meta.pop("call_budget", None)
    meta.pop("calls_spent", None)  # counted in calls_used (the probe)
    used = report.calls_used()
    rows = [(label, _duration(meta.pop(key)) if key == "duration" else meta.pop(key))
            for key, label in _META_LABELS.items() if key in meta]  # fmt: skip
    # Calls used sit beside the duration: together they say what the run cost.
    at = next((i + 1 for i, (k, _) in enumerate(rows) if k == "duration"), len(rows))
    rows.insert(at, ("calls used", f"{used}" + (f" of a budget of {budget}" if budget else "")))
    rows += list(meta.items())
    items = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in rows)
    return f'<section id="run"><h2>Run</h2><dl class="meta">{items}</dl></section>'


def _scores(report: Report) -> str:
    tables = []
    # One table per tier, as the terminal summary has them: each tier is scored apart.
    for tier in ("documented", "inferred", "assumed"):
        rows = []
        for name, c in report.scores(tier).items():
            total = c["passed"] + c["failed"]
            share = f"{c['passed'] / total:.1%}" if total else "n/a"
            rows.append(f"<tr><td>{_esc(name)}</td><td class=num>{share}</td><td class=num>{c['passed']}</td>"
                        f"<td class=num>{c['failed']}</td><td class=num>{c['skipped']}</td></tr>")  # fmt: skip
        tables.append(f"<h3>{tier} clauses</h3><table><tr><th>category</th><th>passed (share)</th><th>passed</th>"
                      f"<th>failed</th><th>skipped</th></tr>{''.join(rows)}</table>")  # fmt: skip
    return f'<section id="scores"><h2>Scores</h2>{"".join(tables)}</section>'


def _drift(report: Report) -> str:
    """What the answers held beyond the documentation, each item with links to the cases that saw it."""
    drift = report.drift()
    if not drift:
        return ""
    rows = []
    for entry in drift:
        cases = entry["cases"]
        links = ", ".join(f'<a href="#{_esc(anchor("case", c))}"><code>{_esc(c)}</code></a>' for c in cases[:5])
        more = f" and {len(cases) - 5} more" if len(cases) > 5 else ""
        rows.append(f"<tr><td><code>{_esc(entry['item'])}</code></td><td class=num>{len(cases)}</td>"
                    f"<td>{links}{more}</td></tr>")  # fmt: skip
    strict = "--idclassify-strict (--strict for idclassify verify)"
    return (f'<section id="drift"><h2>Drift</h2><p>What the answers held that the documentation does not name. '
            f"Reported, not failed: {_esc(strict)} makes each a violation.</p><table><tr><th>item</th>"
            f"<th>cases</th><th>seen in</th></tr>{''.join(rows)}</table></section>")  # fmt: skip


def _filters(report: Report) -> str:
    statuses = Counter(v.status for v in report.clauses.values())
    outcomes = report.outcomes()
    names = sorted(set(statuses) | {k for k, n in outcomes.items() if n}, key=lambda s: _rank(VERDICT_ORDER, s))
    boxes = "".join(
        f'<label><input type=checkbox name=verdict value="{_esc(s)}" checked> {_esc(s)} '
        f"<span class=tag>{statuses.get(s, 0)} clauses, {outcomes.get(s, 0)} cases</span></label>"
        for s in names
    )
    categories = "".join(f'<option value="{_esc(k.category)}">{_esc(k.category)}</option>' for k in Kind)
    tiers = "".join(f'<option value="{t}">{t}</option>' for t in TIERS)
    return (
        '<form id="filters" role="search"><fieldset>'
        f"{boxes}<label>category <select name=category><option value=''>all</option>{categories}</select></label>"
        f"<label>tier <select name=tier><option value=''>all</option>{tiers}</select></label>"
        '<label><input type=search name=q placeholder="text: clause id, rule, message, case" '
        'aria-label="filter by text"></label><span class=shown>showing <b id="shown-clauses">0</b> clauses, '
        '<b id="shown-cases">0</b> cases</span></fieldset></form>'
    )


def _violation_line(violation: Mapping[str, Any], *, with_case: bool) -> str:
    call = violation.get("call")
    where = f" <span class=tag>call {int(call) + 1}</span>" if isinstance(call, int) else ""
    pointer = f" <code>{_esc(violation['pointer'])}</code>" if violation.get("pointer") else ""
    case = (f'<a href="#{_esc(anchor("case", violation["case"]))}"><code>{_esc(violation["case"])}</code></a>'
            if with_case else f'<a href="#{_esc(anchor("clause", violation["clause"]))}">'
            f'<code>{_esc(violation["clause"])}</code></a>')  # fmt: skip
    return f"<li>{case}{where}{pointer}: {_esc(_cut(str(violation['message']), MESSAGE_EXCERPT))}</li>"


def _clause(verdict: ClauseVerdict) -> str:
    ident = anchor("clause", verdict.id)
    tier = verdict.tier + (", calibrated" if verdict.calibrated else "")
    tags = f"<span class=tag>{_esc(tier)}</span><span class=tag>{_esc(verdict.category)}</span>"
    cases = len(dict.fromkeys(verdict.cases))
    parts = [f'<header><a class=anchor href="#{_esc(ident)}" title="link to this clause">#</a>'
             f"<code>{_esc(verdict.id)}</code> {_verdict(verdict.status)}{tags}"
             f"<span class=tag>{plural(cases, 'case')}</span></header>",
             f"<p class=rule>{_esc(verdict.rule)}</p>"]  # fmt: skip
    if verdict.quote:
        parts.append(f"<blockquote>{_esc(verdict.quote)}</blockquote>")
    parts.append(f"<p class=source>Source: {_esc(verdict.source)}</p>")
    if verdict.rationale:
        parts.append(f"<p class=why>Why: {_esc(verdict.rationale)}</p>")
    if verdict.skip_reasons:
        reasons = Counter(verdict.skip_reasons)
        items = "".join(f"<li>{_esc(r)}{f' (x{n})' if n > 1 else ''}</li>" for r, n in reasons.items())
        # A reason or two are read at a glance; many (one per case of a big clause) are collapsed.
        listed = f"<ul class=why>{items}</ul>"
        many = f"<details><summary>why skipped ({len(verdict.skip_reasons)} cases)</summary>{listed}</details>"
        parts.append(f"<p class=why>Skipped because:</p>{listed}" if len(reasons) <= 3 else many)
    elif verdict.status == "not-exercised":
        parts.append("<p class=why>No case of this run reached it.</p>")
    if verdict.violations:
        first = verdict.violations[0]
        parts.append(f"<p class=first>{_esc(_cut(str(first['message']), MESSAGE_EXCERPT))}</p>")
        failing = list(dict.fromkeys(v["case"] for v in verdict.violations))
        shown = [v for v in verdict.violations if v["case"] in set(failing[:CASES_PER_CLAUSE])]
        more = len(failing) - CASES_PER_CLAUSE
        rest = (f"<p>{more} more failing cases: <button type=button data-filter-text=\"{_esc(verdict.id.lower())}\">"
                f"show every case of this clause</button></p>" if more > 0 else "")  # fmt: skip
        lines = "".join(_violation_line(v, with_case=True) for v in shown)
        summary = f"{plural(len(verdict.violations), 'violation')} in {plural(len(failing), 'case')}"
        parts.append(f"<details class=evidence><summary>{summary}</summary><ul class=violations>{lines}</ul>"
                     f"{rest}</details>")  # fmt: skip
    text = _search_text([verdict.id, verdict.rule, verdict.quote, verdict.source, verdict.status,
                         *(v["message"] for v in verdict.violations[:CASES_PER_CLAUSE])])  # fmt: skip
    return (f'<article class="clause {_esc(verdict.status)}" id="{_esc(ident)}" data-kind=clause '
            f'data-verdict="{_esc(verdict.status)}" data-category="{_esc(verdict.category)}" '
            f'data-tier="{_esc(verdict.tier)}" data-text="{text}">{"".join(parts)}</article>')  # fmt: skip


def _attempts(attempts: list[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td class=num>{i}</td><td>{_esc(a.get('status') if a.get('status') is not None else '-')}</td>"
        f"<td>{_esc(a.get('error') or '')}</td><td>{_esc(a.get('request_id') or '-')}</td>"
        f"<td class=num>{_esc(a.get('elapsed', ''))}</td></tr>"
        for i, a in enumerate(attempts, 1)
    )
    return (f"<table class=attempts><tr><th>attempt</th><th>status</th><th>error</th><th>request id</th>"
            f"<th>seconds</th></tr>{rows}</table>")  # fmt: skip


def _call(index: int, call: Mapping[str, Any], broken: list[Mapping[str, Any]], case_id: str) -> str:
    sent = call.get("sent") or {}
    body = json.dumps(call.get("body"), indent=1, ensure_ascii=False, default=str)
    request_body = json.dumps(sent.get("body"), ensure_ascii=False, default=str)
    status = f"HTTP {call.get('status')}" if call.get("status") is not None else "no answer"
    lines = "".join(_violation_line(v, with_case=False) for v in broken)
    attempts = call.get("attempts")
    return (
        f'<li class="call{" broke" if broken else ""}" id="{_esc(anchor("case", case_id))}-call-{index + 1}">'
        f"<b>call {index + 1}</b> <code>{_esc(call.get('request', ''))}</code> &rarr; <b>{_esc(status)}</b>"
        f" <span class=tag>request id {_esc(call.get('request_id') or '-')}</span>"
        f"<span class=tag>{_esc(call.get('elapsed', '-'))} s</span>"
        + (f"<ul class=violations>{lines}</ul>" if lines else "")
        + f"<div>{_esc(sent.get('method', ''))} <code>{_esc(sent.get('url', ''))}</code></div>"
        f"<pre>{_esc(_cut(request_body, BODY_EXCERPT))}</pre>"
        + (
            _attempts(attempts)
            if isinstance(attempts, list) and attempts and all(isinstance(a, Mapping) for a in attempts)
            else ""
        )
        + f"<details><summary>response body ({len(body)} characters)</summary>"
        f"<pre>{_esc(_cut(body, BODY_EXCERPT))}</pre></details></li>"
    )


def _case(record: Mapping[str, Any], clauses: Mapping[str, ClauseVerdict]) -> str:
    case_id, outcome = str(record["case"]), str(record["outcome"])
    ident = anchor("case", case_id)
    own = clauses.get(str(record["clause"]))
    tier = str(record.get("tier") or (own.tier if own else ""))
    violations = [{**v, "case": case_id} for v in record.get("violations", [])]
    calls = list(record.get("calls", []))
    parts = [f'<p>clause <a href="#{_esc(anchor("clause", str(record["clause"])))}">'
             f'<code>{_esc(record["clause"])}</code></a>'
             f' · <a class=anchor href="#{_esc(ident)}">link to this case</a></p>']  # fmt: skip
    unplaced = [v for v in violations if not (isinstance(v.get("call"), int) and 0 <= v["call"] < len(calls))]
    if unplaced:
        parts.append("<ul class=violations>" + "".join(_violation_line(v, with_case=False) for v in unplaced) + "</ul>")
    thumbs = record.get("thumbnails") or []
    if thumbs:
        images = "".join(
            f'<img alt="failing image {i}" src="{_esc(t if t.startswith("data:") else "data:image/png;base64," + t)}">'
            for i, t in enumerate(thumbs, 1)
        )
        parts.append(f"<div class=thumbs>{images}</div>")
    if record.get("skip_reason"):
        parts.append(f"<p class=why>skipped: {_esc(record['skip_reason'])}</p>")
    if record.get("error"):
        parts.append(f"<p class=first>no answer: {_esc(_cut(str(record['error']), MESSAGE_EXCERPT))}</p>")
    if calls:
        items = "".join(
            _call(i, c, [v for v in violations if v.get("call") == i], case_id) for i, c in enumerate(calls)
        )
        parts.append(f"<ol class=calls>{items}</ol>")
    text = _search_text([case_id, record["clause"], outcome, record.get("skip_reason"), record.get("error"),
                         *(f"{v['clause']} {v['message']}" for v in violations)])  # fmt: skip
    category = own.category if own else ""
    count = f"<span class=tag>{plural(len(calls), 'call')}</span>" if calls else ""
    broke = f"<span class=tag>{plural(len(violations), 'violation')}</span>" if violations else ""
    return (f'<details class="case {_esc(outcome)}" id="{_esc(ident)}" data-kind=case data-verdict="{_esc(outcome)}" '
            f'data-category="{_esc(category)}" data-tier="{_esc(tier)}" data-text="{text}">'
            f"<summary>{_verdict(outcome)} <code>{_esc(case_id)}</code>{count}{broke}</summary>"
            f'<div class=body>{"".join(parts)}</div></details>')  # fmt: skip


def render_html(report: Report) -> str:
    """Return the report as one HTML page: verdict, run, scores, then clauses and cases worst first."""
    clauses = sorted(report.clauses.values(), key=lambda v: (_rank(VERDICT_ORDER, v.status), v.assumed, v.id))
    records = sorted(report.records, key=lambda r: (_rank(_CASE_ORDER, str(r["outcome"])), str(r["case"])))
    metrics = (f'<section id="metrics"><h2>Recognition metrics</h2><details><summary>figures</summary>'
               f"<pre>{_esc(json.dumps(report.metrics, indent=1))}</pre></details></section>"
               if report.metrics else "")  # fmt: skip
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Auto ID Document Classification conformance</title>"
        f"<style>{STYLE}</style></head><body>{_banner(report)}<main>"
        "<h1>Auto ID Document Classification: conformance report</h1>"
        f"<div class=overview>{_run(report)}{_scores(report)}</div>{_drift(report)}{_filters(report)}"
        f'<section id="clauses"><h2>Clauses</h2><p id="no-clause" class=empty hidden>No clause matches the filter.</p>'
        f"{''.join(_clause(v) for v in clauses)}</section>"
        f'<section id="cases"><h2>Cases</h2><p id="no-case" class=empty hidden>No case matches the filter.</p>'
        f"{''.join(_case(r, report.clauses) for r in records)}</section>{metrics}"
        f"</main><script>{SCRIPT}</script></body></html>\n"
    )
