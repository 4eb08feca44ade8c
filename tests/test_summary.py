"""The summary tells the truth: verdict first, misses and unanswered calls counted, progress shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_idclassify.cassettes import cassette_path, record_skip
from pytest_idclassify.report import RunCounts
from pytest_idclassify.report._progress import EVERY_CASES, EVERY_SECONDS, Progress

pytest_plugins = ["pytester"]


def test_the_verdict_counts_misses_and_unanswered_calls_apart_from_failures() -> None:
    records = [{"outcome": "failed", "error": "CassetteMissError: no recorded interaction"},
               {"outcome": "failed", "error": "TransportError: http://x could not be reached"},
               {"outcome": "failed"}, {"outcome": "passed"}]  # fmt: skip
    stats = {"failed": [1, 2, 3], "passed": [1], "skipped": [1, 2], "error": [1]}
    counts = RunCounts.from_stats(stats, records, exit_status=1)
    assert counts.line() == "FAIL: 1 failed, 2 errors, 1 cassette miss, 2 skipped, 1 passed"
    assert RunCounts(passed=3, skipped=1).line() == "PASS: 0 failed, 0 errors, 0 cassette misses, 1 skipped, 3 passed"
    # Whatever the counts, a run pytest does not end with 0 is not a pass.
    assert RunCounts(passed=3, exit_status=2).verdict == "FAIL"
    assert RunCounts(passed=3, misses=1).verdict == "FAIL"


def test_progress_is_a_live_line_on_a_terminal_and_a_line_now_and_then_in_a_log() -> None:
    now = [0.0]
    live: list[str] = []
    shown = Progress(live.append, live=True, budget=500, calls_spent=1, clock=lambda: now[0])
    shown.total = 3
    shown.add({"calls": [{"attempts": 1}]}, failed=False)
    shown.add({"calls": [{"attempts": 2}]}, failed=True)
    assert live == [
        "idclassify: 1/3 cases, 0 failed, 2 of 500 calls",
        "idclassify: 2/3 cases, 1 failed, 4 of 500 calls",
    ]

    logged: list[str] = []
    log = Progress(logged.append, live=False, clock=lambda: now[0])
    for _ in range(EVERY_CASES - 1):
        log.add({"calls": [{}]}, failed=False)
    assert logged == []
    log.add({"calls": [{}]}, failed=False)
    assert logged == [f"idclassify: {EVERY_CASES} cases, 0 failed, {EVERY_CASES} calls"]
    now[0] += EVERY_SECONDS
    log.add({"calls": []}, failed=False)
    assert len(logged) == 2


def test_a_replay_with_misses_says_fail_and_counts_them(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    # A folder with a cassette, but none for the selected cases: every one of them misses.
    record_skip(cassette_path(folder, "test_contract.py::test_clause[other]"), "not recorded")
    result = pytester.runpytest_subprocess(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "request.image.side-min",
        "--idclassify-target=replay", f"--idclassify-cassette-dir={folder}",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*= idclassify conformance =*",
            "FAIL: 0 failed, 0 errors, * cassette misses, 0 skipped, 0 passed",
        ]
    )
