"""ClientConfig: read from the environment, validated before anything is sent, secrets masked."""

from __future__ import annotations

import pytest
from test_client_support import PROJECT_ID, Recorder

from pytest_idclassify.client import ENV_VARS, ClientConfig, IdClassifyClient, validate_project_id
from pytest_idclassify.errors import ConfigurationError

pytest_plugins = ["test_client_support"]

BASE = {"IDCLASSIFY_BASE_URL": "https://ocr.example.test", "IDCLASSIFY_PROJECT_ID": PROJECT_ID}
AKSK = {"CLOUD_SDK_AK": "HPUAEXAMPLEAK0000001", "CLOUD_SDK_SK": "exampleSecretKey000000000000000000000SKSK"}


def test_every_variable_is_read() -> None:
    env = {
        "IDCLASSIFY_REGION": "ap-southeast-1",
        "IDCLASSIFY_PROJECT_ID": PROJECT_ID,
        "IDCLASSIFY_AUTH": "AKSK",
        "IDCLASSIFY_TOKEN": "MIItoken-unused-00000000",
        **AKSK,
        "CLOUD_SDK_SECURITY_TOKEN": "securitytoken000000000000",
        "IDCLASSIFY_IAM_ENDPOINT": "http://127.0.0.1:5000/",
        "IDCLASSIFY_IAM_USER": "qa-user",
        "IDCLASSIFY_IAM_PASSWORD": "pw-0000000000000",
        "IDCLASSIFY_IAM_DOMAIN": "example-domain",
        "IDCLASSIFY_ENTERPRISE_PROJECT_ID": "ep-1",
        "IDCLASSIFY_TIMEOUT": "12.5",
        "IDCLASSIFY_MAX_RETRIES": "5",
        "IDCLASSIFY_CALL_BUDGET": "100",
        "IDCLASSIFY_CALL_TIMEOUT": "90",
        "IDCLASSIFY_MAX_RESPONSE_BYTES": "1048576",
        "IDCLASSIFY_MAX_DECODED_BYTES": "4194304",
        "IDCLASSIFY_MAX_JSON_DEPTH": "20",
    }
    config = ClientConfig.from_env(env)
    assert config.endpoint == "https://ocr.ap-southeast-1.myhuaweicloud.com"
    assert config.url == f"https://ocr.ap-southeast-1.myhuaweicloud.com/v2/{PROJECT_ID}/ocr/auto-id-doc-classification"
    assert config.auth == "aksk"
    assert (config.access_key, config.secret_key) == (AKSK["CLOUD_SDK_AK"], AKSK["CLOUD_SDK_SK"])
    assert config.security_token == "securitytoken000000000000"
    assert config.iam_endpoint == "http://127.0.0.1:5000"
    assert (config.iam_user, config.iam_domain, config.enterprise_project_id) == ("qa-user", "example-domain", "ep-1")
    assert (config.timeout, config.max_retries, config.call_budget) == (12.5, 5, 100)
    assert (config.call_timeout, config.max_response_bytes, config.max_decoded_bytes) == (90.0, 1048576, 4194304)
    assert config.max_json_depth == 20
    assert set(ENV_VARS.values()) == set(env) | {"IDCLASSIFY_BASE_URL"}


