"""Other tools read the OpenAPI document: schemathesis against the emulator, every phase, every check.

schemathesis runs as its users run it (the ``st`` command in its own process, configured by a
``schemathesis.toml``), driven by ``schemas/openapi.json`` against a server on 127.0.0.1, bounded
and seeded. Its JSON report tells which phases ran, what failed and which warnings it raised.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_idclassify._schemagen import build_openapi
from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.emulator import API_PATH, EmulatorSettings, serve
from pytest_idclassify.images import probe

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "schemas" / "openapi.json"
SETTINGS = EmulatorSettings()
TOKEN = SETTINGS.tokens[0]
OPERATION = f"POST {API_PATH}"

#: The checks that must hold in every phase; positive_data_acceptance is added for the examples
#: phase only, since generated strings that are not images are rightly refused.
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "negative_data_rejection")  # fmt: skip
#: Every warning fails the run but one: generated positive data is mostly refused, because a
#: random string is not an image, and schemathesis says so.
FAIL_ON = ("missing_auth", "missing_test_data", "base_url_mismatch", "missing_deserializer", "unused_openapi_auth",
           "unsupported_regex", "method_not_allowed", "unresolvable_reference", "unmatched_filter")  # fmt: skip


def _config(base_url: str) -> str:
    checks = "\n".join(f"{name}.enabled = true" for name in CHECKS)
    return f"""
base-url = "{base_url}"
headers = {{ "X-Auth-Token" = "{TOKEN}" }}
workers = 1
warnings = {{ fail-on = {json.dumps(list(FAIL_ON))} }}

[generation]
max-examples = 25
deterministic = true
database = "none"

[parameters]
"path.project_id" = "{SETTINGS.project_id}"

[checks]
enabled = false
{checks}

