"""`idclassify verify` end to end: the embedded emulator passes, a broken server fails, under -n 2 too."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_child import VERIFY
from independent_server import CREDENTIALS, PROJECT_ID, TOKEN, create_independent_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_idclassify._serve import serve_in_thread


def _verify(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VERIFY, *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})}, timeout=600)  # fmt: skip


@pytest.fixture
def wrong_message_service() -> Iterator[str]:
    """Refuses everything with AIS.0103 but the wrong message: the mapping clause must fail."""

    async def classify(request: Request) -> JSONResponse:
        body = {"error_code": "AIS.0103", "error_msg": "Image too small."}
        return JSONResponse(body, status_code=400, headers={"X-Request-Id": "r-2"})

    app = Starlette(routes=[Route("/v2/{project_id}/ocr/auto-id-doc-classification", classify, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield url


def _refuse(word: str) -> None:
    raise ValueError(f"{word} is not JSON")


def test_the_json_report_is_strict_json_though_cases_send_nan(tmp_path: Path) -> None:
    # Hostile cases send "alarm": NaN on purpose; the report must still parse in JSON.parse, jq and the like.
    result = _verify("--target", "replay", "-k", "nan", "--report-json", "r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    text = (tmp_path / "r.json").read_text(encoding="utf-8")
    json.loads(text, parse_constant=_refuse)
    assert '"NaN"' in text, "the case that sends NaN is in the report, as the word"


def test_a_cassette_that_is_not_utf8_fails_its_case_with_one_line(tmp_path: Path) -> None:
    import shutil

    from pytest_idclassify._paths import cassettes_dir

    shutil.copytree(cassettes_dir() / "gate", tmp_path / "gate")
    cassette = tmp_path / "gate" / "test_contract" / "test_clause[request.body.json[nan]].json"
    cassette.write_bytes(b"\xff\xfe" + cassette.read_bytes())
    result = _verify("--target", "replay", "--cassette-dir", str(tmp_path / "gate"), "-k", "nan", cwd=tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "is not UTF-8" in result.stdout and "re-record it" in result.stdout
    assert "Traceback" not in result.stdout and "UnicodeDecodeError:" not in result.stdout


def test_replays_with_a_cold_and_a_warm_image_cache_report_what_was_sent_alike(tmp_path: Path) -> None:
    env = {"IDCLASSIFY_IMAGE_CACHE": str(tmp_path / "cache")}
    sent = []
    for run in ("cold", "warm"):
        result = _verify("--target", "replay", "-k", "request.image.side", "--report-json", f"{run}.json",
                         cwd=tmp_path, env=env)  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
        cases = json.loads((tmp_path / f"{run}.json").read_text(encoding="utf-8"))["cases"]
        # As text, key order included: what a diff of two CI runs' reports shows.
        sent.append([json.dumps([call["sent"] for call in case["calls"]]) for case in cases])
    assert sent[0] == sent[1] and len(sent[0]) > 3


def test_verify_passes_the_embedded_emulator_and_writes_both_reports(tmp_path: Path) -> None:
    result = _verify("-k", "request.image.side", "--report-json", "r.json", "--report-html", "r.html", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "idclassify conformance" in result.stdout
    summary = result.stdout.split("idclassify conformance")[1].splitlines()
    assert summary[1].startswith("PASS: 0 failed, 0 errors, 0 cassette misses, 0 skipped, ")
    assert f"report JSON: {tmp_path / 'r.json'}" in result.stdout
    assert f"report HTML: {tmp_path / 'r.html'}" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json"], "nothing else left behind"
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["meta"]["target"] == "emulator"
    assert "request.image.side-max" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_verify_fails_a_broken_server_with_evidence_and_thumbnails(tmp_path: Path, wrong_message_service: str) -> None:
    result = _verify("--base-url", wrong_message_service, "--project-id", "p1", "--auth", "token",
                     "-k", "request.image.side-min", "--report-html", "r.html", cwd=tmp_path,
                     env={"IDCLASSIFY_TOKEN": "a-loopback-token"})  # fmt: skip
    assert result.returncode == 1
    assert "FAILED error.AIS.0103: 'Image too small.' is not the documented message" in result.stdout
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<img alt="failing image 1" src="data:image/png;base64,' in page
    assert "a-loopback-token" not in page and "a-loopback-token" not in result.stdout


def test_verify_reports_bad_arguments_without_a_traceback(tmp_path: Path) -> None:
    result = _verify("--call-budget", "0", cwd=tmp_path)
    assert result.returncode == 4  # pytest's usage error
    assert "--call-budget must be at least 1, got 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_variable_in_the_toolkits_name_that_nothing_reads_is_said_once_under_two_workers(tmp_path: Path) -> None:
    result = _verify("-n", "2", "-k", "request.body", cwd=tmp_path, env={"IDCLASSIFY_COLOUR": "never"})
    assert result.returncode == 0, result.stdout[-3000:]
    notice = "IDCLASSIFY_COLOUR is set but pytest-idclassify reads no such variable, so it has no effect"
    assert (result.stdout + result.stderr).count(notice) == 1, result.stdout[-3000:]


@pytest.mark.slow
def test_the_whole_gate_passes_under_two_workers(tmp_path: Path) -> None:
    result = _verify("-n", "2", "--assumed", "count", "--report-json", "r.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    statuses = {c["status"] for c in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["clauses"]}
    assert "failed" not in statuses


def _records(report: Path) -> list[dict[str, object]]:
    cases: list[dict[str, object]] = json.loads(report.read_text(encoding="utf-8"))["cases"]
    return cases


def test_verify_runs_every_url_case_against_an_independent_server_on_a_real_port(tmp_path: Path) -> None:
    # Credentials as a vendor has them: a token and AK/SK, but no expired token to hand.
    ((ak, sk),) = CREDENTIALS.items()
    with serve_in_thread(create_independent_app()) as url:
        result = _verify("--base-url", url, "--project-id", PROJECT_ID, "--report-json", "r.json", cwd=tmp_path,
                         env={"IDCLASSIFY_TOKEN": TOKEN, "CLOUD_SDK_AK": ak, "CLOUD_SDK_SK": sk})  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    records = _records(tmp_path / "r.json")
    skipped = {r["case"]: r["skip_reason"] for r in records if r["outcome"] == "skipped"}
    assert skipped == {"auth.token.expired[expired-token]": "needs an expired token: set IDCLASSIFY_EXPIRED_TOKEN"}
    urls = [r for r in records if any("url" in str(c["request"]) for c in r["calls"])]  # type: ignore[attr-defined]
    assert len(urls) >= 10 and all(r["outcome"] == "passed" for r in urls)
    # Every call shows its attempts; here each was answered at once.
    assert all(len(c["attempts"]) == 1 for r in records for c in r["calls"])  # type: ignore[attr-defined]


def test_verify_runs_the_url_cases_against_the_served_reference_emulator(tmp_path: Path) -> None:
    # `idclassify serve` with its defaults: a 5 s fetch timeout, so the slow image must outlast it.
    from pytest_idclassify.emulator import EmulatorSettings, serve_process

    settings = EmulatorSettings()
    with serve_process() as url:
        token = {"IDCLASSIFY_TOKEN": settings.tokens[0]}
        result = _verify("--base-url", url, "--project-id", settings.project_id, "-k", "request.url",
                         "--report-json", "r.json", cwd=tmp_path, env=token)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    outcomes = {r["case"]: r["outcome"] for r in _records(tmp_path / "r.json")}
    assert outcomes["request.url.fetch-slow[slow]"] == "passed"
    assert "skipped" not in outcomes.values()


@pytest.mark.parametrize("tolerate", [False, True])
def test_verify_fails_a_busy_server_unless_told_to_tolerate_transient_answers(tmp_path: Path, tolerate: bool) -> None:
    # Every other answer a 503 that the retry resolves: a correct server under load.
    from mutants import Rewrite
    from mutants._catalogue import _every_nth

    busy = Rewrite(create_independent_app(),
                   after=_every_nth(2, 503, "ModelArts.4403", "Backend service unavailable error."))  # fmt: skip
    flag = ["--tolerate-transient"] if tolerate else []
    with serve_in_thread(busy) as url:
        result = _verify("--base-url", url, "--project-id", PROJECT_ID, "-k", "request.image.side-min",
                         "--report-json", "r.json", *flag, cwd=tmp_path, env={"IDCLASSIFY_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode == (0 if tolerate else 1), result.stdout[-3000:]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["transient"] > 0 and report["meta"]["tolerate_transient"] is tolerate
    assert "transient answers replaced by a retry" in result.stdout
    if not tolerate:
        assert "FAILED behaviour.statuses: a server error on attempt 1 of 2: HTTP 503" in result.stdout


def test_a_worker_count_that_is_no_number_is_refused_in_verifys_words() -> None:
    from click.testing import CliRunner

    from pytest_idclassify.cli import main
    from pytest_idclassify.cli._verify import _workers

    result = CliRunner().invoke(main, ["verify", "-n", "two"])
    assert result.exit_code == 2 and "'-n': 'two' is neither a number of workers" in result.output
    assert "pytest.main()" not in result.output
    for accepted in ("0", "logical", "auto", "2"):
        assert _workers(accepted) == accepted  # what pytest-xdist takes passes through


def test_verify_lists_an_undocumented_field_as_drift_in_its_own_words_and_passes(tmp_path: Path) -> None:
    from mutants import HARMLESS

    extra = next(h for h in HARMLESS if h.name == "extra-result-field")
    with serve_in_thread(extra.app()) as url:
        result = _verify("--base-url", url, "--project-id", PROJECT_ID, "-k", "behaviour.deterministic",
                         "--report-json", "r.json", cwd=tmp_path, env={"IDCLASSIFY_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    heading = "DRIFT 1 item the documentation does not name, in 1 case (reported, not failed: --strict makes"
    assert heading in result.stdout
    assert "  /result/side: undocumented field 'side' (1 case, e.g. behaviour.deterministic[specimen-twice])" in (
        result.stdout
    )
    assert "ContractDriftWarning" not in result.stdout  # said once, in the summary, not per answer
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["drift"] == [{"item": "/result/side: undocumented field 'side'",
                                "cases": ["behaviour.deterministic[specimen-twice]"]}]  # fmt: skip


def test_a_throttled_attempt_tells_verifys_user_its_own_flag_to_tolerate_it(tmp_path: Path) -> None:
    from mutants import Rewrite
    from mutants._catalogue import _every_nth

    limit = "The throttling threshold has been reached."
    throttling = Rewrite(create_independent_app(), after=_every_nth(2, 429, "APIG.0308", limit))
    with serve_in_thread(throttling) as url:
        result = _verify("--base-url", url, "--project-id", PROJECT_ID, "-k", "request.image.side-min",
                         "--report-json", "r.json", cwd=tmp_path, env={"IDCLASSIFY_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode == 1, result.stdout[-3000:]
    messages = [v["message"] for r in _records(tmp_path / "r.json") for v in r["violations"]]  # type: ignore[attr-defined]
    hints = [m for m in messages if m.startswith("throttled on attempt 1 of 2")]
    hint = "pass --tolerate-transient if the target is a live service under load"
    assert hints and all(m.endswith(hint) for m in hints)
    assert "--idclassify-" not in result.stdout


def test_an_exploration_on_a_budget_records_its_drift_counts_every_call_and_stops_at_the_budget(
    tmp_path: Path,
) -> None:
    from mutants import Rewrite
    from mutants._asgi import Answer, Seen

    def with_a_hint(seen: Seen, answer: Answer) -> Answer:
        if answer.json is None or "error_code" not in answer.json:
            return answer
        return answer.with_json({**answer.json, "hint": "see the manual"})

    with serve_in_thread(Rewrite(create_independent_app(), after=with_a_hint)) as url:
        result = _verify("--base-url", url, "--project-id", PROJECT_ID, "-k", "test_explore", "--profile", "explore",
                         "--call-budget", "40", "--seed", "3", "--report-json", "r.json", cwd=tmp_path,
                         env={"IDCLASSIFY_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    # Every refusal carries the field: the first example to show it is recorded, and only that one.
    (entry,) = report["drift"]
    assert entry["item"] == "/hint: undocumented field 'hint'" and len(entry["cases"]) == 1, entry
    assert [c["outcome"] for c in report["cases"]] == ["passed"]
    # The valid exploration spends the whole budget; the calls its unrecorded examples sent are counted.
    assert "profile explore, 40 of 40 calls used" in result.stdout
    assert "the call budget is spent (40 of 40 calls used): raise --call-budget to explore" in result.stdout
    assert "FailedHealthCheck" not in result.stdout and "HypothesisWarning" not in result.stdout


def test_a_target_that_stays_busy_after_every_retry_ends_the_run_not_the_budget(tmp_path: Path) -> None:
    # Each call waits out its Retry-After before every retry: at a minute's wait, the budget would take hours.
    calls: list[str] = []

    async def busy(request: Request) -> JSONResponse:
        calls.append(request.url.path)
        body = {"error_code": "ModelArts.4403", "error_msg": "Backend service unavailable error."}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1", "X-Request-Id": "r-1"})

    app = Starlette(routes=[Route("/{path:path}", busy, methods=["POST"])])
    with serve_in_thread(app) as url:
        result = _verify("--base-url", url, "--project-id", PROJECT_ID, "-k", "request.image.side-min",
                         "--report-json", "r.json", cwd=tmp_path, env={"IDCLASSIFY_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode != 0, result.stdout[-3000:]
    stopped = f"STOPPED: the target {url} answered HTTP 503 ModelArts.4403 to 3 cases in a row, after every retry, "
    assert stopped + "asking to retry after 1 s: it is overloaded or down" in result.stdout, result.stdout[-3000:]
    assert "(--call-budget): run it again later" in result.stdout
    # The three busy cases are in the report; nothing is sent after them but the pre-flight probe before.
    assert len(_records(tmp_path / "r.json")) == 3 and len(calls) <= 1 + 3 * 4, calls