def test_overrides_win_and_empty_variables_count_as_unset() -> None:
    config = ClientConfig.from_env({**BASE, **AKSK, "IDCLASSIFY_TIMEOUT": ""}, endpoint="http://127.0.0.1:1", timeout=3)
    assert config.endpoint == "http://127.0.0.1:1"
    assert config.timeout == 3
    assert ClientConfig.from_env({**BASE, "IDCLASSIFY_AUTH": "none"}).auth == "none"
    assert (
        ClientConfig.from_env({**BASE, "IDCLASSIFY_REGION": "cn-north-4"}, auth="none").endpoint
        == BASE["IDCLASSIFY_BASE_URL"]
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"IDCLASSIFY_PROJECT_ID": PROJECT_ID, **AKSK}, "IDCLASSIFY_BASE_URL"),
        ({"IDCLASSIFY_BASE_URL": "https://ocr.example.test", **AKSK}, "IDCLASSIFY_PROJECT_ID"),
        (BASE, "IDCLASSIFY_AUTH=none"),
        ({**BASE, "CLOUD_SDK_AK": "AK0000000000"}, "CLOUD_SDK_SK"),
        ({**BASE, "IDCLASSIFY_AUTH": "aksk", "CLOUD_SDK_SK": "x" * 40}, "CLOUD_SDK_AK"),
        ({**BASE, "IDCLASSIFY_AUTH": "token"}, "IDCLASSIFY_IAM_USER"),
        ({**BASE, "IDCLASSIFY_IAM_USER": "u"}, "IDCLASSIFY_IAM_PASSWORD"),
        ({**BASE, "IDCLASSIFY_IAM_USER": "u", "IDCLASSIFY_IAM_PASSWORD": "p"}, "IDCLASSIFY_IAM_DOMAIN"),
        (
            {**BASE, "IDCLASSIFY_IAM_USER": "u", "IDCLASSIFY_IAM_PASSWORD": "p", "IDCLASSIFY_IAM_DOMAIN": "d"},
            "IDCLASSIFY_IAM_ENDPOINT",
        ),
        ({**BASE, **AKSK, "IDCLASSIFY_AUTH": "password"}, "IDCLASSIFY_AUTH"),
        ({**BASE, **AKSK, "IDCLASSIFY_TIMEOUT": "soon"}, "IDCLASSIFY_TIMEOUT"),
        ({**BASE, **AKSK, "IDCLASSIFY_TIMEOUT": "-1"}, "IDCLASSIFY_TIMEOUT"),
        ({**BASE, **AKSK, "IDCLASSIFY_TIMEOUT": "nan"}, "IDCLASSIFY_TIMEOUT"),
        ({**BASE, **AKSK, "IDCLASSIFY_MAX_RETRIES": "2.5"}, "IDCLASSIFY_MAX_RETRIES"),
        ({**BASE, **AKSK, "IDCLASSIFY_MAX_RETRIES": "-1"}, "IDCLASSIFY_MAX_RETRIES"),
        ({**BASE, **AKSK, "IDCLASSIFY_CALL_BUDGET": "lots"}, "IDCLASSIFY_CALL_BUDGET"),
        ({**BASE, **AKSK, "IDCLASSIFY_CALL_TIMEOUT": "0"}, "IDCLASSIFY_CALL_TIMEOUT"),
        ({**BASE, **AKSK, "IDCLASSIFY_CALL_TIMEOUT": "later"}, "IDCLASSIFY_CALL_TIMEOUT"),
        ({**BASE, **AKSK, "IDCLASSIFY_MAX_RESPONSE_BYTES": "0"}, "IDCLASSIFY_MAX_RESPONSE_BYTES"),
        ({**BASE, **AKSK, "IDCLASSIFY_MAX_DECODED_BYTES": "1e6"}, "IDCLASSIFY_MAX_DECODED_BYTES"),
        ({**BASE, **AKSK, "IDCLASSIFY_MAX_JSON_DEPTH": "-3"}, "IDCLASSIFY_MAX_JSON_DEPTH"),
        ({**BASE, **AKSK, "IDCLASSIFY_MAX_RETRIES": "\u00b9"}, "IDCLASSIFY_MAX_RETRIES"),
        ({**BASE, **AKSK, "IDCLASSIFY_TIMEOUT": "\u0663\u0660"}, "IDCLASSIFY_TIMEOUT"),
        ({**BASE, **AKSK, "IDCLASSIFY_MAX_RESPONSE_BYTES": "9" * 4301}, "IDCLASSIFY_MAX_RESPONSE_BYTES"),
        ({**BASE, **AKSK, "IDCLASSIFY_BASE_URL": "ocr.example.test"}, "IDCLASSIFY_BASE_URL"),
        ({**BASE, **AKSK, "IDCLASSIFY_BASE_URL": "ftp://ocr.example.test"}, "IDCLASSIFY_BASE_URL"),
        ({**BASE, **AKSK, "IDCLASSIFY_BASE_URL": "", "IDCLASSIFY_REGION": "North 4"}, "IDCLASSIFY_REGION"),
        ({**BASE, **AKSK, "IDCLASSIFY_IAM_ENDPOINT": "iam"}, "IDCLASSIFY_IAM_ENDPOINT"),
    ],
)
def test_a_missing_or_invalid_setting_names_its_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        ClientConfig.from_env(env)


@pytest.mark.parametrize("project_id", ["", "{project_id}", "%7Bproject_id%7D", "a/b", "a b", "a?b", "a#b", "a\nb"])
def test_bad_project_ids_are_refused_before_anything_is_sent(project_id: str, recorder: Recorder, served: str) -> None:
    with pytest.raises(ConfigurationError, match="IDCLASSIFY_PROJECT_ID"):
        ClientConfig(endpoint=served, project_id=project_id, auth="none")
    with pytest.raises(ConfigurationError, match="IDCLASSIFY_PROJECT_ID"):
        validate_project_id(project_id)
    assert recorder.seen == []


def test_project_id_is_percent_encoded_in_the_path(recorder: Recorder, served: str) -> None:
    config = ClientConfig(endpoint=served, project_id="proj-é:1", auth="none")
    with IdClassifyClient(config) as client:
        client.classify(data="aGVsbG8=")
    assert recorder.seen[0].raw_path == b"/v2/proj-%C3%A9%3A1/ocr/auto-id-doc-classification"


def test_credentials_in_the_endpoint_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError, match="carries credentials") as info:
        ClientConfig.from_env(
            {**BASE, "IDCLASSIFY_BASE_URL": "https://user:hunter2secret@ocr.example.test"}, auth="none"
        )
    assert "hunter2secret" not in str(info.value)


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown setting"):
        ClientConfig.from_env(BASE, auth="none", projectid="x")


def test_repr_masks_secrets() -> None:
    config = ClientConfig.from_env(
        {
            **BASE,
            **AKSK,
            "CLOUD_SDK_SECURITY_TOKEN": "securitytoken00000000wxyz",
            "IDCLASSIFY_TOKEN": "MIItokenvalue0000abcd",
            "IDCLASSIFY_IAM_PASSWORD": "hunter2-but-longer",
        }
    )
    text = repr(config)
    for secret in (
        AKSK["CLOUD_SDK_SK"],
        AKSK["CLOUD_SDK_AK"],
        "securitytoken00000000wxyz",
        "MIItokenvalue0000abcd",
        "hunter2-but-longer",
    ):
        assert secret not in text
    assert "secret_key='****SKSK'" in text
    assert "token='****abcd'" in text
    assert "project_id='0123456789abcdef0123456789abcdef'" in text


def test_replace_validates_again() -> None:
    config = ClientConfig.from_env({**BASE, **AKSK})
    assert config.replace(max_retries=0).max_retries == 0
    with pytest.raises(ConfigurationError, match="max_retries"):
        config.replace(max_retries=-2)