[phases.examples.checks]
positive_data_acceptance.enabled = true
"""


def run_schemathesis(document: dict[str, Any], base_url: str, workdir: Path) -> dict[str, Any]:
    """Run ``st run`` on ``document`` against ``base_url``; return its JSON report."""
    (workdir / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (workdir / "schemathesis.toml").write_text(_config(base_url), encoding="utf-8")
    phases = "examples,coverage,fuzzing,stateful"
    command = [sys.executable, "-m", "schemathesis.cli", "run", "openapi.json", "--phases", phases,
               "--report", "json", "--report-json-path", "report.json"]  # fmt: skip
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600, check=False,
                            env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    report: dict[str, Any] = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    report["output"] = result.stdout + result.stderr
    return report


def _warnings(report: dict[str, Any]) -> dict[str, Any]:
    return {name: found for name, found in report["warnings"].items() if found}


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with serve(SETTINGS) as url:
        yield url


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def emulator_report(document: dict[str, Any], emulator_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return run_schemathesis(document, emulator_url, tmp_path_factory.mktemp("schemathesis"))


def test_schemathesis_passes_every_phase_against_the_emulator(emulator_report: dict[str, Any]) -> None:
    report = emulator_report
    assert report["failures"] == [] and report["errors"] == [], report["output"][-4000:]
    phases = report["phases"]
    assert {name: phases[name]["status"] for name in ("examples", "coverage", "fuzzing")} == dict.fromkeys(
        ("examples", "coverage", "fuzzing"), "success"
    ), report["output"][-4000:]
    # One operation and no links: schemathesis has nothing to chain, and says so.
    assert phases["stateful"]["status"] == "skip"
    assert report["exit_code"] == 0, report["output"][-4000:]


def test_schemathesis_finds_no_unresolvable_reference(emulator_report: dict[str, Any]) -> None:
    assert "unresolvable_reference" not in _warnings(emulator_report)
    assert set(_warnings(emulator_report)) <= {"validation_mismatch"}, emulator_report["output"][-3000:]


def test_the_examples_phase_sends_the_document_s_specimen_and_it_is_accepted(emulator_report: dict[str, Any]) -> None:
    rates = emulator_report["valid_rates"][OPERATION]["examples"]
    assert rates["accepted"] >= 1 and rates["rejected"] == 0, rates


def test_an_independently_written_correct_server_passes_as_well(document: dict[str, Any], tmp_path: Path) -> None:
    # The harmless variant: a second correct implementation, sharing no code with the emulator.
    from independent_server import create_independent_app

    with serve_in_thread(create_independent_app()) as url:
        report = run_schemathesis(document, url, tmp_path)
    assert report["failures"] == [] and report["exit_code"] == 0, report["output"][-3000:]
    assert report["valid_rates"][OPERATION]["examples"]["accepted"] >= 1


def test_a_dollar_ref_inside_an_extension_object_is_reported_unresolvable(
    document: dict[str, Any], emulator_url: str, tmp_path: Path
) -> None:
    # The generator's former spelling: x-clauses named the referenced object's clause under "$ref".
    mutant = json.loads(json.dumps(document).replace('"x-clauses": {"ref":', '"x-clauses": {"$ref":'))
    report = run_schemathesis(mutant, emulator_url, tmp_path)
    assert "unresolvable_reference" in _warnings(report)
    assert report["exit_code"] != 0


def test_without_examples_the_examples_phase_does_not_run(
    document: dict[str, Any], emulator_url: str, tmp_path: Path
) -> None:
    mutant = copy.deepcopy(document)
    operation = mutant["paths"][API_PATH]["post"]
    del operation["requestBody"]["content"]["application/json"]["examples"]
    report = run_schemathesis(mutant, emulator_url, tmp_path)
    assert report["phases"]["examples"]["status"] == "skip"


@pytest.fixture
def refusing_server() -> Iterator[str]:
    """Refuses every request with a well-formed AIS.0103: only accepting the specimen can catch it."""

    async def classify(request: Request) -> JSONResponse:
        body = {"error_code": "AIS.0103", "error_msg": "The image size does not meet the requirements."}
        return JSONResponse(body, status_code=400, headers={"X-Request-Id": "r-1"})

    app = Starlette(routes=[Route(API_PATH, classify, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield url


def test_a_server_that_refuses_the_specimen_fails_only_the_examples_phase(
    document: dict[str, Any], refusing_server: str, tmp_path: Path
) -> None:
    report = run_schemathesis(document, refusing_server, tmp_path)
    phases = {name: report["phases"][name]["status"] for name in ("examples", "coverage", "fuzzing")}
    assert phases == {"examples": "failure", "coverage": "success", "fuzzing": "success"}, report["output"][-3000:]
    # ST202 is positive_data_acceptance: "Schema-valid request rejected".
    assert [f["code"] for f in report["failures"]] == ["ST202"], report["output"][-3000:]


def _post(base_url: str, body: dict[str, Any]) -> httpx.Response:
    url = base_url + API_PATH.format(project_id=SETTINGS.project_id)
    return httpx.post(url, json=body, headers={"X-Auth-Token": TOKEN}, timeout=30)


#: how far the emulator's answer may drift from the recorded example as its recognition is tuned.
CORNER_SLACK_PX, CONFIDENCE_SLACK = 4, 0.03


def test_the_document_examples_are_real(document: dict[str, Any], emulator_url: str) -> None:
    """The request example is an image the emulator serves, and it answers what the 200 example shows."""
    media = document["paths"][API_PATH]["post"]["requestBody"]["content"]["application/json"]
    request = media["examples"]["specimen"]["value"]
    image = probe(base64.b64decode(request["data"]))
    assert (image.format, image.width, image.height) == ("jpeg", 208, 128)
    answer = _post(emulator_url, request)
    responses = document["paths"][API_PATH]["post"]["responses"]
    assert answer.status_code == 200
    got, shown = answer.json()["result"], responses["200"]["content"]["application/json"]["examples"]["specimen"]
    refresh = (f"the emulator now answers {json.dumps(answer.json())}: put it in schemas/source/examples.json "
               "(specimen.answer) and run `idclassify schemas build`")  # fmt: skip
    want = shown["value"]["result"]
    assert (got["type"], got["alarm_result"]) == (want["type"], want["alarm_result"]), refresh
    pairs = zip(got["location"], want["location"], strict=True)
    corners = [abs(a - b) for p, q in pairs for a, b in zip(p, q, strict=True)]
    assert max(corners) <= CORNER_SLACK_PX and abs(got["confidence"] - want["confidence"]) <= CONFIDENCE_SLACK, refresh
    error = responses["400"]["content"]["application/json"]["examples"]["page"]["value"]
    assert error == {"error_code": "AIS.0103", "error_msg": "The image size does not meet the requirements."}


def test_every_example_validates_against_its_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    operation = document["paths"][API_PATH]["post"]
    media = [operation["requestBody"]["content"]["application/json"]]
    media += [r["content"]["application/json"] for r in operation["responses"].values() if "examples" in
              r["content"]["application/json"]]  # fmt: skip
    assert len(media) == 3
    for entry in media:
        name = entry["schema"]["$ref"].rsplit("/", 1)[1]
        validator = Draft202012Validator({**schemas[name], "components": {"schemas": schemas}})
        for example in entry["examples"].values():
            assert list(validator.iter_errors(example["value"])) == [], (name, example["summary"])


def test_the_request_schema_states_the_emptiness_the_emulator_enforces(
    document: dict[str, Any], emulator_url: str
) -> None:
    schemas = document["components"]["schemas"]
    validator = Draft202012Validator(schemas["AutoIdDocClassificationRequestBody"])
    data = document["paths"][API_PATH]["post"]["requestBody"]["content"]["application/json"]["examples"]
    image = data["specimen"]["value"]["data"]
    bodies = [{"data": ""}, {"url": ""}, {"data": "", "url": ""}, {"data": image, "url": ""}, {"data": image},
              {"data": image, "url": "http://127.0.0.1:9/a.jpg"}]  # fmt: skip
    for body in bodies:
        answer = _post(emulator_url, body)
        assert validator.is_valid(body) == (answer.status_code == 200), (body.keys(), answer.text)
    assert build_openapi() == document


#: Prism, pinned: npx installs it from the npm registry on first use (about 20 s), then reuses it.
PRISM = ["npx", "--yes", "@stoplight/prism-cli@5.14.2"]


@pytest.fixture(scope="module")
def prism_proxy(emulator_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Prism's validating proxy in front of the emulator, on a free loopback port; yields its URL and log."""
    import signal
    import time

    from pytest_idclassify._serve import free_port

    if shutil.which("npx") is None:
        if os.environ.get("CI"):
            pytest.fail("npx (Node.js and npm) is missing: Prism cannot be run")
        pytest.skip("needs npx (Node.js and npm) to run Prism")
    port = free_port("127.0.0.1")
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([*PRISM, "proxy", str(DOCUMENT), emulator_url, "--host", "127.0.0.1", "--port",
                                    str(port), "--errors"], stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while "Prism is listening" not in log.read_text(encoding="utf-8", errors="replace"):
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")[-3000:]
            assert time.monotonic() < deadline, "Prism did not start within 300 s"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_prism_loads_the_document_and_validates_through_to_the_emulator(
    document: dict[str, Any], prism_proxy: tuple[str, Path]
) -> None:
    url, log = prism_proxy
    media = document["paths"][API_PATH]["post"]["requestBody"]["content"]["application/json"]
    answer = _post(url, media["examples"]["specimen"]["value"])
    assert answer.status_code == 200 and "sl-violations" not in answer.headers, answer.headers
    assert answer.json()["result"]["type"] == "id_card"
    # Prism refuses, from the document alone, what the document says is no image.
    refused = _post(url, {"data": ""})
    assert refused.status_code == 422, refused.text
    assert "minLength" in refused.text
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Forwarding" in text and "Invalid reference" not in text and "unresolv" not in text.lower()


def test_prism_refuses_a_dollar_ref_inside_an_extension_object(
    document: dict[str, Any], prism_proxy: tuple[str, Path], tmp_path: Path
) -> None:
    # The generator's former spelling: Prism takes x-clauses' "$ref" for a file to open, and stops.
    mutant = tmp_path / "openapi.json"
    mutant.write_text(json.dumps(document).replace('"x-clauses": {"ref":', '"x-clauses": {"$ref":'), encoding="utf-8")
    result = subprocess.run([*PRISM, "mock", str(mutant), "--port", "1"], capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    assert result.returncode != 0
    assert "ResolverError" in result.stdout + result.stderr
