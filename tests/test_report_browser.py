"""The HTML report in a real browser: headless Chromium loads it, runs its script, filters, follows anchors.

Chromium and chromedriver come from the Debian packages (``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them). Without them these tests skip on a developer's
machine and fail in CI, where a skipped browser test would hide a report nobody can use.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from report_pages import refusing_service, scaled, verify_run

from pytest_idclassify.report import build_report, render_html
from pytest_idclassify.report._html import anchor

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        message = "needs chromium and chromedriver: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    with refusing_service() as url:
        return verify_run(tmp_path_factory.mktemp("verify"), url)


@pytest.fixture(scope="module")
def five_hundred(real_run: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, report = real_run
    page = tmp_path_factory.mktemp("scaled") / "r.html"
    page.write_text(render_html(build_report(scaled(report["cases"], 500), meta=report["meta"])), encoding="utf-8")
    return page


def _open(browser: Any, page: Path, fragment: str = "") -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page.as_uri() + fragment)
    # Chromium may hand the page back before its closing script has run: wait for it, within reason.
    try:
        WebDriverWait(browser, 30).until(lambda b: b.execute_script("return document.body.dataset.ready") == "true")
    except TimeoutException:
        pytest.fail(f"the page's script did not run: {browser.get_log('browser')}")


def _visible(browser: Any, kind: str) -> list[dict[str, str]]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('[data-kind=' + arguments[0] + ']'))"
        ".filter(e => !e.hidden).map(e => ({id: e.id, verdict: e.dataset.verdict, category: e.dataset.category,"
        " tier: e.dataset.tier}))",
        kind,
    )


def _errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_real_report_opens_on_its_verdict_with_failures_first(browser: Any, real_run: Any) -> None:
    from selenium.webdriver.common.by import By

    page, report = real_run
    _open(browser, page)
    banner = browser.find_element(By.ID, "verdict")
    assert banner.text.startswith("FAIL") and "clauses failed" in banner.text
    assert banner.get_attribute("class") == "banner fail"
    clauses, cases = _visible(browser, "clause"), _visible(browser, "case")
    assert len(clauses) == len(report["clauses"]) and len(cases) == len(report["cases"])
    failed = sum(c["status"] == "failed" for c in report["clauses"])
    assert [c["verdict"] for c in clauses[:failed]] == ["failed"] * failed
    assert {c["verdict"] for c in clauses[failed:]} <= {"skipped", "not-exercised", "passed"}
    assert cases[0]["verdict"] == "failed"
    run = browser.find_element(By.ID, "run").text
    assert "base URL" in run and "duration" in run and "calls used" in run
    assert _errors(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_filtering_by_verdict_category_and_text(browser: Any, real_run: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page, report = real_run
    _open(browser, page)
    for box in browser.find_elements(By.CSS_SELECTOR, "input[name=verdict]"):
        if box.get_attribute("value") != "failed":
            box.click()
    failed = [c for c in report["clauses"] if c["status"] == "failed"]
    shown = _visible(browser, "clause")
    assert {c["verdict"] for c in shown} == {"failed"} and len(shown) == len(failed)
    assert browser.find_element(By.ID, "shown-clauses").text == str(len(failed))

    Select(browser.find_element(By.NAME, "category")).select_by_value("error mapping")
    mapping = [c for c in failed if c["category"] == "error mapping"]
    assert [c["id"] for c in _visible(browser, "clause")] == [anchor("clause", c["id"]) for c in mapping]
    Select(browser.find_element(By.NAME, "category")).select_by_value("")

    target = next(c for c in failed if c["id"] == "request.image.side-min")
    wanted = target["id"]
    search = browser.find_element(By.NAME, "q")
    search.send_keys(wanted)
    clause_ids = {c["id"] for c in _visible(browser, "clause")}
    assert anchor("clause", target["id"]) in clause_ids
    expected = {anchor("case", r["case"]) for r in report["cases"] if r["outcome"] == "failed" and (
                wanted in r["case"] or any(wanted in v["clause"] for v in r["violations"]))}  # fmt: skip
    assert {c["id"] for c in _visible(browser, "case")} == expected
    search.clear()
    search.send_keys("no such clause anywhere")
    assert _visible(browser, "clause") == [] and browser.find_element(By.ID, "no-clause").is_displayed()


def test_an_anchor_opens_its_case_even_when_the_filter_hides_it(browser: Any, real_run: Any) -> None:
    from selenium.webdriver.common.by import By

    page, report = real_run
    _open(browser, page)
    browser.find_element(By.NAME, "q").send_keys("hides everything")
    case = next(r for r in report["cases"] if r["outcome"] == "failed" and r.get("thumbnails"))
    ident = anchor("case", case["case"])
    browser.execute_script("location.hash = arguments[0]", ident)
    element = browser.find_element(By.ID, ident)
    assert element.is_displayed() and element.get_attribute("open") == "true"
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", element)
    assert 0 <= top < browser.execute_script("return window.innerHeight")
    for image in element.find_elements(By.CSS_SELECTOR, ".thumbs img"):
        assert browser.execute_script("return arguments[0].naturalWidth", image) >= 128 or browser.execute_script(
            "return arguments[0].naturalHeight", image) >= 128  # fmt: skip

    # A clause's evidence links to its cases; following one opens it.
    _open(browser, page, "#" + anchor("clause", "error.AIS.0103"))
    link = browser.find_element(By.CSS_SELECTOR, f"#{anchor('clause', 'error.AIS.0103').replace('.', chr(92) + '.')}"
                                " .evidence a")  # fmt: skip
    href = link.get_attribute("href").split("#", 1)[1]
    link.click()
    assert browser.find_element(By.ID, href).get_attribute("open") == "true"


def test_five_hundred_failures_load_filter_and_look_right(browser: Any, five_hundred: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, five_hundred)
    assert _errors(browser) == []
    cases = _visible(browser, "case")
    assert sum(c["verdict"] == "failed" for c in cases) >= 500
    Select(browser.find_element(By.NAME, "tier")).select_by_value("inferred")
    inferred = _visible(browser, "case")
    assert inferred and {c["tier"] for c in inferred} == {"inferred"}
    Select(browser.find_element(By.NAME, "tier")).select_by_value("")
    # Which call broke the rule: the copies' violations sit in the call that broke them, with its attempts.
    copy = next(c["id"] for c in cases if "~23~copy" in c["id"])
    browser.execute_script("location.hash = arguments[0]", copy)
    broken = browser.find_elements(By.CSS_SELECTOR, f"[id='{copy}'] li.call.broke")
    assert broken and "call " in broken[0].text and broken[0].find_elements(By.CSS_SELECTOR, "table.attempts")

    browser.execute_script("window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    with Image.open(io.BytesIO(shot.read_bytes())) as picture:
        rgb = picture.convert("RGB")
        assert rgb.size[0] >= 1000
        # The banner is the failure red across the top of what a person first sees.
        assert rgb.getpixel((rgb.size[0] // 2, 5)) == (0xCF, 0x22, 0x2E)
