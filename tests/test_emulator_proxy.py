"""Proxy-record and replay for any client: a second emulator stands in for the live service, the SDK is the client."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image

from pytest_idclassify._serve import free_port, serve_in_thread
from pytest_idclassify.cassettes import lint_cassettes
from pytest_idclassify.cli import main
from pytest_idclassify.client import ClientConfig
from pytest_idclassify.emulator import EmulatorSettings, create_app, serve_process

pytest.importorskip("huaweicloudsdkcore")
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkocr.v1 import (
    AutoIdDocClassificationRequestBody,
    OcrClient,
    RecognizeAutoIdDocClassificationRequest,
)

# The "live service": its own project and credentials, none of which the application ever sees.
LIVE_PROJECT = "feedfacecafebeef0123456789abcdef"
LIVE_AK = "LIVECANARYAK00000001"
LIVE_SK = "LiveCanarySecretKey000000000000000000000"
LIVE = EmulatorSettings(project_id=LIVE_PROJECT, tokens=("live-canary-token-0042",), credentials=((LIVE_AK, LIVE_SK),))
LOCAL = EmulatorSettings()
LIVE_ENV = {"IDCLASSIFY_PROJECT_ID": LIVE_PROJECT, "CLOUD_SDK_AK": LIVE_AK, "CLOUD_SDK_SK": LIVE_SK}


def _specimen(doc_type: str) -> str:
    from pytest_idclassify.images import render_scene

    buffer = io.BytesIO()
    Image.fromarray(render_scene(doc_type, width=640, height=400).pixels).save(buffer, format="JPEG", quality=90)
    return base64.b64encode(buffer.getvalue()).decode()


def _sdk(url: str) -> Any:
    ak, sk = LOCAL.credentials[0]
    credentials = BasicCredentials(ak, sk, LOCAL.project_id)
    return OcrClient.new_builder().with_credentials(credentials).with_endpoint(url).build()


def _call(client: Any, **body: Any) -> Any:
    request = RecognizeAutoIdDocClassificationRequest()
    request.body = AutoIdDocClassificationRequestBody(**body)
    return client.recognize_auto_id_doc_classification(request)


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Any, str]]:
    app = create_app(LIVE)
    with serve_in_thread(app) as url:
        yield app, url


def test_record_through_the_proxy_then_replay_with_the_live_service_gone(
    live: tuple[Any, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_app, live_url = live
    record = tmp_path / "recorded"
    passport, hk_card = _specimen("passport"), _specimen("hongkong_id_card")
    env = {**LIVE_ENV}
    with serve_process(env=env, args=["--proxy-to", live_url, "--record", str(record)]) as proxy:
        client = _sdk(proxy)
        first = _call(client, data=passport, alarm=True)
        second = _call(client, data=hk_card)
        with pytest.raises(ClientRequestException) as refused:
            _call(client, data="bm90IGFuIGltYWdl")  # base64 of text: the live service refuses it
    assert first.result.type == "passport" and second.result.type == "hongkong_id_card"
    # The answers are the live service's own: its journal holds the same request ids.
    live_ids = [e.request_id for e in live_app.state.journal]
    assert first.x_request_id in live_ids and second.x_request_id in live_ids
    assert refused.value.request_id in live_ids and refused.value.error_code == "AIS.0102"

    files = sorted(record.glob("*.json"))
    assert len(files) == 3
    stored = "".join(f.read_text() for f in files)
    for canary in (LIVE_PROJECT, LIVE_AK, LIVE_SK, passport[:100], hk_card[:100]):
        assert canary not in stored
    assert not [f for f in lint_cassettes([record]) if f.severity == "error"]

    # Replay with nothing upstream: the same answers, request ids included.
    with serve_process(args=["--replay", str(record)]) as replay:
        client = _sdk(replay)
        again = _call(client, data=passport, alarm=True)
        assert (again.result.type, again.result.location, again.x_request_id) == (
            first.result.type, first.result.location, first.x_request_id,
        )  # fmt: skip
        assert again.result.alarm_confidence.to_dict() == first.result.alarm_confidence.to_dict()
        with pytest.raises(ClientRequestException) as refused_again:
            _call(client, data="bm90IGFuIGltYWdl")
        assert refused_again.value.error_code == "AIS.0102"
        with pytest.raises(ClientRequestException) as missed:
            _call(client, data=passport, alarm=False)
        assert (missed.value.status_code, missed.value.error_code) == (404, "APIG.0101")


def test_a_replay_miss_names_the_closest_recording(live: tuple[Any, str], tmp_path: Path, caplog: Any) -> None:
    _app, live_url = live
    record = tmp_path / "recorded"
    passport = _specimen("passport")
    upstream = ClientConfig(endpoint=live_url, project_id=LIVE_PROJECT, auth="aksk", access_key=LIVE_AK,
                            secret_key=LIVE_SK, max_retries=0)  # fmt: skip
    recorder = create_app(LOCAL.replace(proxy_to=live_url, record_dir=str(record)), upstream=upstream)
    headers = {"X-Auth-Token": LOCAL.tokens[0]}
    api = f"/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification"
    with serve_in_thread(recorder) as url:
        assert httpx.post(url + api, json={"data": passport, "alarm": True}, headers=headers).status_code == 200
    replayer = create_app(LOCAL.replace(replay_dir=str(record)))
    with serve_in_thread(replayer) as url, caplog.at_level(logging.WARNING, logger="pytest_idclassify.emulator"):
        missed = httpx.post(url + api, json={"data": passport, "alarm": False}, headers=headers)
        # Another image: the closest recording differs in the image's digest, shown with an ellipsis.
        other = httpx.post(url + api, json={"data": _specimen("id_card"), "alarm": True}, headers=headers)
    assert (other.status_code, other.json()["error_code"]) == (404, "APIG.0101")
    assert "body.data" in other.headers["x-idclassify-replay-miss"]
    assert (missed.status_code, missed.json()["error_code"]) == (404, "APIG.0101")
    hint = missed.headers["x-idclassify-replay-miss"]
    assert "closest recording" in hint and "body.alarm: recorded true, now false" in hint
    lines = [r.getMessage() for r in caplog.records if "replay miss" in r.getMessage()]
    assert len(lines) == 2 and "body.alarm: recorded true, now false" in lines[0]
    assert replayer.state.journal.last.proxied is True


def test_an_unreachable_upstream_is_the_documented_backend_timeout(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    upstream = ClientConfig(endpoint=dead, project_id=LIVE_PROJECT, auth="token", token="live-canary-token-0042",
                            max_retries=0, timeout=2.0)  # fmt: skip
    app = create_app(LOCAL.replace(proxy_to=dead), upstream=upstream)
    with serve_in_thread(app) as url:
        answer = httpx.post(
            f"{url}/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification",
            json={"data": "QUFB"},
            headers={"X-Auth-Token": LOCAL.tokens[0]},
        )
    assert (answer.status_code, answer.json()["error_code"], answer.json()["error_msg"]) == (
        504, "APIG.0201", "Backend timeout.",
    )  # fmt: skip


def test_the_proxy_still_authenticates_the_application() -> None:
    upstream = ClientConfig(endpoint="http://127.0.0.1:9", project_id=LIVE_PROJECT, auth="token", token="x" * 20)
    app = create_app(LOCAL.replace(proxy_to="http://127.0.0.1:9"), upstream=upstream)
    with serve_in_thread(app) as url:
        answer = httpx.post(f"{url}/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification", json={"data": "QUFB"})
    assert (answer.status_code, answer.json()["error_code"]) == (401, "APIG.0301")


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--record", "DIR"], {}, "records what is proxied: set proxy_to"),
        (["--proxy-to", "http://127.0.0.1:9"], {}, "set IDCLASSIFY_PROJECT_ID"),
        (
            ["--proxy-to", "http://127.0.0.1:9"],
            {"IDCLASSIFY_PROJECT_ID": LIVE_PROJECT},
            "no credentials: set CLOUD_SDK_AK and CLOUD_SDK_SK",
        ),
        (["--proxy-to", "ocr.example.invalid"], {}, "give the real endpoint's base URL"),
        (["--proxy-to", "http://127.0.0.1:9", "--replay", "REPLAY"], {}, "exclude each other"),
        (["--replay", "EMPTY"], {}, "holds no recording"),
        (["--replay", "CORRUPT"], {}, "broken.json is neither a pytest-idclassify cassette nor a vcrpy one"),
        (["--proxy-to", "http://127.0.0.1:9", "--record", "/proc/no-such-folder"], LIVE_ENV, "cannot be written"),
    ],
)
def test_proxy_and_replay_mistakes_are_one_usage_error(
    args: list[str], env: dict[str, str], fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("IDCLASSIFY_PROJECT_ID", "IDCLASSIFY_TOKEN", "CLOUD_SDK_AK", "CLOUD_SDK_SK"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "EMPTY").mkdir()
    (tmp_path / "REPLAY").mkdir()
    (tmp_path / "REPLAY" / "x.json").write_text(
        json.dumps({"format": "pytest-idclassify-cassette/1", "interactions": []})
    )
    (tmp_path / "CORRUPT").mkdir()
    (tmp_path / "CORRUPT" / "broken.json").write_text('{"broken')
    args = [str(tmp_path / a) if a in ("DIR", "EMPTY", "REPLAY", "CORRUPT") else a for a in args]
    result = CliRunner().invoke(main, ["serve", "--port", "0", *args], env=env)
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_a_throttled_repeat_does_not_replace_the_recorded_answer(tmp_path: Path, caplog: Any) -> None:
    # The stand-in for the live service lets one request through, then throttles the rest.
    throttling = create_app(LIVE.replace(rate_limit=60, rate_burst=1))
    record = tmp_path / "recorded"
    headers = {"X-Auth-Token": LOCAL.tokens[0]}
    api = f"/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification"
    body = {"data": _specimen("passport")}
    with serve_in_thread(throttling) as live_url:
        upstream = ClientConfig(endpoint=live_url, project_id=LIVE_PROJECT, auth="aksk", access_key=LIVE_AK,
                                secret_key=LIVE_SK, max_retries=0)  # fmt: skip
        recorder = create_app(LOCAL.replace(proxy_to=live_url, record_dir=str(record)), upstream=upstream)
        with serve_in_thread(recorder) as url:
            statuses = [httpx.post(url + api, json=body, headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 429, 429]
    replayer = create_app(LOCAL.replace(replay_dir=str(record)))
    with serve_in_thread(replayer) as url:
        assert httpx.post(url + api, json=body, headers=headers).status_code == 200


def test_a_refusal_of_the_proxys_own_credentials_is_logged_and_not_recorded(
    live: tuple[Any, str], tmp_path: Path, caplog: Any
) -> None:
    _app, live_url = live
    record = tmp_path / "recorded"
    wrong = ClientConfig(endpoint=live_url, project_id=LIVE_PROJECT, auth="token", token="not-the-live-token",
                         max_retries=0)  # fmt: skip
    recorder = create_app(LOCAL.replace(proxy_to=live_url, record_dir=str(record)), upstream=wrong)
    with serve_in_thread(recorder) as url, caplog.at_level(logging.WARNING, logger="pytest_idclassify.emulator"):
        api = f"{url}/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification"
        answer = httpx.post(api, json={"data": _specimen("passport")}, headers={"X-Auth-Token": LOCAL.tokens[0]})
    assert answer.status_code == 401
    assert not list(record.glob("*.json"))
    assert any("refused the proxy's credentials" in r.getMessage() for r in caplog.records)


def test_stubs_answer_before_the_recording_in_replay_mode(live: tuple[Any, str], tmp_path: Path) -> None:
    _app, live_url = live
    record = tmp_path / "recorded"
    upstream = ClientConfig(endpoint=live_url, project_id=LIVE_PROJECT, auth="aksk", access_key=LIVE_AK,
                            secret_key=LIVE_SK, max_retries=0)  # fmt: skip
    headers = {"X-Auth-Token": LOCAL.tokens[0]}
    api = f"/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification"
    body = {"data": _specimen("passport")}
    recorder = create_app(LOCAL.replace(proxy_to=live_url, record_dir=str(record)), upstream=upstream)
    with serve_in_thread(recorder) as url:
        assert httpx.post(url + api, json=body, headers=headers).status_code == 200
    replayer = create_app(LOCAL.replace(replay_dir=str(record)))
    replayer.state.stubs.add(
        {"name": "slow-down", "match": {"header": {"X-Scenario": "quota"}}, "answer": {"error": "ModelArts.4203"}}
    )
    with serve_in_thread(replayer) as url:
        stubbed = httpx.post(url + api, json=body, headers={**headers, "X-Scenario": "quota"})
        recorded = httpx.post(url + api, json=body, headers=headers)
        refused_body = httpx.post(url + api, content=b"not json", headers={**headers, "X-Scenario": "none"})
    assert (stubbed.status_code, stubbed.json()["error_code"]) == (403, "ModelArts.4203")
    assert recorded.status_code == 200 and recorded.json()["result"]["type"]
    # A body the emulator itself would refuse is the recording's to judge: here, no recording matches.
    assert refused_body.status_code == 404
    assert [e.stub for e in replayer.state.journal][:2] == ["slow-down", None]


def test_a_lasting_recording_from_an_earlier_run_is_kept_and_an_account_refusal_recorded(tmp_path: Path) -> None:
    record = tmp_path / "recorded"
    headers = {"X-Auth-Token": LOCAL.tokens[0]}
    api = f"/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification"
    body = {"data": _specimen("passport")}

    def run_once(upstream_settings: EmulatorSettings) -> int:
        with serve_in_thread(create_app(upstream_settings)) as live_url:
            upstream = ClientConfig(endpoint=live_url, project_id=LIVE_PROJECT, auth="aksk", access_key=LIVE_AK,
                                    secret_key=LIVE_SK, max_retries=0)  # fmt: skip
            recorder = create_app(LOCAL.replace(proxy_to=live_url, record_dir=str(record)), upstream=upstream)
            with serve_in_thread(recorder) as url:
                return httpx.post(url + api, json=body, headers=headers).status_code

    # One run records the good answer; a later run (a fresh proxy) is throttled: the file keeps the 200.
    assert run_once(LIVE) == 200
    assert run_once(LIVE.replace(fault="throttle")) == 429
    with serve_in_thread(create_app(LOCAL.replace(replay_dir=str(record)))) as url:
        assert httpx.post(url + api, json=body, headers=headers).status_code == 200
    # The account's own lasting refusal (no permission, ModelArts.4203) is recorded like any answer.
    for recording in record.glob("*.json"):
        recording.unlink()
    assert run_once(LIVE.replace(fault="error=ModelArts.4203")) == 403
    assert list(record.glob("*.json"))


def test_an_unreadable_recording_in_a_replay_folder_from_the_environment_names_where_it_came_from(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.json").write_text('{"broken')
    result = CliRunner().invoke(main, ["serve", "--port", "0"], env={"IDCLASSIFY_EMULATOR_REPLAY_DIR": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert "the replay folder (IDCLASSIFY_EMULATOR_REPLAY_DIR or --config):" in result.output
    assert "broken.json is neither a pytest-idclassify cassette nor a vcrpy one" in result.output
    assert "None" not in result.output and "Traceback" not in result.output
    assert result.output.count("re-record it") == 1
    # A recording nested past any parser: refused in the cassette's own words, the advice given once.
    (tmp_path / "broken.json").write_text('{"format": "pytest-idclassify-cassette/1", "interactions": '
                                          + "[" * 200 + "]" * 200 + "}")  # fmt: skip
    result = CliRunner().invoke(main, ["serve", "--port", "0"], env={"IDCLASSIFY_EMULATOR_REPLAY_DIR": str(tmp_path)})
    assert result.exit_code == 2 and "nests arrays and objects more than 110 levels deep" in result.output
    assert result.output.count("re-record it") == 1, result.output


def test_an_upstream_answer_nested_past_any_parser_is_passed_back_not_a_crash(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    deep = b"[" * 100_000 + b"]" * 100_000

    async def hostile(request: Request) -> Response:
        return Response(deep, status_code=400, media_type="application/json")

    app = Starlette(routes=[Route("/v2/{project}/ocr/auto-id-doc-classification", hostile, methods=["POST"])])
    headers = {"X-Auth-Token": LOCAL.tokens[0]}
    with serve_in_thread(app) as live_url:
        upstream = ClientConfig(endpoint=live_url, project_id=LIVE_PROJECT, auth="token", token="t", max_retries=0)
        recorder = create_app(LOCAL.replace(proxy_to=live_url, record_dir=str(tmp_path)), upstream=upstream)
        with serve_in_thread(recorder) as url:
            api = f"{url}/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification"
            answers = [httpx.post(api, json={"data": _specimen("passport")}, headers=headers) for _ in range(2)]
    assert [a.status_code for a in answers] == [400, 400] and answers[0].content == deep
    # Recorded as the text it is, and answered again from the recording.
    with serve_in_thread(create_app(LOCAL.replace(replay_dir=str(tmp_path)))) as url:
        api = f"{url}/v2/{LOCAL.project_id}/ocr/auto-id-doc-classification"
        again = httpx.post(api, json={"data": _specimen("passport")}, headers=headers)
    assert (again.status_code, again.content) == (400, deep)
