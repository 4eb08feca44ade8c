"""Calibration end to end over real HTTP on 127.0.0.1: learn another server's choices, then hold targets to them.

The other server is the reference emulator with three assumed choices made differently (the code
for neither data nor url, the code for an image without a document, and the decimal reading of
10 MB).  Calibrated against it, the emulator served with the file passes ``verify --calibration``
while the default emulator fails exactly the three changed clauses.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_child import IDCLASSIFY
from click.testing import CliRunner

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.calibration import load_calibration, parse_calibration
from pytest_idclassify.catalogue import BASE64_LIMIT_DECIMAL, clause
from pytest_idclassify.cli import main
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.emulator._settings import DEFAULT_AK, DEFAULT_EXPIRED_TOKEN, DEFAULT_SK
from pytest_idclassify.errors import CalibrationError, ConfigurationError

#: the other server's credentials: not the emulator's published ones, so the file can be searched for them.
PROJECT_ID = "5a1e0c7d9b3f4e2a8c6d0f1e2b3a4c5d"
TOKEN = "MIIcalibration-test-token-0123456789"
CREDENTIALS = {"IDCLASSIFY_TOKEN": TOKEN, "IDCLASSIFY_PROJECT_ID": PROJECT_ID, "CLOUD_SDK_AK": DEFAULT_AK,
               "CLOUD_SDK_SK": DEFAULT_SK, "IDCLASSIFY_EXPIRED_TOKEN": DEFAULT_EXPIRED_TOKEN}  # fmt: skip
OTHER_CHOICES = {"code_neither": "AIS.0102", "code_no_document": "AIS.0104", "base64_limit": BASE64_LIMIT_DECIMAL}
CHANGED = {"request.data-url.neither", "request.image.no-document", "request.data.base64-binary-reading"}


def _settings(**changes: Any) -> EmulatorSettings:
    return EmulatorSettings(project_id=PROJECT_ID, tokens=(TOKEN,), fetch_timeout=1.0, **changes)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*IDCLASSIFY, *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **CREDENTIALS}, timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def other_server() -> Iterator[str]:
    with serve_in_thread(create_app(_settings(**OTHER_CHOICES))) as url:
        yield url


@pytest.fixture(scope="module")
def calibration_file(other_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("calibration")
    result = _run("calibrate", "--base-url", other_server, "-o", "other.toml", cwd=folder)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "wrote other.toml" in result.stdout
    return folder / "other.toml"


def _verify(url: str, calibration: Path, cwd: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    result = _run("verify", "--base-url", url, "--calibration", str(calibration), "--report-json", "r.json", cwd=cwd)
    report = json.loads((cwd / "r.json").read_text(encoding="utf-8"))
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-2000:])  # shown when the test fails
    return result.returncode, {c["id"]: c for c in report["clauses"]}


def test_the_file_records_the_other_choices_with_their_evidence(calibration_file: Path) -> None:
    calibration = load_calibration(calibration_file)
    neither = calibration.entry("request.data-url.neither")
    assert neither is not None and neither.evidence is not None
    assert (neither.reading, neither.evidence.status, neither.evidence.code) == ("refused", 400, "AIS.0102")
    assert neither.evidence.request_id and neither.evidence.message == "The image format is not supported."
    assert calibration.entry("request.image.no-document").evidence.code == "AIS.0104"  # type: ignore[union-attr]
    assert calibration.entry("request.data.base64-binary-reading").reading == "decimal"  # type: ignore[union-attr]
    threshold = calibration.entry("cross.alarm.result-matches-score")
    assert threshold is not None and threshold.low is not None and threshold.high is not None
    assert threshold.low <= 50 <= threshold.high
    assert all(clause(cid).assumed for cid in calibration.entries)
    assert calibration.target.startswith("http://127.0.0.1:") and calibration.catalogue_version


def test_the_file_holds_no_secret_no_project_id_and_no_image(calibration_file: Path) -> None:
    text = calibration_file.read_text(encoding="utf-8")
    assert text.startswith("# Written by `idclassify calibrate`") and "\nformat = 1\n" in text
    for secret in (TOKEN, PROJECT_ID, DEFAULT_SK, DEFAULT_AK):
        assert secret not in text
    # No base64 image (JPEG or PNG) and no long opaque run that could be one.
    assert "/9j/" not in text and "iVBORw0KGgo" not in text
    assert max(len(word) for word in text.split()) < 200


def test_the_calibrated_emulator_passes_and_the_default_fails_exactly_the_changed_clauses(
    calibration_file: Path, other_server: str, tmp_path: Path
) -> None:
    with serve_in_thread(create_app(_settings(calibration=str(calibration_file)))) as url:
        code, verdicts = _verify(url, calibration_file, tmp_path)
    assert code == 0, [v["id"] for v in verdicts.values() if v["status"] == "failed"]
    calibrated = {cid for cid, v in verdicts.items() if v["calibrated"]}
    assert calibrated == set(load_calibration(calibration_file).entries)
    assert all(verdicts[cid]["tier"] == "documented" and verdicts[cid]["status"] == "passed" for cid in calibrated)

    with serve_in_thread(create_app(_settings())) as url:
        code, verdicts = _verify(url, calibration_file, tmp_path)
    assert code == 1
    assert {cid for cid, v in verdicts.items() if v["status"] == "failed"} == CHANGED
    message = verdicts["request.image.no-document"]["violations"][0]["message"]
    assert f"{calibration_file} observed 400 AIS.0104" in message and "got 400 AIS.0105" in message

    # The calibrated server itself is held to its own answers.
    code, verdicts = _verify(other_server, calibration_file, tmp_path)
    assert code == 0, [v["id"] for v in verdicts.values() if v["status"] == "failed"]


def test_the_emulator_setting_reads_the_file_and_explicit_settings_win(calibration_file: Path) -> None:
    loaded = EmulatorSettings.load(environ={"IDCLASSIFY_EMULATOR_CALIBRATION": str(calibration_file)})
    assert (loaded.code_neither, loaded.code_no_document, loaded.base64_limit) == ("AIS.0102", "AIS.0104",
                                                                                     BASE64_LIMIT_DECIMAL)  # fmt: skip
    explicit = EmulatorSettings.load(
        environ={"IDCLASSIFY_EMULATOR_CALIBRATION": str(calibration_file)}, overrides={"code_no_document": "AIS.0105"}
    )
    assert (explicit.code_neither, explicit.code_no_document, explicit.calibration) == (
        "AIS.0102", "AIS.0105", str(calibration_file))  # fmt: skip
    in_code = EmulatorSettings(calibration=str(calibration_file), code_neither="AIS.0103")
    assert (in_code.code_neither, in_code.code_no_document) == ("AIS.0103", "AIS.0104")


_GOOD = """format = 1
[clauses."request.data-url.neither"]
reading = "refused"
status = 400
code = "AIS.0101"
message = "The input parameter is invalid."
case = "request.data-url.neither[empty-object]"
"""


@pytest.mark.parametrize(
    ("text", "where", "fix"),
    [
        ("format = 7\n", "format: it is 7", "re-run `idclassify calibrate`"),
        ("format = [", "the file: it is not TOML", "write it with `idclassify calibrate`"),
        (_GOOD.replace("request.data-url.neither", "request.data-url.nobody"),
         'entry [clauses."request.data-url.nobody"]: the catalogue has no such clause', "delete the entry"),
        (_GOOD.replace("request.data-url.neither", "request.image.side-min"),
         'entry [clauses."request.image.side-min"]: the clause is documented, not assumed', "delete the entry"),
        (_GOOD.replace('reading = "refused"', 'reading = "maybe"'), "reading is 'maybe'", "use one of served"),
        (_GOOD.replace("status = 400", 'status = "400"'), "status is '400'", "an integer such as 400"),
        (_GOOD.replace('code = "AIS.0101"\n', ""), "has no code and message", "give the error_code and error_msg"),
        ('format = 1\n[clauses."cross.alarm.result-matches-score"]\nreading = "threshold"\nlow = 60\nhigh = 40\n',
         "the threshold range is low=60, high=40", "1 <= low <= high <= 99"),
    ],
)  # fmt: skip
def test_a_bad_file_is_one_error_naming_the_file_the_entry_and_the_fix(text: str, where: str, fix: str) -> None:
    with pytest.raises(CalibrationError) as caught:
        parse_calibration(text, Path("cal.toml"))
    message = str(caught.value)
    assert message.startswith("calibration file cal.toml: ") and where in message and fix in message
    assert "calibrate-against-the-live-service.md" in message
    assert isinstance(caught.value, ConfigurationError)
    assert parse_calibration(_GOOD, Path("cal.toml")).entry("request.data-url.neither") is not None


def test_every_interface_reports_a_bad_file_once_in_its_own_words(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("format = 7\n", encoding="utf-8")
    result = _run("verify", "--calibration", str(bad), cwd=tmp_path)
    assert result.returncode == 4 and "Traceback" not in result.stderr
    # In verify's own words: its flag is --calibration.
    assert result.stderr.count(f"--calibration: calibration file {bad}: format: it is 7") == 1
    assert "--idclassify-calibration" not in result.stderr
    served = CliRunner().invoke(main, ["serve", "--calibration", str(tmp_path / "missing.toml")])
    assert served.exit_code == 2
    assert f"calibration file {tmp_path / 'missing.toml'} does not exist; write one with `idclassify calibrate" in (
        served.output
    )
    with pytest.raises(CalibrationError, match=r"^setting calibration \(IDCLASSIFY_EMULATOR_CALIBRATION\): calibration "
                       r"file .*bad.toml: format: it is 7"):  # fmt: skip
        EmulatorSettings.load(environ={"IDCLASSIFY_EMULATOR_CALIBRATION": str(bad)})


def test_idclassify_serve_answers_with_the_calibration(calibration_file: Path, tmp_path: Path) -> None:
    import httpx

    from pytest_idclassify.emulator import serve_process

    # The command's own path: `idclassify serve` in its own process, the file named by its variable.
    settings = {"IDCLASSIFY_EMULATOR_CALIBRATION": str(calibration_file), "IDCLASSIFY_EMULATOR_PROJECT_ID": PROJECT_ID,
                "IDCLASSIFY_EMULATOR_TOKENS": TOKEN}  # fmt: skip
    with serve_process(env=settings) as url:
        answer = httpx.post(f"{url}/v2/{PROJECT_ID}/ocr/auto-id-doc-classification", json={"alarm": True},
                            headers={"X-Auth-Token": TOKEN})  # fmt: skip
    assert (answer.status_code, answer.json()["error_code"]) == (400, "AIS.0102")


def test_calibrating_a_server_that_does_not_answer_writes_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_idclassify._serve import free_port

    for name, value in {**CREDENTIALS, "IDCLASSIFY_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    output = tmp_path / "never.toml"
    result = CliRunner().invoke(main, ["calibrate", "--base-url", f"http://127.0.0.1:{free_port()}", "-o", str(output)])
    # The pre-flight probe finds nothing listening: one line, in calibrate's words, before any case.
    assert result.exit_code == 2 and not output.exists()
    assert "nothing answers at" in result.output and "check --base-url (host and port)" in result.output
    assert len(result.output.strip().splitlines()) <= 4


def test_a_failing_upload_hook_leaves_the_url_clauses_unobserved_and_the_rest_observed(
    other_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**CREDENTIALS, "IDCLASSIFY_NOTHING_READS_THIS": "1"}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "broken_hook.py").write_text("def upload(path, content, content_type):\n    raise OSError('quota')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    output = tmp_path / "cal.toml"
    result = CliRunner().invoke(main, ["calibrate", "--base-url", other_server, "-o", str(output),
                                       "--public-base-url", "https://img.example.test",
                                       "--upload-hook", "broken_hook:upload"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "NOTE: IDCLASSIFY_NOTHING_READS_THIS is set but" in result.output
    # The target is on loopback: the suite's own server serves the other URL cases, the hook the size-max one.
    said = "not observed request.url.size-max.code: the upload hook 'broken_hook:upload' raised OSError on /img/"
    assert said in result.output
    observed = set(load_calibration(output).entries)
    assert observed >= CHANGED | {"request.url.fetch-slow"} and "request.url.size-max.code" not in observed


def test_calibrate_takes_numbers_as_numbers_and_speaks_its_own_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    typed = CliRunner().invoke(main, ["calibrate", "--base-url", "http://127.0.0.1:9", "--call-budget", "x"])
    assert typed.exit_code == 2 and "'--call-budget': 'x' is not a valid integer" in typed.output
    slashed = CliRunner().invoke(main, ["calibrate", "--base-url", "http://127.0.0.1:9", "--project-id", "a/b"])
    assert slashed.exit_code == 2 and "--project-id 'a/b' cannot stand in the API path" in slashed.output
    assert "--idclassify-" not in typed.output + slashed.output


def test_an_output_that_cannot_be_written_is_refused_before_a_call_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    calls: list[str] = []

    async def answer(request: Request) -> JSONResponse:
        calls.append(request.url.path)
        return JSONResponse({"error_code": "AIS.0101", "error_msg": "The parameter is invalid."}, status_code=400)

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "a-file").write_text("x")
    output = tmp_path / "a-file" / "cal.toml"
    with serve_in_thread(Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])) as url:
        result = CliRunner().invoke(main, ["calibrate", "--base-url", url, "-o", str(output)])
    assert result.exit_code == 2, result.output
    assert f"--output {str(output)!r} cannot be created" in result.output and "is a file, not a folder" in result.output
    assert calls == [], "calls were spent before the output was found unwritable"
