"""The front door's messages show a URL through the redaction policy and a project id masked.

A base URL may carry a credential in its query (``?token=``, ``X-Auth-Token=``, ``sig=``) or before
its host, and a project id is an identifier the toolkit masks: a refused run prints neither, in
``idclassify verify`` (a subprocess, as a user runs it), in the pytest plugin (pytester) or from
:func:`preflight` itself.  A URL that holds no secret is still shown whole.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from cli_child import VERIFY

from pytest_idclassify._options import PYTEST
from pytest_idclassify._options import VERIFY as VERIFY_WORDS
from pytest_idclassify.emulator._settings import DEFAULT_TOKEN
from pytest_idclassify.suite._preflight import PreflightError, preflight

pytest_plugins = ["pytester"]

SECRET = "QueryTok3nSecret99"
SIGNATURE = "S1gS1gS1gS1g"
PASSWORD = "pw-Hunter2-not-shown"
URL_PROJECT = "aaaabbbbccccdddd0000111122223333"
ENV_PROJECT = "f00dbabe0123456789abcdef01234567"
API_PATH = "/ocr/auto-id-doc-classification"

#: base URLs that carry a secret, and what the message says about each.
LEAKY = {
    "token-query": (f"http://127.0.0.1:1/?token={SECRET}", "is not an http(s) URL"),
    "two-secret-parameters": (f"https://ocr.example.com/?X-Auth-Token={SECRET}&sig={SIGNATURE}",
                              "is not an http(s) URL"),
    "fragment": (f"https://ocr.example.com/#access_token={SECRET}", "is not an http(s) URL"),
    "no-scheme": (f"ocr.example.com/?token={SECRET}", "has no scheme: write https://ocr.example.com/?token="),
    "no-scheme-userinfo": (f"qa:{PASSWORD}@ocr.example.com", "carries credentials before '@'"),
    "pasted-line": (f"endpoint:   http://127.0.0.1:1/v2/{URL_PROJECT}{API_PATH}?api_key={SECRET}",
                    "is not an http(s) URL"),
}  # fmt: skip
HIDDEN = (SECRET, SIGNATURE, PASSWORD, URL_PROJECT)


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("IDCLASSIFY_", "CLOUD_SDK_"))}
    return {**base, "IDCLASSIFY_TOKEN": DEFAULT_TOKEN, **extra}


def _refusal(cli: dict[str, object], environ: dict[str, str] | None = None) -> str:
    with pytest.raises(PreflightError) as refused:
        environ = {"IDCLASSIFY_TOKEN": DEFAULT_TOKEN} if environ is None else environ
        preflight(cli, {}, environ, interface=VERIFY_WORDS, probe=False)
    return str(refused.value)


def _verify(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([*VERIFY, *args], cwd=tmp_path, capture_output=True, text=True, check=False,
                          env=_clean_env(env or {}), timeout=120)  # fmt: skip
    output = (done.stdout + done.stderr).strip()
    assert done.returncode not in (0, 1), output  # a usage error, not a score
    assert "Traceback" not in output and len(output.splitlines()) <= 3, output
    return output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("name", sorted(LEAKY))
def test_a_secret_in_the_base_url_is_not_printed(name: str) -> None:
    url, says = LEAKY[name]
    message = _refusal({"base-url": url})
    assert says in message and message.startswith("--base-url"), message
    assert not any(hidden in message for hidden in HIDDEN), message
    if "@" not in url:
        assert "[REDACTED]" in message, "the parameter is named, its value hidden"


@pytest.mark.parametrize("name", ["token-query", "two-secret-parameters"])
def test_verify_prints_a_secret_in_the_base_url_redacted_from_the_flag_and_the_variable(
    name: str, tmp_path: Path
) -> None:
    url, says = LEAKY[name]
    for args, env, where in (
        (["--base-url", url], {}, "--base-url"),
        ([], {"IDCLASSIFY_BASE_URL": url}, "IDCLASSIFY_BASE_URL"),
    ):
        output = _verify(args, tmp_path, env)
        assert where in output and says in output and "[REDACTED]" in output, output
        assert SECRET not in output and SIGNATURE not in output, output


def test_the_plugin_prints_a_secret_in_the_base_url_redacted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in _clean_env({}).keys() ^ os.environ.keys():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("IDCLASSIFY_TOKEN", DEFAULT_TOKEN)
    url = f"http://127.0.0.1:1/?api_key={SECRET}"
    result = pytester.runpytest_subprocess("--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider",
                                           f"--idclassify-base-url={url}")  # fmt: skip
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret != 0
    assert "--idclassify-base-url 'http://127.0.0.1:1/?api_key=[REDACTED]' is not an http(s) URL" in output, output
    assert SECRET not in output


def test_two_project_ids_that_disagree_are_both_masked(tmp_path: Path) -> None:
    endpoint = f"https://ocr.example.com/v2/{URL_PROJECT}{API_PATH}"
    message = _refusal(
        {"base-url": endpoint}, {"IDCLASSIFY_TOKEN": DEFAULT_TOKEN, "IDCLASSIFY_PROJECT_ID": ENV_PROJECT}
    )
    assert message == (
        "--base-url names project '****3333' but IDCLASSIFY_PROJECT_ID is '****4567': drop one (a base URL is "
        "the scheme and host, e.g. https://ocr.example.com)"
    )
    output = _verify(["--base-url", endpoint], tmp_path, {"IDCLASSIFY_PROJECT_ID": ENV_PROJECT})
    assert "'****3333'" in output and "'****4567'" in output, output
    assert URL_PROJECT not in output and ENV_PROJECT not in output, output


def test_the_probe_shows_a_project_id_in_the_base_urls_path_as_its_placeholder(tmp_path: Path) -> None:
    # The path is no full endpoint, so it stays the base URL, and nothing listens there.
    base = f"http://127.0.0.1:{_closed_port()}/v2/{URL_PROJECT}"
    output = _verify(["--base-url", base, "--project-id", URL_PROJECT], tmp_path)
    assert "nothing answers at http://127.0.0.1:" in output and "/v2/{project_id} (" in output, output
    assert URL_PROJECT not in output, output


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://ocr.example.com", "--base-url 'ftp://ocr.example.com' is not an http(s) URL"),
        ("https://ocr.example.com/?region=ap-southeast-1",
         "--base-url 'https://ocr.example.com/?region=ap-southeast-1' is not an http(s) URL"),
        ("127.0.0.1:8080/ocr", "--base-url '127.0.0.1:8080/ocr' has no scheme: write http://127.0.0.1:8080/ocr"),
        ("ocr.ap-southeast-1.myhuaweicloud.com",
         "has no scheme: write https://ocr.ap-southeast-1.myhuaweicloud.com"),
    ],
)  # fmt: skip
def test_a_url_without_secrets_is_still_shown_whole(url: str, says: str) -> None:
    assert says in _refusal({"base-url": url})


def test_only_the_url_goes_through_the_policy_not_the_advice_around_it() -> None:
    # Only the URL goes through the policy: the flags the advice names (``--auth=none``) stay as they are.
    with pytest.raises(PreflightError) as refused:
        preflight({"base-url": f"http://127.0.0.1:1/?token={SECRET}"}, {}, {}, interface=PYTEST, probe=False)
    assert str(refused.value).startswith("--idclassify-base-url 'http://127.0.0.1:1/?token=[REDACTED]'")
    message = _refusal({"base-url": "http://127.0.0.1:1", "project-id": "p1"}, {})
    assert "no credentials for http://127.0.0.1:1:" in message and "pass --auth=none" in message, message
