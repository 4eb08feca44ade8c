"""The front door: every first-contact mistake ends the run at once with one line naming the fix.

Each mistake is made twice, in the words of each interface: ``idclassify verify`` (a subprocess,
as a user runs it) and the pytest plugin (pytester).  Served targets are real emulators on
127.0.0.1 that count what reaches them, to show that the pre-flight sends one probe and no case.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cli_child import VERIFY

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.emulator._settings import DEFAULT_PROJECT_ID, DEFAULT_TOKEN

pytest_plugins = ["pytester"]

#: the most lines a mistake may cost the user.
MAX_LINES = 15


@dataclass
class Served:
    """An emulator on a real port that counts the calls reaching it."""

    url: str
    calls: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    app = create_app(EmulatorSettings())
    box = Served("")

    async def counting(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            box.calls.append(str(scope["path"]))
        await app(scope, receive, send)

    with serve_in_thread(counting) as url:
        box.url = url
        yield box


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Mistake:
    """A first-contact mistake: the arguments (in verify's spelling), the environment, what the message says."""

    args: Callable[[Served], list[str]]
    expected: Callable[[Served], list[str]]
    env: dict[str, str] = field(default_factory=lambda: {"IDCLASSIFY_TOKEN": DEFAULT_TOKEN})
    #: how many calls may reach the served emulator: the probe, or none.
    probes: int = 0


WRONG_PROJECT = "fedcba9876543210fedcba9876543210"
MISTAKES = {
    "no-credentials": Mistake(lambda s: ["--base-url", s.url, "--project-id", DEFAULT_PROJECT_ID],
                              lambda s: ["no credentials", "IDCLASSIFY_TOKEN", "CLOUD_SDK_AK", "--auth=none"], env={}),
    "no-project-id": Mistake(lambda s: ["--base-url", s.url], lambda s: ["project id", "--project-id"]),
    "project-id-with-slash": Mistake(lambda s: ["--base-url", s.url, "--project-id", "abc/def"],
                                     lambda s: ["--project-id 'abc/def' cannot stand in the API path"]),
    "base-url-without-scheme": Mistake(lambda s: ["--base-url", s.url.split("://")[1], "--project-id", "p"],
                                       lambda s: ["--base-url", "has no scheme", f"write {s.url}"]),
    "upload-hook-not-importable": Mistake(
        lambda s: ["--base-url", s.url, "--project-id", DEFAULT_PROJECT_ID, "--public-base-url", "http://127.0.0.1:1",
                   "--upload-hook", "no_such_module_here:upload"],
        lambda s: ["--upload-hook", "no_such_module_here", "importable"]),
    "cassette-folder-missing": Mistake(lambda s: ["--target", "replay", "--cassette-dir", "no/such/folder"],
                                       lambda s: ["--cassette-dir", "'no/such/folder' does not exist"]),
    "nothing-listens": Mistake(lambda s: ["--base-url", f"http://127.0.0.1:{_closed_port()}", "--project-id", "p"],
                               lambda s: ["nothing answers at http://127.0.0.1:", "check --base-url"]),
    "wrong-project-id": Mistake(lambda s: ["--base-url", s.url, "--project-id", WRONG_PROJECT],
                                lambda s: ["not for project", "403 APIG.0302", "check --project-id"], probes=1),
    "bad-credentials": Mistake(lambda s: ["--base-url", s.url, "--project-id", DEFAULT_PROJECT_ID],
                               lambda s: ["refused the credentials", "401 APIG.0301", "IDCLASSIFY_TOKEN"],
                               env={"IDCLASSIFY_TOKEN": "MIIthis-token-is-not-known"}, probes=1),
    "path-prefix": Mistake(lambda s: ["--base-url", s.url + "/ocr", "--project-id", DEFAULT_PROJECT_ID],
                           lambda s: ["answered 404", "does not serve this API", "drop the path '/ocr'",
                                      "(--base-url)"], probes=1),
    "serve-line-pasted-whole": Mistake(
        lambda s: ["--base-url", f"endpoint:   {s.url}/v2/{DEFAULT_PROJECT_ID}/ocr/auto-id-doc-classification"],
        lambda s: ["--base-url", "is not an http(s) URL"]),
    "tls-to-a-plain-http-server": Mistake(
        lambda s: ["--base-url", s.url.replace("http://", "https://"), "--project-id", DEFAULT_PROJECT_ID],
        lambda s: ["TLS with https://127.0.0.1:", "failed", f"--base-url {s.url}"]),
    "old-variable-name": Mistake(lambda s: [], lambda s: ["IDCLASSIFY_ENDPOINT is not read", "IDCLASSIFY_BASE_URL"],
                                 env={"IDCLASSIFY_ENDPOINT": "https://ocr.ap-southeast-1.myhuaweicloud.com"}),
    "iam-unreachable": Mistake(lambda s: ["--base-url", s.url, "--project-id", DEFAULT_PROJECT_ID, "--auth", "token"],
                               lambda s: ["cannot fetch a token for", "IAM at http://127.0.0.1:",
                                          "IDCLASSIFY_IAM_ENDPOINT"],
                               env={"IDCLASSIFY_IAM_USER": "qa", "IDCLASSIFY_IAM_PASSWORD": "pw-not-shown",
                                    "IDCLASSIFY_IAM_DOMAIN": "acct",
                                    "IDCLASSIFY_IAM_ENDPOINT": f"http://127.0.0.1:{_closed_port()}"}),
    "misspelt-variable": Mistake(lambda s: [], lambda s: ["IDCLASSIFY_BASE_ULR is not read", "IDCLASSIFY_BASE_URL?"],
                                 env={"IDCLASSIFY_BASE_ULR": "https://ocr.ap-southeast-1.myhuaweicloud.com"}),
    "metrics-threshold-out-of-range": Mistake(lambda s: ["--metrics", "specimens", "--metrics-threshold", "5"],
                                              lambda s: ["--metrics-threshold is 5", "from 0 to 1"]),
    "base-url-beside-replay": Mistake(lambda s: ["--target", "replay", "--base-url", s.url],
                                      lambda s: ["--base-url names a server to verify", "--target=replay"]),
    "recording-without-a-folder": Mistake(lambda s: ["--record-mode", "once"],
                                          lambda s: ["--record-mode=once writes cassettes",
                                                     "overwrite the ones shipped", "pass --cassette-dir DIR"]),
    "recording-into-a-file": Mistake(lambda s: ["--record-mode", "rewrite", "--cassette-dir", f"{__file__}/cassettes"],
                                     lambda s: ["--cassette-dir", "cannot be created", "is a file, not a folder"]),
    "reports-in-one-file": Mistake(lambda s: ["--report-json", "same.out", "--report-html", "same.out"],
                                   lambda s: ["--report-json and --report-html name the same file 'same.out'"]),
    "report-into-a-folder": Mistake(lambda s: ["--report-json", "."],
                                    lambda s: ["--report-json '.' is a folder", "name the report's file"]),
    "report-under-a-file": Mistake(lambda s: ["--report-html", f"{__file__}/report.html"],
                                   lambda s: ["--report-html", "cannot be created", "is a file, not a folder"]),
    "region-alone": Mistake(lambda s: [], lambda s: ["IDCLASSIFY_REGION=ap-southeast-1 is set but no base URL",
                                                     "IDCLASSIFY_BASE_URL=https://ocr.ap-southeast-1.myhuaweicloud.com"],
                            env={"IDCLASSIFY_REGION": "ap-southeast-1"}),
}  # fmt: skip


def _as_pytest(words: list[str]) -> list[str]:
    """The same arguments in the plugin's spelling: ``--base-url X`` becomes ``--idclassify-base-url=X``."""
    out, pending = [], None
    for word in words:
        if word.startswith("--"):
            pending = "--idclassify-" + word[2:]
        else:
            out.append(f"{pending}={word}")
    return out


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith(("IDCLASSIFY_", "CLOUD_SDK_"))}
    return {**base, **extra}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_verify_ends_a_mistake_with_one_message_naming_the_fix(name: str, served: Served, tmp_path: Path) -> None:
    mistake = MISTAKES[name]
    before = len(served.calls)
    result = subprocess.run([*VERIFY, *mistake.args(served)], cwd=tmp_path, capture_output=True, text=True,
                            check=False, env=_clean_env(mistake.env), timeout=120)  # fmt: skip
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0, output
    assert len(output.splitlines()) <= MAX_LINES, output
    for expected in mistake.expected(served):
        assert expected in output, output
    assert "Traceback" not in output and "idclassify-" not in output, output
    secrets = [v for k, v in mistake.env.items() if k.endswith(("TOKEN", "PASSWORD", "_SK"))]
    assert not any(secret in output for secret in secrets), "a secret was printed"
    assert len(served.calls) - before == mistake.probes
    assert not list(tmp_path.iterdir()), "a refused run leaves nothing behind"


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_the_plugin_ends_a_mistake_with_one_message_in_its_own_words(
    name: str, served: Served, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    mistake = MISTAKES[name]
    for variable in _clean_env({}).keys() ^ __import__("os").environ.keys():
        monkeypatch.delenv(variable)
    for variable, value in mistake.env.items():
        monkeypatch.setenv(variable, value)
    before = len(served.calls)
    # In a subprocess: an in-process run re-imports httpcore, whose errors httpx then no longer recognises.
    result = pytester.runpytest_subprocess("--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider",
                                           *_as_pytest(mistake.args(served)))  # fmt: skip
    output = "\n".join(result.outlines + result.errlines).strip()
    assert result.ret != 0, output
    assert len(output.splitlines()) <= MAX_LINES, output
    for expected in mistake.expected(served):
        assert expected.replace("--", "--idclassify-") in output, output
    assert len(served.calls) - before == mistake.probes


@pytest.mark.parametrize("interface", ["verify", "pytest"])
def test_the_endpoint_line_serve_prints_is_accepted_as_a_base_url(
    interface: str, served: Served, tmp_path: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"{served.url}/v2/{DEFAULT_PROJECT_ID}/ocr/auto-id-doc-classification"
    args = ["--base-url", endpoint, "--auth", "token", "--report-json", str(tmp_path / "r.json")]
    if interface == "verify":
        result = subprocess.run([*VERIFY, *args, "-k", "request.image.side-min"], cwd=tmp_path, capture_output=True,
                                text=True, check=False, env=_clean_env({"IDCLASSIFY_TOKEN": DEFAULT_TOKEN}),
                                timeout=300)  # fmt: skip
        code, output = result.returncode, result.stdout + result.stderr
    else:
        monkeypatch.setenv("IDCLASSIFY_TOKEN", DEFAULT_TOKEN)
        run = pytester.runpytest_subprocess("--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider",
                                 "-k", "request.image.side-min", *_as_pytest(args))  # fmt: skip
        code, output = run.ret, "\n".join(run.outlines + run.errlines)
    assert code == 0, output[-3000:]
    import json

    meta = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["meta"]
    assert meta["target"] == "live"


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["alone", "xdist"])
def test_a_target_that_stops_answering_ends_the_run_not_the_budget(
    workers: list[str], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(EmulatorSettings())
    # From the third call on, every connection is closed without an answer, as a crashed server's would be.
    gone = create_app(EmulatorSettings(fault="drop"))
    answered: list[str] = []

    async def dies_after_probe(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            answered.append(str(scope["path"]))
        await (gone if len(answered) > 2 else app)(scope, receive, send)

    monkeypatch.setenv("IDCLASSIFY_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("IDCLASSIFY_MAX_RETRIES", "0")
    with serve_in_thread(dies_after_probe) as url:
        result = pytester.runpytest_subprocess("--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider",
                                               "-k", "request.image", f"--idclassify-base-url={url}",
                                    f"--idclassify-project-id={DEFAULT_PROJECT_ID}", *workers)  # fmt: skip
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret != 0
    assert "STOPPED: the target http://127.0.0.1:" in output and "stopped answering" in output, output[-3000:]
    assert "--idclassify-base-url" in output
    from pytest_idclassify.suite._target import MAX_CONSECUTIVE_UNREACHABLE

    # The probe, a good case, then the failures that end the run (per worker): far fewer than the budget of 500.
    assert len(answered) <= 2 + 2 * MAX_CONSECUTIVE_UNREACHABLE
