"""Fault injection, each fault observed by a real client over a socket."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from pytest_idclassify.catalogue import error_clause_for
from pytest_idclassify.emulator import FAULT_ERROR_HEADER, FAULT_HEADER, EmulatorSettings, serve

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
TOKEN = {"X-Auth-Token": SETTINGS.tokens[0]}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(SETTINGS) as url:
        yield url


def post(base_url: str, fault: str | None = None, timeout: float = 10) -> httpx.Response:
    headers = dict(TOKEN)
    if fault is not None:
        headers[FAULT_HEADER] = fault
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        return client.post(PATH, content=b"{}", headers=headers)


def test_no_fault_by_default(base_url: str) -> None:
    assert post(base_url).json()["error_code"] == "AIS.0101"


def test_latency_delays_the_answer(base_url: str) -> None:
    started = time.monotonic()
    response = post(base_url, "latency=0.3")
    assert time.monotonic() - started >= 0.3
    assert response.json()["error_code"] == "AIS.0101"


def test_throttle_is_429_with_retry_after(base_url: str) -> None:
    response = post(base_url, "throttle")
    spec = error_clause_for("APIG.0308").error
    assert spec is not None
    assert response.status_code == spec.status == 429
    assert spec.message_ok(response.json()["error_msg"])
    assert response.headers["retry-after"] == str(SETTINGS.retry_after)
    assert post(base_url, "throttle=9").headers["retry-after"] == "9"


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [(500, "APIG.0601", None), (503, "ModelArts.4403", None), (504, "APIG.0201", "Backend timeout.")],
)
def test_server_errors_use_the_documented_codes(base_url: str, status: int, code: str, message: str | None) -> None:
    response = post(base_url, f"error={status}")
    spec = error_clause_for(code, message).error
    assert spec is not None
    assert (response.status_code, response.json()["error_code"]) == (status, code)
    assert spec.message_ok(response.json()["error_msg"])
    assert response.headers["x-request-id"]


def test_any_documented_code_can_be_injected(base_url: str) -> None:
    response = post(base_url, "error=ModelArts.4402")
    assert (response.status_code, response.json()["error_code"]) == (504, "ModelArts.4402")


def test_an_injected_throttle_code_is_answered_as_the_throttle_fault_is(base_url: str) -> None:
    # A back-off test needs the limit and the Retry-After the emulator's own throttling sends.
    injected, throttled = post(base_url, "error=APIG.0308"), post(base_url, "throttle")
    assert injected.status_code == throttled.status_code == 429
    assert injected.json()["error_msg"] == throttled.json()["error_msg"]
    assert f"limit:{SETTINGS.throttle_limit}," in injected.json()["error_msg"]
    assert injected.headers["retry-after"] == str(SETTINGS.retry_after)


def test_an_injected_authentication_code_gives_one_of_the_gateways_reasons(base_url: str) -> None:
    from pytest_idclassify.emulator._auth import AUTH_REASONS

    response = post(base_url, "error=APIG.0301")
    spec = error_clause_for("APIG.0301").error
    assert spec is not None
    assert response.status_code == spec.status == 401
    message = response.json()["error_msg"]
    assert message.startswith(spec.message)
    assert message.removeprefix(spec.message) in AUTH_REASONS


def test_drop_closes_the_connection_without_an_answer(base_url: str) -> None:
    # A clean close reads as "disconnected without sending a response"; a reset, as a read error.
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        post(base_url, "drop")
    # The server is still there for the next request.
    assert post(base_url).status_code == 400


def test_a_drop_asked_for_is_one_info_line_not_an_error_with_a_traceback(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="uvicorn.error"),
        pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
    ):
        post(base_url, "drop")
    logged = [r for r in caplog.records if r.name == "uvicorn.error"]
    assert [(r.levelname, r.getMessage()) for r in logged] == [
        ("INFO", "the drop fault closed a connection without an answer, as asked")
    ]
    assert not any(r.exc_info for r in logged)


def test_truncate_cuts_the_body(base_url: str) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|closed"):
        post(base_url, "truncate")


def test_a_malformed_fault_header_is_refused_and_explained(base_url: str) -> None:
    response = post(base_url, "explode")
    assert response.json()["error_code"] == "AIS.0101"
    assert "inject-faults.md" in response.headers[FAULT_ERROR_HEADER]


def test_the_header_can_be_disabled() -> None:
    with serve(EmulatorSettings(fault_header=False)) as url:
        assert post(url, "error=500").status_code == 400


def test_a_run_wide_fault_every_third_request() -> None:
    with serve(EmulatorSettings(fault="error=503", fault_every=3)) as url:
        statuses = [post(url).status_code for _ in range(6)]
    assert statuses == [400, 400, 503, 400, 400, 503]


def test_a_run_wide_probability_is_reproducible() -> None:
    runs = []
    for _ in range(2):
        with serve(EmulatorSettings(fault="throttle", fault_probability=0.5, fault_seed=42)) as url:
            runs.append([post(url).status_code for _ in range(12)])
    assert runs[0] == runs[1]
    assert {400, 429} == set(runs[0])


def test_faults_come_before_authentication(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = client.post(PATH, content=b"{}", headers={FAULT_HEADER: "throttle"})
    assert response.status_code == 429
