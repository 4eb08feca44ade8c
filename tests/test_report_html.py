"""The HTML report's page: verdict, order, anchors, caps, calls and attempts, thumbnails, no external fetch.

What a person does with the page (filtering, following anchors) is tested in a browser in
test_report_browser.py; these tests check what the page holds.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
from html.parser import HTMLParser
from typing import Any

import pytest
from PIL import Image

from pytest_idclassify.catalogue import catalogue
from pytest_idclassify.images import ImageRecipe
from pytest_idclassify.report import build_report, render_html
from pytest_idclassify.report._html import BODY_EXCERPT, CASES_PER_CLAUSE, anchor
from pytest_idclassify.suite._records import THUMBNAIL_MIN_SIDE, _thumbnail

CLAUSE = "request.image.side-min"
META = {"target": "live", "base_url": "https://ocr.example.test", "assumed": "report", "call_budget": 50,
        "duration": 75.25}  # fmt: skip


def _call(status: int = 400, body: Any = None, **extra: Any) -> dict[str, Any]:
    return {"request": "{data=png 14x64 flat#808080}", "status": status, "request_id": "r-1", "elapsed": 0.01,
            "sent": {"method": "POST", "url": "https://ocr.example.test/v2/<project>/ocr/auto-id-doc-classification",
                     "body": {"data": "<base64 124 chars sha256:ab12...>"}},
            "body": {"error_code": "AIS.0103", "error_msg": "wrong"} if body is None else body, **extra}  # fmt: skip


def _record(case: str, outcome: str = "failed", clause: str = CLAUSE, **extra: Any) -> dict[str, Any]:
    violations = [{"clause": clause, "pointer": "", "message": f"broken in {case}", "assumed": False}]
    return {"case": case, "clause": clause, "assumed": False, "outcome": outcome, "calls": [_call()],
            "exercised": [clause], "violations": violations if outcome == "failed" else [], **extra}  # fmt: skip


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if found.get("id"):
            self.ids.append(str(found["id"]))


def _parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


def test_a_failing_run_opens_on_fail_and_lists_failures_first() -> None:
    records = [_record("a[passes]", "passed", clause="request.image.side-max"), _record(f"{CLAUSE}[x]")]
    page = render_html(build_report(records, meta=META))
    assert '<header id="verdict" class="banner fail"><strong>FAIL</strong>' in page
    order = re.findall(r'<article class="clause ([a-z-]+)"', page)
    assert order[0] == "failed" and order.index("passed") > order.index("not-exercised") > order.index("failed")
    cases = re.findall(r'<details class="case ([a-z-]+)"', page)
    assert cases == ["failed", "passed"]


def test_a_run_whose_only_failures_are_assumed_and_reported_apart_passes() -> None:
    assumed = next(c.id for c in catalogue().values() if c.assumed)
    record = _record(f"{assumed}[x]", clause=assumed)
    record["violations"][0]["assumed"] = True
    page = render_html(build_report([record], meta=META))
    assert "<strong>PASS</strong>" in page and "+1 reported apart" in page
    counted = render_html(build_report([record], meta={**META, "assumed": "count"}))
    assert "<strong>FAIL</strong>" in counted


def test_the_run_shows_target_duration_and_calls_used_against_the_budget() -> None:
    retried = _call(attempts=[{"status": 503, "error": None, "request_id": "r-0", "elapsed": 0.2},
                              {"status": 400, "error": None, "request_id": "r-1", "elapsed": 0.1}])  # fmt: skip
    records = [_record(f"{CLAUSE}[a]"), {**_record(f"{CLAUSE}[b]"), "calls": [retried, _call()]}]
    page = render_html(build_report(records, meta=META))
    assert "<dt>base URL</dt><dd>https://ocr.example.test</dd>" in page
    assert "<dt>duration</dt><dd>1 min 15.2 s</dd>" in page
    # One call, then a call tried twice, then one more: four calls of the budget.
    assert "<dt>calls used</dt><dd>4 of a budget of 50</dd>" in page


def test_every_clause_and_case_has_a_unique_anchor_that_survives_odd_case_ids() -> None:
    odd = [f"{CLAUSE}[a b]", f"{CLAUSE}[a~20~b]", f"{CLAUSE}[a_b]", f"{CLAUSE}[a/b]", f'{CLAUSE}[é"<b>]']
    page = render_html(build_report([_record(c) for c in odd], meta=META))
    ids = _parse(page).ids
    assert len(ids) == len(set(ids))
    for case in odd:
        assert anchor("case", case) in ids and re.fullmatch(r"[A-Za-z0-9._~-]+", anchor("case", case))
    assert all(anchor("clause", c) in ids for c in catalogue())
    assert "<b>]" not in page  # the case id is escaped wherever it is shown


def test_each_clause_shows_its_quoted_sentence_source_and_tier() -> None:
    quoted = next(c for c in catalogue().values() if c.quote)
    page = render_html(build_report([], meta=META))
    row = re.search(rf'<article[^>]*id="{re.escape(anchor("clause", quoted.id))}".*?</article>', page)
    assert row is not None
    assert f"<blockquote>{quoted.quote}</blockquote>" in row[0].replace("&#x27;", "'").replace("&quot;", '"')
    assert "Source: " in row[0] and 'data-tier="' in row[0]


def test_each_tier_is_scored_in_its_own_table_as_the_terminal_summary_does() -> None:
    inferred = next(c for c in catalogue().values() if c.inferred)
    records = [_record(f"{CLAUSE}[a]", outcome="passed"), _record(f"{inferred.id}[b]", outcome="passed",
                                                                   clause=inferred.id, tier="inferred")]  # fmt: skip
    report = build_report(records, meta=META)
    page = render_html(report)
    tables = dict(re.findall(r"<h3>(\w+) clauses</h3><table>(.*?)</table>", page))
    assert list(tables) == ["documented", "inferred", "assumed"]
    for tier, table in tables.items():
        cells = re.findall(r"<tr><td>[^<]*</td><td class=num>[^<]*</td><td class=num>(\d+)</td>", table)
        passed = sum(int(n) for n in cells)
        assert passed == sum(tally["passed"] for tally in report.scores(tier).values()), tier
    assert sum(tally["passed"] for tally in report.scores("inferred").values()) == 1


def test_a_record_s_tier_is_what_the_filter_reads() -> None:
    page = render_html(build_report([_record(f"{CLAUSE}[t]", tier="inferred")], meta=META))
    case = re.search(r'<details class="case failed"[^>]*>', page)
    assert case is not None and 'data-tier="inferred"' in case[0]


def test_each_violation_sits_in_the_call_that_broke_it() -> None:
    record = _record(f"{CLAUSE}[twice]")
    record["calls"] = [_call(200, {"result": {}}), _call()]
    record["violations"] = [{"clause": "behaviour.deterministic", "pointer": "", "message": "the answers differ",
                             "assumed": False, "call": 1},
                            {"clause": CLAUSE, "pointer": "", "message": "over the whole case", "assumed": False,
                             "call": None}]  # fmt: skip
    page = render_html(build_report([record], meta=META))
    second = re.search(rf'<li class="call broke" id="{re.escape(anchor("case", record["case"]))}-call-2">.*?</li>'
                       r"\s*</ul>", page)  # fmt: skip
    assert second is not None and "the answers differ" in second[0] and "call 2" in second[0]
    assert '<li class="call" id="' in page  # the first call broke nothing
    body = page.split(f'id="{anchor("case", record["case"])}"', 1)[1]
    assert body.index("over the whole case") < body.index("<ol class=calls>")


def test_attempts_are_listed_when_a_call_records_them() -> None:
    attempts = [{"status": None, "error": "connection refused", "request_id": None, "elapsed": 0.3},
                {"status": 400, "error": None, "request_id": "r-9", "elapsed": 0.1}]  # fmt: skip
    page = render_html(build_report([{**_record(f"{CLAUSE}[r]"), "calls": [_call(attempts=attempts)]}], meta=META))
    table = re.search(r"<table class=attempts>.*?</table>", page)
    assert table is not None and "connection refused" in table[0] and "r-9" in table[0]
    assert render_html(build_report([_record(f"{CLAUSE}[r]")], meta=META)).count("<table class=attempts>") == 0


def test_five_hundred_failures_keep_each_clause_row_short_and_each_body_capped() -> None:
    huge = {"error_code": "AIS.0103", "error_msg": "x" * 200_000}
    records = [{**_record(f"{CLAUSE}[{i:03}]"), "calls": [_call(body=huge)]} for i in range(500)]
    page = render_html(build_report(records, meta=META))
    row = re.search(rf'<article[^>]*id="{re.escape(anchor("clause", CLAUSE))}".*?</article>', page)
    assert row is not None and len(row[0]) < 20_000, len(row[0])
    assert row[0].count('<a href="#case-') == CASES_PER_CLAUSE
    assert "475 more failing cases" in row[0] and 'data-filter-text="request.image.side-min"' in row[0]
    cases = page.split("</section>")[-2].split('<details class="case ')[1:]
    assert len(cases) == 500 and max(len(c) for c in cases) < 2 * BODY_EXCERPT + 3000
    assert len(page) < 500 * (2 * BODY_EXCERPT + 3000)


def test_the_page_fetches_nothing() -> None:
    page = render_html(build_report([_record(f"{CLAUSE}[x]", thumbnails=["data:image/png;base64,AAAA"])], meta=META))
    for tag, attrs in _parse(page).tags:
        assert tag not in ("link", "iframe", "object", "embed"), tag
        for name in ("src", "href", "action"):
            value = attrs.get(name) or ""
            assert not value or value.startswith(("#", "data:")), (tag, name, value)
    assert "@import" not in page and "url(" not in page


def _decode(uri: str) -> Image.Image:
    kind, _, data = uri.partition(";base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(data)))
    picture.load()
    picture.info["kind"] = kind
    return picture


def test_a_tiny_image_is_enlarged_to_128_px_with_crisp_pixels() -> None:
    uri = _thumbnail(ImageRecipe(format="png", width=14, height=64, content="noise", seed=3))
    assert uri is not None and uri.startswith("data:image/png;base64,")
    picture = _decode(uri).convert("RGB")
    assert picture.size == (28, 128) and max(picture.size) >= THUMBNAIL_MIN_SIDE
    # Nearest neighbour: every source pixel is a uniform 2x2 block.
    for x, y in ((0, 0), (10, 40), (26, 126)):
        block = {picture.getpixel((x + dx, y + dy)) for dx in (0, 1) for dy in (0, 1)}
        assert len(block) == 1


@pytest.mark.parametrize(("width", "height"), [(1, 1), (15, 15), (127, 20)])
def test_every_small_image_reaches_the_minimum(width: int, height: int) -> None:
    uri = _thumbnail(ImageRecipe(format="bmp", width=width, height=height))
    assert uri is not None and max(_decode(uri).size) >= THUMBNAIL_MIN_SIDE


def test_a_large_image_shrinks_to_a_small_jpeg() -> None:
    uri = _thumbnail(ImageRecipe(format="jpeg", width=4000, height=2500, content="noise"))
    assert uri is not None and uri.startswith("data:image/jpeg;base64,")
    assert _decode(uri).size == (160, 100)


def test_an_image_that_does_not_decode_gets_no_thumbnail() -> None:
    assert _thumbnail(ImageRecipe(format="png", width=20, height=20, corruption="truncated")) is None


def test_a_case_that_got_no_answer_is_an_error_that_fails_the_run() -> None:
    record = {**_record(f"{CLAUSE}[down]", "error"), "calls": [], "error": "connection refused by 127.0.0.1:9"}
    page = render_html(build_report([record], meta=META))
    assert "<strong>FAIL</strong>" in page and "0 failed, 1 error, 0 skipped, 0 passed" in page
    assert "no answer: connection refused by 127.0.0.1:9" in page
    assert '<input type=checkbox name=verdict value="error" checked>' in page


def test_a_secret_one_record_names_is_redacted_in_the_records_before_it_too() -> None:
    token, key = f"canary-{secrets.token_hex(8)}", f"canary-{secrets.token_hex(8)}"
    # The first record (by case) echoes both values; only the second says they are secrets.
    echoed = _record("a[echo]")
    echoed["violations"][0]["message"] = f"the server echoed {token} and {key}"
    naming = _record("b[names]", "passed", calls=[_call(200, {"result": {}}, headers={"X-Auth-Token": token})],
                     secret_key=key)  # fmt: skip
    written = json.dumps(build_report([naming, echoed], meta=META).to_json())
    assert token not in written and key not in written
    assert "the server echoed [REDACTED] and [REDACTED]" in written
