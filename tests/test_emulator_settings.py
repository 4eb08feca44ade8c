from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_idclassify.catalogue import BASE64_LIMIT_BINARY, BODY_LIMIT, clause
from pytest_idclassify.emulator import EmulatorSettings, parse_fault
from pytest_idclassify.emulator._faults import FaultSchedule
from pytest_idclassify.errors import ConfigurationError


def test_undocumented_choices_default_to_the_catalogues_assumed_clauses() -> None:
    s = EmulatorSettings()
    expected = {
        "code_invalid_json": "request.body.json",
        "code_base64_too_long": "request.data.base64-max.code",
        "code_neither": "request.data-url.neither",
        "code_noncanonical_base64": "request.data.base64-noncanonical",
        "code_raw_non_ascii_url": "request.url.chinese-raw.code",
        "code_url_refused": "request.url.schemes.code",
        "code_url_fetch_failed": "request.url.fetch-failure.code",
        "code_undecodable": "request.image.undecodable",
        "code_no_document": "request.image.no-document",
        "code_project_mismatch": "uri.project-id.mismatch",
    }
    for name, clause_id in expected.items():
        error = clause(clause_id).error
        assert error is not None
        assert getattr(s, name) == error.code, name
    assert s.base64_limit == BASE64_LIMIT_BINARY
    assert s.body_limit == BODY_LIMIT
    assert s.strict_base64 is True
    assert s.url_allow == ("127.0.0.0/8", "::1", "localhost")


def test_precedence_overrides_then_environment_then_file(tmp_path: Path) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text(
        'project_id = "fromfile"\nalarm_threshold = 60\nfetch_timeout = 2.5\nurl_allow = ["10.0.0.0/8"]\n'
    )
    env = {"IDCLASSIFY_EMULATOR_ALARM_THRESHOLD": "70", "IDCLASSIFY_EMULATOR_STRICT_BASE64": "false", "OTHER": "x"}
    s = EmulatorSettings.load(config_file=config, environ=env, overrides={"alarm_threshold": 80, "project_id": None})
    assert s.project_id == "fromfile"
    assert s.alarm_threshold == 80
    assert s.strict_base64 is False
    assert s.fetch_timeout == 2.5
    assert s.url_allow == ("10.0.0.0/8",)
    assert EmulatorSettings.load(config_file=config, environ=env).alarm_threshold == 70


def test_json_config_with_emulator_table_and_credential_pairs(tmp_path: Path) -> None:
    config = tmp_path / "emulator.json"
    config.write_text(json.dumps({"emulator": {"credentials": {"MYAK": "mysecretkey-123456"}, "tokens": ["t1", "t2"]}}))
    s = EmulatorSettings.load(config_file=config)
    assert s.credential_map == {"MYAK": "mysecretkey-123456"}
    assert s.tokens == ("t1", "t2")
    env = {"IDCLASSIFY_EMULATOR_CREDENTIALS": "A1:S1,A2:S2", "IDCLASSIFY_EMULATOR_EXPIRED_TOKENS": "old:2020-01-01"}
    s = EmulatorSettings.load(environ=env)
    assert s.credential_map == {"A1": "S1", "A2": "S2"}
    assert s.expired_map == {"old": "2020-01-01"}


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"IDCLASSIFY_EMULATOR_ALARM_THRESHOLD": "high"}, "IDCLASSIFY_EMULATOR_ALARM_THRESHOLD"),
        ({"IDCLASSIFY_EMULATOR_ALARM_THRESHOLD": "150"}, "within 0..100"),
        ({"IDCLASSIFY_EMULATOR_CODE_NEITHER": "AIS.9999"}, "not a documented error code"),
        ({"IDCLASSIFY_EMULATOR_NO_SUCH": "1"}, "not an emulator setting"),
        ({"IDCLASSIFY_EMULATOR_FAULT": "explode"}, "'explode' is not a fault"),
        ({"IDCLASSIFY_EMULATOR_URL_ALLOW": "http://x/"}, "neither a host name nor an IP network"),
        ({"IDCLASSIFY_EMULATOR_FAULT_PROBABILITY": "2"}, "within 0..1"),
        ({"IDCLASSIFY_EMULATOR_STRICT_BASE64": "maybe"}, "true or false"),
    ],
)
def test_bad_settings_name_the_variable_and_the_fix(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment.replace(".", r"\.")):
        EmulatorSettings.load(environ=env)


def test_bad_credentials_are_not_echoed() -> None:
    with pytest.raises(ConfigurationError) as info:
        EmulatorSettings.load(environ={"IDCLASSIFY_EMULATOR_CREDENTIALS": "topsecretvalue-without-colon"})
    assert "topsecretvalue" not in str(info.value)
    assert "<masked>" in str(info.value)


def test_missing_config_file_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        EmulatorSettings.load(config_file=tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("project_id = ")
    with pytest.raises(ConfigurationError, match="cannot be parsed"):
        EmulatorSettings.load(config_file=broken)


def test_repr_masks_secrets() -> None:
    s = EmulatorSettings(tokens=("a-very-secret-token-value",), credentials=(("AKID", "a-very-secret-key-value"),))
    text = repr(s)
    assert "a-very-secret" not in text
    assert "AKID" in text


def test_fault_grammar() -> None:
    f = parse_fault("latency=0.25; error=503")
    assert (f.latency, f.kind, f.code) == (0.25, "error", "ModelArts.4403")
    assert parse_fault("error=500").code == "APIG.0601"
    f504 = parse_fault("error=504")
    assert (f504.code, f504.message) == ("APIG.0201", "Backend timeout.")
    assert parse_fault("error=modelarts.4402").code == "ModelArts.4402"
    assert parse_fault("throttle=7").retry_after == 7
    assert parse_fault("drop").kind == "drop"
    assert parse_fault("truncate, latency=0").kind == "truncate"
    for bad in ("latency=fast", "latency=-1", "error=418", "error=NOPE.1", "drop=1", "drop; truncate", "nap"):
        with pytest.raises(ConfigurationError, match=r"inject-faults\.md"):
            parse_fault(bad)


def test_fault_schedule_every_nth_and_seeded_probability() -> None:
    fault = parse_fault("throttle")
    every = FaultSchedule(fault, every=3, probability=0.0, seed=0)
    assert [every.next() is not None for _ in range(9)] == [False, False, True] * 3
    always = FaultSchedule(fault, every=0, probability=0.0, seed=0)
    assert all(always.next() is fault for _ in range(5))
    assert FaultSchedule(None, every=0, probability=0.0, seed=0).next() is None
    schedules = [FaultSchedule(fault, every=0, probability=0.3, seed=seed) for seed in (1, 1, 2)]
    draws = [[schedule.next() is not None for _ in range(200)] for schedule in schedules]
    assert draws[0] == draws[1]
    assert draws[0] != draws[2]
    assert 30 <= sum(draws[0]) <= 90
