"""The front door's checks that need no call: settings, variables and files, in each interface's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_idclassify._options import PYTEST, VERIFY
from pytest_idclassify.cassettes import cassette_path, record_skip
from pytest_idclassify.emulator._settings import DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from pytest_idclassify.suite._preflight import PreflightError, preflight

TOKEN = {"IDCLASSIFY_TOKEN": DEFAULT_TOKEN}
ENDPOINT = f"http://127.0.0.1:8080/v2/{DEFAULT_PROJECT_ID}/ocr/auto-id-doc-classification"


def _refusal(cli: dict[str, object], environ: dict[str, str], *, interface: object = VERIFY) -> str:
    with pytest.raises(PreflightError) as refused:
        preflight(cli, {}, environ, interface=interface, probe=False)  # type: ignore[arg-type]
    return str(refused.value)


def test_the_endpoint_url_serve_prints_becomes_base_url_and_project_id() -> None:
    front = preflight({"base-url": ENDPOINT}, {}, TOKEN, interface=VERIFY, probe=False)
    assert front.config.target == "live"
    assert (front.config.base_url, front.config.project_id) == ("http://127.0.0.1:8080", DEFAULT_PROJECT_ID)
    assert front.client is not None and front.client.url == ENDPOINT
    # A trailing slash or a matching --project-id changes nothing; a different one is named with both flags.
    same = preflight({"base-url": ENDPOINT + "/", "project-id": DEFAULT_PROJECT_ID}, {}, TOKEN, probe=False)
    assert same.config.base_url == "http://127.0.0.1:8080"
    message = _refusal({"base-url": ENDPOINT, "project-id": "f" * 32}, TOKEN)
    assert "--base-url names project" in message and "--project-id is '****ffff'" in message
    assert "f" * 32 not in message  # project ids are masked, as in every other message


def test_replay_with_a_record_mode_is_refused_once_in_the_words_typed() -> None:
    # Replay has no server to record from: a miss went out to 127.0.0.1:9 and blamed IDCLASSIFY_BASE_URL.
    message = _refusal({"target": "replay", "record-mode": "once"}, TOKEN)
    assert message.startswith("--target=replay plays cassettes only, but --record-mode=once records")
    env = {**TOKEN, "IDCLASSIFY_TARGET": "replay", "IDCLASSIFY_RECORD_MODE": "new_episodes"}
    assert "IDCLASSIFY_RECORD_MODE=new_episodes records: drop IDCLASSIFY_RECORD_MODE" in _refusal({}, env)
    assert preflight({"target": "replay", "record-mode": "none"}, {}, TOKEN, probe=False).config.target == "replay"


def test_a_base_url_and_a_target_beside_it_are_refused_and_the_nearer_one_wins_otherwise() -> None:
    base = "http://127.0.0.1:8080"
    for target in ("replay", "emulator"):
        message = _refusal({"base-url": base, "target": target}, TOKEN)
        assert message.startswith(f"--base-url names a server to verify, but --target={target} does not send to one")
    both_set = {**TOKEN, "IDCLASSIFY_TARGET": "replay", "IDCLASSIFY_BASE_URL": base}
    assert "IDCLASSIFY_BASE_URL names a server" in _refusal({}, both_set, interface=PYTEST)
    # A left-over IDCLASSIFY_TARGET does not hide the --base-url typed on the command line...
    left_over = {**TOKEN, "IDCLASSIFY_TARGET": "replay"}
    typed = preflight(
        {"base-url": base, "project-id": DEFAULT_PROJECT_ID}, {}, left_over, interface=VERIFY, probe=False
    )
    assert typed.config.target == "live"
    # ...a CI's IDCLASSIFY_TARGET=replay replays, whatever base URL the ini file names...
    ci = preflight({}, {"base-url": base}, {"IDCLASSIFY_TARGET": "replay"}, interface=PYTEST, probe=False)
    assert ci.config.target == "replay"
    # ...and an exported IDCLASSIFY_BASE_URL never sends out live a run the ini file pins to replay.
    pinned = preflight({}, {"target": "replay"}, {**TOKEN, "IDCLASSIFY_BASE_URL": base}, interface=PYTEST, probe=False)
    assert pinned.config.target == "replay"


def test_a_setting_from_the_environment_is_named_by_its_variable() -> None:
    message = _refusal({}, {**TOKEN, "IDCLASSIFY_BASE_URL": "ocr.example.test"}, interface=PYTEST)
    assert message.startswith("IDCLASSIFY_BASE_URL 'ocr.example.test' has no scheme: write https://ocr.example.test")
    message = _refusal({"base-url": "localhost:8080"}, TOKEN, interface=PYTEST)
    assert message.startswith("--idclassify-base-url 'localhost:8080' has no scheme: write http://localhost:8080")


def test_the_region_alone_and_old_names_are_not_ignored_in_silence() -> None:
    assert "IDCLASSIFY_BASE_URL=https://ocr.cn-north-4.myhuaweicloud.com" in _refusal(
        {}, {"IDCLASSIFY_REGION": "cn-north-4"}
    )
    # Chosen on purpose, the embedded emulator is fine whatever the region says.
    assert (
        preflight({"target": "emulator"}, {}, {"IDCLASSIFY_REGION": "cn-north-4"}, probe=False).config.target
        == "emulator"
    )
    assert "IDCLASSIFY_ENDPOINT is not read" in _refusal({}, {"IDCLASSIFY_ENDPOINT": "https://x.test"})
    assert "did you mean IDCLASSIFY_PROJECT_ID?" in _refusal({}, {"IDCLASSIFY_PROJECT_IDD": "p"})
    # A name far from any the toolkit reads goes on with one notice; the emulator's and the SDK's are its own.
    front = preflight({}, {}, {"IDCLASSIFY_SOMETHING_ELSE_ENTIRELY": "1", "IDCLASSIFY_EMULATOR_FAULT": "drop",
                               "CLOUD_SDK_REGION": "cn-north-4"}, probe=False)  # fmt: skip
    assert len(front.notices) == 1 and front.notices[0].startswith("IDCLASSIFY_SOMETHING_ELSE_ENTIRELY is set but")
    assert "docs/reference/environment-variables.md" in front.notices[0]
    assert preflight({}, {}, {"IDCLASSIFY_TOKEN": "t"}, probe=False).notices == ()


def test_an_empty_or_padded_value_is_refused_not_taken_for_no_setting() -> None:
    # `--base-url "$URL"` with URL unset used to verify the embedded emulator without a word.
    message = _refusal({"base-url": ""}, TOKEN)
    assert message.startswith("--base-url is empty (an unset shell variable?)")
    assert "or drop --base-url to verify the embedded emulator" in message
    # Where a server is asked for (calibrate, --target live), there is no emulator to fall back on.
    live = _refusal({"base-url": "", "target": "live"}, TOKEN)
    assert live.startswith("--base-url is empty") and "drop" not in live
    assert _refusal({"report-json": "  "}, {}, interface=PYTEST).startswith("--idclassify-report-json is empty")
    # An empty variable still means unset, as shells and CI systems write "not set".
    assert preflight({}, {}, {"IDCLASSIFY_BASE_URL": ""}, probe=False).config.target == "emulator"
    # A pasted URL with a space or line break around it used to reach httpx, and end in INTERNALERROR.
    padded = _refusal({"base-url": " http://127.0.0.1:8080\n", "project-id": DEFAULT_PROJECT_ID}, TOKEN)
    assert (
        padded
        == "--base-url ' http://127.0.0.1:8080\\n' has spaces or a line break around it: write http://127.0.0.1:8080"
    )


def test_metrics_settings_are_checked_before_a_call(tmp_path: Path) -> None:
    threshold = _refusal({"metrics-threshold": 0.9}, {})
    assert threshold.startswith("--metrics-threshold sets a pass mark for recognition metrics, but none are measured")
    assert "add --metrics specimens" in threshold
    assert "is neither 'specimens' nor a folder" in _refusal({"metrics": str(tmp_path / "nope")}, {})
    missing = _refusal({"metrics": str(tmp_path)}, {})
    assert (
        missing.startswith(f"--metrics: {str(tmp_path)!r} holds no labels.json") and "idclassify specimens" in missing
    )
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8")
    bad_entries = {
        '{"images": [{"file": "a.jpg", "type": "passport", "location": [[1, 2]]}]}': "entry 1's 'location' is not four",
        '{"images": [{"file": "a.jpg", "type": "passport", "alarms": {"detect_blur_result": 1}}]}':
            "entry 1's 'alarms' is not an object of true/false flags",
        '{"images": [{"file": "a.jpg", "type": "passport", "alarms": {"blur": true}}]}': "names unknown alarm 'blur'",
        '{"images": [{"file": "b.jpg", "type": "passport"}]}': "entry 1 names 'b.jpg', which is not in",
        "[1": "not valid JSON (line 1",
    }  # fmt: skip
    for text, expected in bad_entries.items():
        (tmp_path / "labels.json").write_text(text)
        message = _refusal({"metrics": str(tmp_path)}, {})
        assert message.startswith("--metrics: ") and expected in message, message
    (tmp_path / "labels.json").write_text('{"images": [{"file": "a.jpg", "type": "passport"}]}')
    assert preflight({"metrics": str(tmp_path), "metrics-threshold": 0.5}, {}, {}, probe=False).config.metrics


def test_credentials_are_named_by_the_variables_a_suite_run_reads() -> None:
    base = {"base-url": "https://ocr.example.test", "project-id": DEFAULT_PROJECT_ID}
    assert "no credentials for https://ocr.example.test: set IDCLASSIFY_TOKEN" in _refusal(base, {})
    assert "--auth=none" in _refusal(base, {})
    assert "AK/SK signing needs CLOUD_SDK_SK" in _refusal(base, {"CLOUD_SDK_AK": "HPUAEXAMPLEAK0000001"})
    assert "pass " not in _refusal({**base, "auth": "token"}, {"CLOUD_SDK_AK": "a", "CLOUD_SDK_SK": "b"})
    assert preflight({**base, "auth": "none"}, {}, {}, probe=False).client is not None


def test_replay_needs_a_folder_that_holds_cassettes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    missing = _refusal({"target": "replay", "cassette-dir": "nope"}, {})
    assert "--cassette-dir 'nope' does not exist" in missing and "--record-mode=once" in missing
    (tmp_path / "empty").mkdir()
    assert "holds no cassettes" in _refusal({"target": "replay", "cassette-dir": "empty"}, {})
    record_skip(cassette_path(tmp_path / "full", "test_contract.py::test_clause[x]"), "why")
    preflight({"target": "replay", "cassette-dir": "full"}, {}, {}, probe=False)


def test_url_cases_need_the_hook_and_its_public_base_url_together() -> None:
    base = {"base-url": "https://ocr.example.test", "project-id": DEFAULT_PROJECT_ID, "upload-hook": "json:dumps"}
    assert "--upload-hook needs --public-base-url (or IDCLASSIFY_PUBLIC_BASE_URL)" in _refusal(base, TOKEN)
    message = _refusal({**base, "upload-hook": "no_such_module:f", "public-base-url": "https://b.test"}, TOKEN)
    assert message.startswith("--upload-hook='no_such_module:f' cannot be loaded")


def test_a_misspelt_ini_key_stops_the_run_naming_the_key_it_meant(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nidclassify_targett = live\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*idclassify_targett in tox.ini is not an option of pytest-idclassify: "
                                 "did you mean idclassify_target?*"])  # fmt: skip
    # --help still works: it is how the right key is found.
    assert pytester.runpytest("-p", "no:cacheprovider", "--help").ret == pytest.ExitCode.OK


def test_an_ini_flag_that_is_not_a_boolean_is_named_with_its_file(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nidclassify_strict = "maybe"\n')
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*idclassify_strict in pyproject.toml is not a boolean (*'maybe'*); use true or false*"]
    )
    assert "Traceback" not in result.stderr.str()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("idclassify_strict=maybe", "*idclassify_strict given with -o is not a boolean (*'maybe'*); use true or *"),
        ("idclassify_targett=live", "*idclassify_targett given with -o is not an option of pytest-idclassify: did you "
                                    "mean idclassify_target?*"),
    ],
)  # fmt: skip
def test_an_ini_value_given_with_o_is_named_so_and_not_by_a_file(
    pytester: pytest.Pytester, override: str, message: str
) -> None:
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n")  # a file there, which the value is not from
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-o", override)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_cassette_dir_that_is_a_file_is_named_as_one(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    message = _refusal({"target": "replay", "cassette-dir": str(tmp_path / "a-file")}, {})
    assert "is a file, not a folder" in message


pytest_plugins = ["pytester"]
