"""Stubs: answers chosen by image digest, embedded label, URL or header; checked against the contract when added."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.cli import main
from pytest_idclassify.emulator import EmulatorSettings, create_app, embed_label, read_label
from pytest_idclassify.errors import ImageSpecError, StubError
from pytest_idclassify.suite._emulator_handle import EmulatorHandle
from pytest_idclassify.validation import validate_response

PASSPORT_GLARE = {
    "type": "passport",
    "location": [[10, 12], [600, 12], [600, 390], [10, 390]],
    "confidence": 0.91,
    "alarm_result": {
        "detect_blur_result": False,
        "detect_glare_result": True,
        "detect_blocking_within_border_result": False,
        "detect_insufficient_lighting_result": False,
        "detect_copy_result": False,
        "detect_border_integrity_result": False,
        "detect_reproduce_result": False,
    },
    "alarm_confidence": {
        "blur_score": 3,
        "glare_score": 87,
        "blocking_within_border_score": 0,
        "insufficient_lighting_score": 0,
        "copy_score": 1,
        "border_integrity_score": 0,
        "reproduce_score": 0,
    },
}


def _image(
    fmt: str = "PNG", colour: tuple[int, int, int] = (240, 240, 240), size: tuple[int, int] = (640, 400)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_a_stub_by_digest_answers_its_result_and_alarms_follow_the_request() -> None:
    handle = EmulatorHandle()
    image = _image()
    handle.stub("glare-passport", image_sha256=hashlib.sha256(image).hexdigest(), answer={"result": PASSPORT_GLARE})
    client = handle.client()
    with_alarm = client.classify(data=_b64(image), alarm=True)
    assert with_alarm.status == 200
    assert with_alarm.body["result"] == PASSPORT_GLARE
    plain = client.classify(data=_b64(image))
    assert plain.body["result"] == {k: PASSPORT_GLARE[k] for k in ("type", "location", "confidence")}
    for outcome, alarm in ((with_alarm, True), (plain, False)):
        assert validate_response(outcome.body, status=200, request={"data": _b64(image), "alarm": alarm}) == []
    other = client.classify(data=_b64(_image(colour=(10, 10, 10))))
    assert other.error_code == "AIS.0105"  # not stubbed: recognised for real, and a flat picture holds no card
    assert [e.stub for e in handle.requests] == ["glare-passport", "glare-passport", None]


def test_a_result_stub_without_alarms_answers_all_clear_when_alarms_are_asked() -> None:
    handle = EmulatorHandle()
    image = _image()
    plain = {k: PASSPORT_GLARE[k] for k in ("type", "location", "confidence")}
    handle.stub("plain", image_sha256=hashlib.sha256(image).hexdigest(), answer={"result": plain})
    body = handle.client().classify(data=_b64(image), alarm=True).body
    assert set(body["result"]["alarm_result"].values()) == {False}
    assert set(body["result"]["alarm_confidence"].values()) == {0}
    assert validate_response(body, status=200, request={"alarm": True}) == []


def test_a_stub_giving_scores_without_flags_is_told_to_give_both() -> None:
    from pytest_idclassify.emulator._stubs import parse_stub
    from pytest_idclassify.errors import StubError

    scores_only = {k: v for k, v in PASSPORT_GLARE.items() if k != "alarm_result"}
    assert any(score >= 50 for score in scores_only["alarm_confidence"].values())
    with pytest.raises(StubError, match="gives alarm_confidence without alarm_result, which is filled all clear"):
        parse_stub({"match": {"label": "x"}, "answer": {"result": scores_only}}, where="stub 1")
    # A fault elsewhere in a stub giving half the alarms is not blamed on them.
    low_scores = dict.fromkeys(scores_only["alarm_confidence"], 3)
    wrong_confidence = {**scores_only, "confidence": 7.5, "alarm_confidence": low_scores}
    with pytest.raises(StubError) as elsewhere:
        parse_stub({"match": {"label": "x"}, "answer": {"result": wrong_confidence}}, where="stub 1")
    assert "give both" not in str(elsewhere.value)
    # Harmless: low scores alone agree with the all-clear flags filled in.
    low = {**scores_only, "alarm_confidence": dict.fromkeys(scores_only["alarm_confidence"], 3)}
    parse_stub({"match": {"label": "x"}, "answer": {"result": low}}, where="stub 1")


def test_a_stub_by_embedded_label_answers_a_documented_error() -> None:
    handle = EmulatorHandle()
    handle.stub("blurred-id", label="qa/blurred-id", answer={"error": "AIS.0104"})
    labelled = embed_label(_image("JPEG"), "qa/blurred-id")
    answer = handle.client().classify(data=_b64(labelled))
    assert (answer.status, answer.error_code) == (400, "AIS.0104")
    assert validate_response(answer.body, status=answer.status) == []
    assert handle.requests.last.label == "qa/blurred-id"


def test_stubs_match_headers_and_urls_and_the_first_match_wins() -> None:
    handle = EmulatorHandle()
    handle.stub("by-header", header={"X-Test-Case": "no-card"}, answer={"error": "AIS.0105"})
    handle.stub("header-and-url", header={"X-Test-Case": "no-card"}, url="http://127.0.0.1:9/x.png",
                answer={"result": {k: PASSPORT_GLARE[k] for k in ("type", "location", "confidence")}})  # fmt: skip
    client = handle.client()
    first = client.classify(url="http://127.0.0.1:9/x.png", headers={"X-Test-Case": "no-card"})
    assert first.error_code == "AIS.0105"  # the URL was never fetched: the first stub answered
    assert handle.stubs.remove("by-header")
    second = client.classify(url="http://127.0.0.1:9/x.png", headers={"x-test-case": "no-card"})
    assert second.status == 200 and second.body["result"]["type"] == "passport"
    third = client.classify(url="http://127.0.0.1:9/x.png")
    assert third.error_code == "ModelArts.4603"  # no stub: fetched for real, and nothing listens on port 9


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ({"result": {**PASSPORT_GLARE, "confidence": 1.5}}, "cross.confidence.range"),
        ({"result": {**PASSPORT_GLARE, "type": "library_card"}}, "response.result.type"),
        ({"result": {**PASSPORT_GLARE, "location": [[0, 0], [1, 0], [1, 1]]}}, "response.result.location"),
        (
            {
                "result": {
                    **PASSPORT_GLARE,
                    "alarm_confidence": {**PASSPORT_GLARE["alarm_confidence"], "blur_score": 100},
                }
            },
            "response.alarm-confidence.blur_score",
        ),
        ({"error": "AIS.9999"}, "'AIS.9999' is not a documented error code; use one of ['AIS.0101'"),
        (
            {"error": "APIG.0201", "message": "Something else."},
            "APIG.0201 has no message 'Something else.'; leave message out, or use one of ['Request entity too large.",
        ),
        (
            {"error": "APIG.0301", "message": "wrong password"},
            "APIG.0301 has no reason 'wrong password'; its message is 'Incorrect IAM authentication information: ' and "
            "one of 'x-auth-token not found', 'decrypt token fail', 'token expires, expires_at: <time>'",
        ),
        ({"result": PASSPORT_GLARE, "error": "AIS.0105"}, "exactly one of"),
    ],
)
def test_a_stub_that_breaks_the_contract_is_refused_with_its_clause(answer: dict[str, Any], fragment: str) -> None:
    handle = EmulatorHandle()
    with pytest.raises(StubError) as info:
        handle.stub("bad", label="x", answer=answer)
    assert fragment in str(info.value)
    assert len(handle.stubs) == 0


@pytest.mark.parametrize(
    ("stub", "fragment"),
    [
        ({"name": "x", "answer": {"error": "AIS.0105"}}, "'match' must name at least one of"),
        ({"name": "x", "match": {"colour": "red"}, "answer": {"error": "AIS.0105"}}, "cannot match on ['colour']"),
        ({"name": "x", "match": {"image_sha256": "abc"}, "answer": {"error": "AIS.0105"}}, "64 lower-case hex"),
        ({"name": "x", "match": {"label": "a"}, "answer": {"error": "AIS.0105"}, "when": 1}, "unknown key(s)"),
        ("not an object", "a stub is an object"),
    ],
)
def test_a_malformed_stub_is_refused_saying_what_to_fix(stub: Any, fragment: str) -> None:
    with pytest.raises(StubError) as info:
        EmulatorHandle().stubs.add(stub)
    assert fragment in str(info.value)


def test_throttling_and_credential_stubs_answer_as_the_gateway_does() -> None:
    # A stubbed 429 carries the limit and Retry-After the emulator's own throttling gives; a stubbed
    # 401 one of the gateway's reasons, the one asked for.
    handle = EmulatorHandle(EmulatorSettings(throttle_limit=30, retry_after=7))
    expiry = "token expires, expires_at: 2026-01-01T00:00:00.000000Z"
    prefix = "Incorrect IAM authentication information: "
    answers = {"busy": {"error": "APIG.0308"}, "default": {"error": "APIG.0301"},
               "signature": {"error": "APIG.0301", "message": "verify aksk signature fail"},
               "expired": {"error": "APIG.0301", "message": prefix + expiry}}  # fmt: skip
    for case, answer in answers.items():
        handle.stub(case, header={"X-Case": case}, answer=answer)
    client = handle.client()
    outcomes = {case: client.classify(data="eA==", headers={"X-Case": case}) for case in answers}
    busy = outcomes.pop("busy")
    assert (busy.status, busy.headers["retry-after"]) == (429, "7")
    assert busy.error_msg.endswith("policy user over ratelimit,limit:30,time:1 minute")
    assert {case: (o.status, o.error_msg) for case, o in outcomes.items()} == {
        "default": (401, prefix + "decrypt token fail"),
        "signature": (401, prefix + "verify aksk signature fail"),
        "expired": (401, prefix + expiry),
    }
    for outcome in (busy, *outcomes.values()):
        assert validate_response(outcome.body, status=outcome.status, headers=dict(outcome.headers)) == []
    handle.close()


def test_stubs_can_be_added_and_removed_over_the_admin_route() -> None:
    app = create_app(EmulatorSettings())
    image = _image()
    with serve_in_thread(app) as url:
        stub = {"name": "admin-stub", "match": {"image_sha256": hashlib.sha256(image).hexdigest()},
                "answer": {"error": "AIS.0103"}}  # fmt: skip
        added = httpx.post(f"{url}/__idclassify/stubs", json=stub)
        assert added.status_code == 201 and added.json() == {"added": ["admin-stub"], "replaced": []}
        assert httpx.get(f"{url}/__idclassify/stubs").json()["stubs"] == [stub]
        bad = httpx.post(f"{url}/__idclassify/stubs", json={**stub, "answer": {"result": {"type": "passport"}}})
        assert bad.status_code == 400 and "response.result" in bad.json()["error"]
        settings_ = EmulatorSettings()
        headers = {"X-Auth-Token": settings_.tokens[0]}
        api = f"{url}/v2/{settings_.project_id}/ocr/auto-id-doc-classification"
        assert httpx.post(api, json={"data": _b64(image)}, headers=headers).json()["error_code"] == "AIS.0103"
        assert httpx.delete(f"{url}/__idclassify/stubs/admin-stub").json() == {"removed": ["admin-stub"]}
        assert httpx.delete(f"{url}/__idclassify/stubs/admin-stub").status_code == 404
        assert httpx.post(api, json={"data": _b64(image)}, headers=headers).json()["error_code"] == "AIS.0105"


def _error_stub(name: str | None, label: str, code: str = "AIS.0105") -> dict[str, Any]:
    stub: dict[str, Any] = {"match": {"label": label}, "answer": {"error": code}}
    return {"name": name, **stub} if name is not None else stub


def test_a_posted_batch_with_one_bad_stub_adds_none() -> None:
    with serve_in_thread(create_app(EmulatorSettings())) as url:
        route = f"{url}/__idclassify/stubs"
        refused = httpx.post(route, json={"stubs": [_error_stub("ok", "a"), _error_stub("bad", "b", "NOPE")]})
        twice = httpx.post(route, json={"stubs": [_error_stub("d", "a"), _error_stub("d", "b")]})
        listed = httpx.get(route).json()["stubs"]
    assert refused.status_code == 400 and "posted stub 2 (bad)" in refused.json()["error"]
    assert "no stub was added" in refused.json()["error"]
    assert twice.status_code == 400 and "both named 'd'" in twice.json()["error"]
    assert listed == []


@pytest.mark.parametrize("where", ["name", "header", "message"])
def test_a_posted_stub_holding_a_lone_surrogate_is_refused_and_nothing_is_added(where: str) -> None:
    # JSON can escape a character UTF-8 has no bytes for; such a stub could be neither listed nor answered.
    stub = {"name": "p", "match": {"header": {"X-Scenario": "p"}}, "answer": {"error": "AIS.0105"}}
    if where == "name":
        stub["name"] = "p\ud800"
    elif where == "header":
        stub["match"] = {"header": {"X-Scenario": "p\ud800"}}
    else:
        stub["answer"] = {"error": "AIS.0105", "message": "no card \udfff"}
    raw = json.dumps({"stubs": [_error_stub("fine", "a"), stub]}).encode()  # the surrogate travels escaped
    with serve_in_thread(create_app(EmulatorSettings())) as url:
        route = f"{url}/__idclassify/stubs"
        refused = httpx.post(route, content=raw, headers={"Content-Type": "application/json"})
        listed = httpx.get(route)
    assert refused.status_code == 400, refused.text
    assert "lone surrogate" in refused.json()["error"] and "no stub was added" in refused.json()["error"]
    assert listed.status_code == 200 and listed.json()["stubs"] == []


def test_stubs_posted_without_a_name_never_replace_each_other() -> None:
    with serve_in_thread(create_app(EmulatorSettings())) as url:
        route = f"{url}/__idclassify/stubs"
        first, second = (httpx.post(route, json=_error_stub(None, label)).json() for label in ("x", "y"))
        httpx.post(route, json=_error_stub("mine", "z"))
        again = httpx.post(route, json=_error_stub("mine", "w"))
        listed = httpx.get(route).json()["stubs"]
    assert first["added"] != second["added"] and not first["replaced"] and not second["replaced"]
    assert again.json() == {"added": ["mine"], "replaced": ["mine"]}
    assert [s["match"]["label"] for s in listed] == ["x", "y", "w"]
    # A stub re-posted under the name it was listed with is no name to give an unnamed stub.
    with serve_in_thread(create_app(EmulatorSettings())) as url:
        route = f"{url}/__idclassify/stubs"
        httpx.post(route, json=_error_stub("posted stub 1", "listed"))
        unnamed = httpx.post(route, json={"stubs": [_error_stub(None, "new"), _error_stub("posted stub 2", "b")]})
        labels = {s["name"]: s["match"]["label"] for s in httpx.get(route).json()["stubs"]}
    assert unnamed.json()["replaced"] == [] and labels["posted stub 1"] == "listed" and len(labels) == 3


def test_a_stub_named_with_a_slash_is_removed_by_its_name() -> None:
    with serve_in_thread(create_app(EmulatorSettings())) as url:
        route = f"{url}/__idclassify/stubs"
        httpx.post(route, json=_error_stub("qa/glare", "a"))
        httpx.post(route, json=_error_stub("qa/blur", "b"))
        removed = httpx.delete(f"{route}/qa/glare")
        encoded = httpx.delete(f"{route}/qa%2Fblur")
        queried = httpx.delete(route, params={"name": "x"})
        left = httpx.get(route).json()["stubs"]
    assert removed.json() == {"removed": ["qa/glare"]} and encoded.json() == {"removed": ["qa/blur"]}
    assert queried.status_code == 400 and left == []


def test_a_hostile_stubs_post_is_a_400_within_its_bounds() -> None:
    from pytest_idclassify.emulator._admin import STUBS_BODY_LIMIT

    with serve_in_thread(create_app(EmulatorSettings())) as url:
        route = f"{url}/__idclassify/stubs"
        as_json = {"Content-Type": "application/json"}
        nested = httpx.post(route, content=b"[" * 100_000, headers=as_json)
        huge = httpx.post(route, content=b" " * (STUBS_BODY_LIMIT + 1), headers=as_json)
        good = httpx.post(route, json={"name": "n", "match": {"label": "x"}, "answer": {"error": "AIS.0105"}})
    assert (nested.status_code, huge.status_code, good.status_code) == (400, 400, 201)
    assert "nests too deep" in nested.json()["error"] and "at most 1048576 bytes" in huge.json()["error"]


def _length(received: bytes) -> int:
    head = received.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    return next((int(line.split(":", 1)[1]) for line in head.split("\r\n") if line.startswith("content-length:")), 0)


def test_a_stubs_post_that_never_finishes_is_refused_at_the_body_timeout() -> None:
    import socket
    from urllib.parse import urlsplit

    with serve_in_thread(create_app(EmulatorSettings(body_timeout=0.5))) as url:
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            # Announces 100 bytes and sends 10: the route waits at most body_timeout for the rest.
            sock.sendall(b"POST /__idclassify/stubs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n" + b"[" * 10)  # fmt: skip
            # The head and the body of the answer may come in separate segments: read the whole answer.
            received = b""
            while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < _length(received):
                chunk = sock.recv(65536)
                assert chunk, received
                received += chunk
            answer = received.decode("latin-1")
    assert answer.startswith("HTTP/1.1 400") and "sent within 0.5 s" in answer


def test_serve_loads_a_stubs_file_and_the_official_sdk_sees_its_answers(tmp_path: Path) -> None:
    pytest.importorskip("huaweicloudsdkcore")
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
    from huaweicloudsdkocr.v1 import (
        AutoIdDocClassificationRequestBody,
        OcrClient,
        RecognizeAutoIdDocClassificationRequest,
    )

    image = embed_label(_image("PNG"), "sdk-passport")
    stubs = tmp_path / "stubs.json"
    stubs.write_text(json.dumps({"stubs": [
        {"name": "glare", "match": {"label": "sdk-passport"}, "answer": {"result": PASSPORT_GLARE}},
        {"name": "refuse", "match": {"header": {"X-Scenario": "no-card"}}, "answer": {"error": "AIS.0105"}},
    ]}))  # fmt: skip
    from pytest_idclassify.emulator import serve_process

    with serve_process(args=["--stubs", str(stubs)]) as url:
        defaults = EmulatorSettings()
        ak, sk = defaults.credentials[0]
        credentials = BasicCredentials(ak, sk, defaults.project_id)
        client = OcrClient.new_builder().with_credentials(credentials).with_endpoint(url).build()
        request = RecognizeAutoIdDocClassificationRequest()
        request.body = AutoIdDocClassificationRequestBody(data=_b64(image), alarm=True)
        response = client.recognize_auto_id_doc_classification(request)
        assert response.result.type == "passport"
        assert response.result.alarm_result.detect_glare_result is True
        assert response.result.alarm_confidence.glare_score == 87
        request.body = AutoIdDocClassificationRequestBody(data=_b64(_image(colour=(1, 2, 3))))
        with pytest.raises(ClientRequestException) as info:
            client.recognize_auto_id_doc_classification(request)
        assert (info.value.status_code, info.value.error_code) == (400, "AIS.0105")
        api = f"{url}/v2/{defaults.project_id}/ocr/auto-id-doc-classification"
        headers = {"X-Auth-Token": defaults.tokens[0], "X-Scenario": "no-card"}
        by_header = httpx.post(api, json={"data": _b64(_image(colour=(200, 0, 0)))}, headers=headers)
        assert by_header.json()["error_code"] == "AIS.0105"
        journal = httpx.get(f"{url}/__idclassify/requests").json()["requests"]
        assert [e["stub"] for e in journal] == ["glare", None, "refuse"]


def test_serve_refuses_a_stubs_file_that_breaks_the_contract_in_one_line(tmp_path: Path) -> None:
    stubs = tmp_path / "stubs.json"
    stubs.write_text(json.dumps({"stubs": [{"name": "odd", "match": {"label": "x"},
                                            "answer": {"result": {**PASSPORT_GLARE, "confidence": 7}}}]}))  # fmt: skip
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--stubs", str(stubs)])
    assert result.exit_code == 2
    assert "stub 1 (odd): the answer breaks the contract" in result.output
    assert "[cross.confidence.range]" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_an_embedded_label_leaves_the_pixels_alone(fmt: str) -> None:
    original = _image(fmt, colour=(12, 200, 99), size=(40, 30))
    labelled = embed_label(original, "qa:case-7")
    assert read_label(labelled) == "qa:case-7"
    assert read_label(original) is None
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(labelled)) as b:
        assert a.size == b.size and a.tobytes() == b.tobytes()


def test_labels_are_refused_when_they_cannot_be_embedded() -> None:
    with pytest.raises(ImageSpecError, match="1-128 characters"):
        embed_label(_image(), "no spaces allowed")
    with pytest.raises(ImageSpecError, match="JPEG or PNG"):
        embed_label(_image("BMP"), "fine")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_reading_a_label_from_any_bytes_never_fails(raw: bytes) -> None:
    for prefix in (b"", b"\xff\xd8", b"\x89PNG\r\n\x1a\n"):
        label = read_label(prefix + raw)
        assert label is None or (label.isascii() and 1 <= len(label) <= 128 and " " not in label)
