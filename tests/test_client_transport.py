"""The client over its targets: a base URL, an ASGI app in-process (sync and async), vcrpy cassettes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import vcr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from test_client_support import AK, PROJECT_ID, SK, Recorder

from pytest_idclassify.client import (
    AsyncIdClassifyClient,
    ClientConfig,
    IdClassifyClient,
    summarize_data,
    verify_aksk,
)
from pytest_idclassify.errors import ConfigurationError

pytest_plugins = ["test_client_support"]

PATH = f"/v2/{PROJECT_ID}/ocr/auto-id-doc-classification"


def _gateway_app() -> Starlette:
    """A tiny in-process target that checks the AK/SK signature and echoes what it received."""

    async def classify(request: Request) -> Response:
        body = await request.body()
        try:
            identity = verify_aksk(
                request.method,
                request.scope["raw_path"],
                request.scope["query_string"],
                request.scope["headers"],
                body,
                credentials={AK: SK},
            )
        except Exception as exc:  # the gateway answers every rejection the same way
            return JSONResponse(
                {"error_code": "APIG.0301", "error_msg": getattr(exc, "gateway_message", str(exc))},
                status_code=401,
                headers={"X-Request-Id": "rejected"},
            )
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            return JSONResponse(
                {"error_code": "ModelArts.4105", "error_msg": "The JSON format of the input data is incorrect."},
                status_code=400,
            )
        if parsed == {"say": "text"}:
            return PlainTextResponse("upstream says hello", status_code=502)
        return JSONResponse(
            {"echo": parsed, "ak": identity.access_key, "path": request.url.path},
            headers={"X-Request-Id": "in-process-1"},
        )

    # A second route, as another API under the same gateway: a signed request to it must verify too.
    return Starlette(routes=[Route(PATH, classify, methods=["POST"]),
                             Route(f"/v2/{PROJECT_ID}/ocr/other", classify, methods=["POST"])])  # fmt: skip


def _config(endpoint: str = "http://emulator.invalid", **extra: object) -> ClientConfig:
    return ClientConfig(endpoint=endpoint, project_id=PROJECT_ID, access_key=AK, secret_key=SK, **extra)  # type: ignore[arg-type]


def test_sync_client_reaches_an_asgi_app_in_process_with_signing() -> None:
    with IdClassifyClient(_config(), app=_gateway_app()) as client:
        outcome = client.classify(data="aGVsbG8=", alarm=False)
        raw = client.post(content=b'{"data": "aGVs', headers={"X-Extra": "1"})
    assert outcome.status == 200
    assert outcome.body == {"echo": {"data": "aGVsbG8=", "alarm": False}, "ak": AK, "path": PATH}
    assert outcome.is_json and outcome.request_id == "in-process-1"
    assert outcome.sent.url == "http://emulator.invalid" + PATH
    assert (raw.status, raw.error_code) == (400, "ModelArts.4105")
    assert raw.sent.content == b'{"data": "aGVs'
    assert not raw.sent.is_json


def test_async_client_reaches_an_asgi_app_in_process() -> None:
    async def run() -> list[Any]:
        async with AsyncIdClassifyClient(_config(), app=_gateway_app()) as client:
            outcomes = await asyncio.gather(*(client.classify(url=f"https://example.com/{i}.jpg") for i in range(5)))
            return [o.body["echo"]["url"] for o in outcomes]

    assert asyncio.run(run()) == [f"https://example.com/{i}.jpg" for i in range(5)]


def test_malformed_requests_on_purpose() -> None:
    with IdClassifyClient(_config(max_retries=0), app=_gateway_app()) as client:
        wrong_type = client.post(json={"data": 12, "alarm": "yes", "unknown": None})
        a_list = client.post(json=["not", "an", "object"])
        no_auth = client.classify(data="aGVsbG8=", auth=None)
        forged = client.classify(
            data="aGVsbG8=",
            headers={"Authorization": "SDK-HMAC-SHA256 Access=AAAA, SignedHeaders=host;x-sdk-date, Signature=00"},
        )
        text = client.post(json={"say": "text"})
    assert wrong_type.body["echo"] == {"data": 12, "alarm": "yes", "unknown": None}
    assert a_list.body["echo"] == ["not", "an", "object"]
    assert (no_auth.status, no_auth.error_code) == (401, "APIG.0301")
    assert "authorization" not in no_auth.sent.headers
    assert forged.status == 401
    assert (text.status, text.is_json, text.body, text.attempts) == (502, False, "upstream says hello", 1)
    with pytest.raises(TypeError, match="either json= or content="):
        client.post(json={}, content=b"{}")


def test_a_call_can_go_to_another_path_on_purpose_signed_for_it() -> None:
    with IdClassifyClient(_config(max_retries=0), app=_gateway_app()) as client:
        other = client.post(json={"data": "aGVsbG8="}, path="/v2/{project_id}/ocr/other")
        missing = client.post(json={"data": "aGVsbG8="}, path="/v2/{project_id}/ocr/auto-id-doc-classificatio")
        with pytest.raises(ConfigurationError, match="path='v2/x' must start with '/'"):
            client.post(json={}, path="v2/x")
    # The signature covers the path it went to, and the project id was filled in.
    assert (other.status, other.body["path"], other.body["ak"]) == (200, f"/v2/{PROJECT_ID}/ocr/other", AK)
    assert missing.status == 404 and missing.sent.url.endswith(f"/v2/{PROJECT_ID}/ocr/auto-id-doc-classificatio")


def test_outcome_over_a_real_socket(recorder: Recorder, served: str) -> None:
    data = base64.b64encode(bytes(range(256)) * 40).decode()
    with IdClassifyClient(_config(served, enterprise_project_id="ep-9")) as client:
        outcome = client.classify(data=data, alarm=True, headers={"X-Trace": "t-1"})
    seen = recorder.seen[0]
    assert seen.body == json.dumps({"data": data, "alarm": True}, separators=(",", ":")).encode()
    assert seen.header("enterprise-project-id") == "ep-9"
    assert seen.header("x-trace") == "t-1"
    assert seen.header("content-type") == "application/json;charset=utf-8"
    assert (outcome.status, outcome.attempts, outcome.waits, outcome.request_id) == (200, 1, (), "req-0001")
    assert outcome.body["result"]["type"] == "passport"
    assert outcome.elapsed > 0 and outcome.total_elapsed >= outcome.elapsed
    assert outcome.headers["X-REQUEST-ID"] == "req-0001"
    sent = outcome.sent
    assert (sent.method, sent.url) == ("POST", served + PATH)
    assert sent.body == {"data": data, "alarm": True}
    digest = hashlib.sha256(data.encode()).hexdigest()
    assert sent.summary() == {"data": f"<base64 {len(data)} chars sha256:{digest[:12]}...>", "alarm": True}
    assert summarize_data(data) in repr(sent)
    assert data not in repr(sent) and data not in repr(outcome)


def test_cassette_records_then_replays_without_the_network(tmp_path: Path, recorder: Recorder, served: str) -> None:
    cassette = str(tmp_path / "classify.yaml")
    settings = {"filter_headers": ["authorization", "x-sdk-date"], "match_on": ["method", "path"]}
    with vcr.use_cassette(cassette, record_mode="once", **settings), IdClassifyClient(_config(served)) as client:
        recorded = client.classify(data="aGVsbG8=")
    assert len(recorder.seen) == 1
    text = Path(cassette).read_text()
    assert SK not in text and "SDK-HMAC-SHA256" not in text
    with (
        vcr.use_cassette(cassette, record_mode="none", **settings) as played,
        IdClassifyClient(_config(served)) as client,
    ):
        replayed = client.classify(data="aGVsbG8=")
    assert played.play_count == 1
    assert len(recorder.seen) == 1, "the replay must not reach the server"
    assert (replayed.status, replayed.body, replayed.request_id) == (recorded.status, recorded.body, "req-0001")
