"""The request journal: what the emulator was sent, readable from Python and over HTTP, redacted and bounded."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from PIL import Image

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.client import AkSkAuth, ClientConfig, IdClassifyClient
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.suite._emulator_handle import EmulatorHandle

SECRET_TOKEN = "journal-canary-token-5f1c2e"
SECRET_SK = "JournalCanarySecretKey0000000000000000000"
AK = "JOURNALCANARYAK00001"
PROJECT = "1234567890abcdef1234567890abcdef"
SETTINGS = EmulatorSettings(project_id=PROJECT, tokens=(SECRET_TOKEN,), credentials=((AK, SECRET_SK),))


def _specimen_jpeg() -> bytes:
    from pytest_idclassify.images import render_scene

    buffer = io.BytesIO()
    Image.fromarray(render_scene("passport", width=640, height=400).pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _png(width: int = 64, height: int = 40, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def served() -> Iterator[tuple[Any, str]]:
    app = create_app(SETTINGS)
    with serve_in_thread(app) as url:
        yield app, url


def _client(url: str) -> IdClassifyClient:
    return IdClassifyClient(
        ClientConfig(endpoint=url, project_id=PROJECT, auth="token", token=SECRET_TOKEN, max_retries=0)
    )


def test_every_answer_is_journaled_in_order_with_its_outcome(served: tuple[Any, str]) -> None:
    app, url = served
    image = _specimen_jpeg()
    with _client(url) as client:
        first = client.classify(data=base64.b64encode(image).decode(), alarm=True)
        second = client.post(content=b"{not json", headers={"Content-Type": "application/json"})
        third = client.classify(url="ftp://127.0.0.1/card.png")
    journal = app.state.journal
    entries = journal.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [(e.status, e.error_code) for e in entries] == [
        (first.status, first.error_code),
        (second.status, second.error_code),
        (third.status, third.error_code),
    ]
    assert [e.request_id for e in entries] == [first.request_id, second.request_id, third.request_id]
    assert entries[0].image_sha256 == hashlib.sha256(image).hexdigest()
    assert entries[0].alarm is True
    assert entries[0].body["data"]["sha256"] == entries[0].image_sha256
    assert entries[1].body == {"bytes": 9, "json": False} and entries[1].alarm is None
    assert entries[2].url == "ftp://127.0.0.1/card.png"
    assert all(e.path == "/v2/{project_id}/ocr/auto-id-doc-classification" for e in entries)
    journal.assert_count(1, status=200, alarm=True)
    journal.assert_received(error_code=second.error_code)


def test_the_admin_route_lists_filters_and_clears_the_journal(served: tuple[Any, str]) -> None:
    _app, url = served
    with _client(url) as client:
        client.classify(data=base64.b64encode(_specimen_jpeg()).decode())
        client.classify(data="not base64 at all!")
    listed = httpx.get(f"{url}/__idclassify/requests").json()["requests"]
    assert [e["status"] for e in listed] == [200, 400]
    refused = httpx.get(f"{url}/__idclassify/requests", params={"status": "400"}).json()["requests"]
    assert len(refused) == 1 and refused[0]["error_code"] == "AIS.0102"
    assert httpx.delete(f"{url}/__idclassify/requests").json() == {"cleared": 2}
    assert httpx.get(f"{url}/__idclassify/requests").json() == {"requests": []}
    bad_filter = httpx.get(f"{url}/__idclassify/requests", params={"colour": "red"})
    assert bad_filter.status_code == 400 and "cannot filter" in bad_filter.json()["error"]


def test_the_admin_route_filters_by_header_and_refuses_malformed_filters(served: tuple[Any, str]) -> None:
    _, url = served
    httpx.delete(f"{url}/__idclassify/requests")
    for agent in ("checkout/1.0", "billing/2.0"):
        httpx.post(f"{url}/v2/{PROJECT}/ocr/auto-id-doc-classification", json={"data": "x"},
                   headers={"X-Auth-Token": SECRET_TOKEN, "X-App": agent})  # fmt: skip
    listed = httpx.get(f"{url}/__idclassify/requests", params={"header": "x-APP: checkout/1.0"})
    assert [e["headers"]["x-app"] for e in listed.json()["requests"]] == ["checkout/1.0"]
    for params in ({"header": "no-colon"}, {"status": "abc"}, {"status": "\u00b9"}, {"status": "4" * 5000}):
        refused = httpx.get(f"{url}/__idclassify/requests", params=params)
        assert refused.status_code == 400 and "e.g." in refused.json()["error"], refused.text


def test_nothing_secret_or_image_is_in_the_journal(served: tuple[Any, str]) -> None:
    app, url = served
    image = _png(80, 50)
    data = base64.b64encode(image).decode()
    signed = IdClassifyClient(
        ClientConfig(endpoint=url, project_id=PROJECT, auth="aksk", access_key=AK, secret_key=SECRET_SK, max_retries=0)
    )
    with _client(url) as client, signed:
        client.classify(data=data, alarm=True)
        client.post(json={"data": data, "password": "hunter2-canary-pw", "api_key": "canary-api-key-77"})
        signed.classify(data=data)
        client.post(json={"data": data}, auth=AkSkAuth(AK, SECRET_SK + "x"))  # a refused signature, journaled too
    dumped = json.dumps([e.to_dict() for e in app.state.journal]) + httpx.get(f"{url}/__idclassify/requests").text
    for canary in (SECRET_TOKEN, SECRET_SK, AK, PROJECT, data[:200], "hunter2-canary-pw", "canary-api-key-77"):
        assert canary not in dumped
    assert "[REDACTED]" in dumped


def test_the_journal_keeps_only_the_newest_entries() -> None:
    app = create_app(SETTINGS.replace(journal_size=3))
    with IdClassifyClient(
        ClientConfig(
            endpoint="http://emulator.invalid", project_id=PROJECT, auth="token", token=SECRET_TOKEN, max_retries=0
        ),
        app=app,
    ) as client:
        for _ in range(7):
            client.classify(alarm=True)
    entries = app.state.journal.entries()
    assert [e.seq for e in entries] == [5, 6, 7]


def test_a_journal_of_size_zero_keeps_nothing() -> None:
    handle = EmulatorHandle(SETTINGS.replace(journal_size=0))
    handle.client(token=SECRET_TOKEN).classify(alarm=True)
    assert len(handle.requests) == 0


def test_assertion_helpers_say_what_was_received() -> None:
    handle = EmulatorHandle(SETTINGS)
    handle.client(token=SECRET_TOKEN).classify(data=base64.b64encode(_specimen_jpeg()).decode(), alarm=True)
    handle.requests.assert_count(1, alarm=True, status=200)
    with pytest.raises(AssertionError) as info:
        handle.requests.assert_count(2, alarm=True)
    assert "expected 2 request(s) matching alarm=True, the emulator received 1" in str(info.value)
    assert "#1 POST /v2/{project_id}/ocr/auto-id-doc-classification -> 200" in str(info.value)
    with pytest.raises(AssertionError, match="received no request matching status=500"):
        handle.requests.assert_received(status=500)
    with pytest.raises(TypeError, match="cannot filter journal entries by 'colour'"):
        handle.requests.filter(colour="red")


def test_the_fixture_exposes_the_journal(idclassify_emulator: Any) -> None:
    idclassify_emulator.requests.clear()
    idclassify_emulator.client().classify(data=base64.b64encode(_specimen_jpeg()).decode())
    entry = idclassify_emulator.requests.assert_received(status=200)
    assert entry.image_sha256 is not None


def test_admin_routes_need_the_token_when_one_is_set() -> None:
    app = create_app(SETTINGS.replace(admin_token="admin-canary-token-123"))
    with serve_in_thread(app) as url:
        assert httpx.get(f"{url}/__idclassify/requests").status_code == 401
        headers = {"X-Idclassify-Admin-Token": "admin-canary-token-123"}
        assert httpx.get(f"{url}/__idclassify/requests", headers=headers).status_code == 200


def test_admin_routes_refuse_clients_beyond_loopback_without_a_token() -> None:
    app = create_app(SETTINGS)
    # In-process, so nothing leaves this machine: the transport only says the client is elsewhere.
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))

    async def ask() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.invalid") as client:
            return await client.get("/__idclassify/requests")

    answer = anyio.run(ask)
    assert answer.status_code == 403
    assert "clients on this machine only" in answer.json()["error"]


def test_admin_routes_switched_off_are_an_unknown_path() -> None:
    app = create_app(SETTINGS.replace(admin_routes=False))
    with serve_in_thread(app) as url:
        answer = httpx.get(f"{url}/__idclassify/requests")
    assert answer.status_code == 404 and answer.json()["error_code"] == "APIG.0101"


def test_serve_turns_admin_routes_off_beyond_loopback_without_a_token() -> None:
    from pytest_idclassify.cli._serve import admin_settings_for

    assert admin_settings_for(SETTINGS, "127.0.0.1").admin_routes is True
    assert admin_settings_for(SETTINGS, "::1").admin_routes is True
    assert admin_settings_for(SETTINGS, "localhost").admin_routes is True
    assert admin_settings_for(SETTINGS, "0.0.0.0").admin_routes is False
    assert admin_settings_for(SETTINGS, "192.0.2.4").admin_routes is False
    tokened = SETTINGS.replace(admin_token="admin-canary-token-123")
    assert admin_settings_for(tokened, "0.0.0.0").admin_routes is True


def test_requests_through_the_official_sdk_are_journaled() -> None:
    pytest.importorskip("huaweicloudsdkcore")
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkocr.v1 import (
        AutoIdDocClassificationRequestBody,
        OcrClient,
        RecognizeAutoIdDocClassificationRequest,
    )

    app = create_app(SETTINGS)
    image = _png(90, 60, (10, 200, 10))
    with serve_in_thread(app) as url:
        client = (
            OcrClient.new_builder()
            .with_credentials(BasicCredentials(AK, SECRET_SK, PROJECT))
            .with_endpoint(url)
            .build()
        )
        request = RecognizeAutoIdDocClassificationRequest()
        request.body = AutoIdDocClassificationRequestBody(data=base64.b64encode(image).decode(), alarm=True)
        with pytest.raises(Exception):  # noqa: B017 - a flat picture holds no document: the SDK raises AIS.0105
            client.recognize_auto_id_doc_classification(request)
    entry = app.state.journal.last
    assert (entry.status, entry.error_code, entry.alarm) == (400, "AIS.0105", True)
    assert entry.image_sha256 == hashlib.sha256(image).hexdigest()
    assert "sdk-hmac-sha256" in entry.headers["authorization"].lower()
    assert SECRET_SK not in json.dumps(entry.to_dict()) and AK not in json.dumps(entry.to_dict())


@pytest.mark.parametrize("separator", [b",", b", "], ids=["tight", "spaced"])
def test_a_large_refused_body_of_many_values_is_journalled_by_its_size_alone(
    served: tuple[Any, str], separator: bytes
) -> None:
    # 200,000 keys and neither data nor url, 2.4 MB: refused, and summarising it value by value would
    # cost the event loop seconds and the journal tens of megabytes per entry.
    app, url = served
    many = b"{" + separator.join(b'"k%d": 0' % i for i in range(200_000)) + b"}"
    # A large refused body of few values (an image, an alarm that is no boolean) keeps its summary.
    image = base64.b64encode(_png(2000, 2000) * 40).decode()
    few = json.dumps({"data": image, "alarm": "yes"}).encode()
    with _client(url) as client:
        refused = [client.post(content=body, headers={"Content-Type": "application/json"}) for body in (many, few)]
    assert [answer.status for answer in refused] == [400, 400]
    heavy, light = app.state.journal.entries()
    assert heavy.body == {"bytes": len(many), "json": "not summarised: too many values"}
    assert light.body["alarm"] == "yes"
    assert light.body["data"]["sha256"] == hashlib.sha256(base64.b64decode(image)).hexdigest()
    listed = httpx.get(f"{url}/__idclassify/requests").json()["requests"]
    assert [entry["body"] for entry in listed] == [heavy.body, light.body]


def test_reading_a_large_journal_leaves_the_event_loop_serving() -> None:
    # Tens of thousands of entries take seconds to answer.  Built on a worker thread, the answer
    # leaves the loop free to serve others meanwhile (and to beat the heartbeat `serve --workers`
    # judges a worker by); built on the loop, it held every other request until it was done.
    app = create_app(SETTINGS.replace(journal_size=100_000))
    with serve_in_thread(app) as url:
        headers = {"X-Auth-Token": SECRET_TOKEN, **{f"x-header-{i}": "v" * 20 for i in range(30)}}
        httpx.post(f"{url}/v2/{PROJECT}/ocr/auto-id-doc-classification", headers=headers, content=b'{"url": 5}')
        entry = app.state.journal.entries()[0]
        for seq in range(2, 20_001):
            app.state.journal.add(dataclasses.replace(entry, seq=seq))
        built: list[float] = []

        def read_journal() -> None:
            started = time.perf_counter()
            with httpx.stream("GET", url + "/__idclassify/requests", timeout=120) as answer:
                built.append(time.perf_counter() - started)  # the headers follow the whole body's building
                assert answer.status_code == 200
                answer.read()

        reader = threading.Thread(target=read_journal)
        reader.start()
        time.sleep(0.2)
        started = time.perf_counter()
        assert httpx.get(url + "/__idclassify/stubs", timeout=120).status_code == 200
        waited = time.perf_counter() - started
        reader.join(120)
    assert waited < built[0] / 2, (waited, built)


@pytest.mark.parametrize("size", [(208, 128), (1280, 800)], ids=["small-body", "body-over-64-kib"])
def test_numbers_json_cannot_carry_are_journalled_as_their_words_and_the_journal_stays_json(
    size: tuple[int, int],
) -> None:
    # NaN and -Infinity are no JSON (ModelArts.4105); 1e999 is, but overflows a double (AIS.0101).
    # Either way the journal's listing must stay JSON for a test in another language.
    from pytest_idclassify.images import ImageRecipe

    image = ImageRecipe("jpeg", *size, content="specimen", doc_type="passport").to_base64()
    with serve_in_thread(create_app(SETTINGS)) as url:
        api, headers = f"{url}/v2/{PROJECT}/ocr/auto-id-doc-classification", {"X-Auth-Token": SECRET_TOKEN}
        bodies = ['{"data": NaN}', '{"url": "http://127.0.0.1:1/a.jpg", "alarm": 1e999}',
                  f'{{"data": "{image}", "extra": -Infinity}}']  # fmt: skip
        codes = [httpx.post(api, content=body, headers=headers).json()["error_code"] for body in bodies]
        listed = httpx.get(f"{url}/__idclassify/requests")
        filtered = httpx.get(f"{url}/__idclassify/requests", params={"method": "post", "status": "400"})
    assert codes == ["ModelArts.4105", "AIS.0101", "ModelArts.4105"]
    assert listed.status_code == filtered.status_code == 200, listed.text
    entries = listed.json()["requests"]
    assert [e["body"].get(k) for e, k in zip(entries, ("data", "alarm", "extra"), strict=True)] == [
        "NaN", "Infinity", "-Infinity"]  # fmt: skip
    assert len(filtered.json()["requests"]) == 3


def test_a_field_of_the_wrong_type_is_named_in_jsons_words(served: tuple[Any, str]) -> None:
    app, url = served
    api, headers = f"{url}/v2/{PROJECT}/ocr/auto-id-doc-classification", {"X-Auth-Token": SECRET_TOKEN}
    for body in ({"data": "eA==", "alarm": 0}, {"data": {"a": 1}}, {"url": [1]}, {"data": None, "url": "x"}):
        httpx.post(api, json=body, headers=headers)
    assert [entry.reason for entry in app.state.journal] == [
        "alarm is a number, not a boolean", "data is an object, not a string", "url is an array, not a string",
        "data is null, not a string"]  # fmt: skip


def test_a_filter_no_entry_could_hold_or_given_twice_is_refused(served: tuple[Any, str]) -> None:
    _, url = served
    for params in ({"status": "999"}, {"status": "099"}, [("status", "200"), ("status", "400")]):
        refused = httpx.get(f"{url}/__idclassify/requests", params=params)
        assert refused.status_code == 400, (params, refused.text)
    both = httpx.get(f"{url}/__idclassify/requests", params=[("header", "X-A:1"), ("header", "X-B:2")])
    assert both.status_code == 200, "header=Name:value is the one repeatable filter, once per header"
    same = httpx.get(f"{url}/__idclassify/requests", params=[("header", "X-A:1"), ("header", "x-a:2")])
    assert same.status_code == 400, same.text


def test_a_delete_with_a_query_clears_nothing_and_says_so(served: tuple[Any, str]) -> None:
    _, url = served
    with _client(url) as client:
        client.classify(data="not base64 at all!")
    refused = httpx.delete(f"{url}/__idclassify/requests", params={"status": "400"})
    assert refused.status_code == 400 and "takes no query" in refused.json()["error"]
    assert len(httpx.get(f"{url}/__idclassify/requests").json()["requests"]) == 1


@pytest.mark.parametrize("size", [(208, 128), (1280, 800)], ids=["small-body", "body-over-64-kib"])
def test_the_journal_keeps_the_fields_as_sent_whatever_the_bodys_size(size: tuple[int, int]) -> None:
    # An application's mistake is in the fields it sends: a misspelt or misplaced one, an alarm left out.
    from pytest_idclassify.images import ImageRecipe

    image = ImageRecipe("jpeg", *size, content="specimen", doc_type="passport").to_base64()
    handle = EmulatorHandle(SETTINGS)
    client = handle.client()
    client.post(json={"data": image, "Alarm": True, "enterprise_project_id": "0"})
    client.post(json={"data": image})
    misspelt, bare = (entry.body for entry in handle.requests)
    digest = {"sha256": hashlib.sha256(base64.b64decode(image)).hexdigest()}
    assert misspelt.keys() == {"data", "Alarm", "enterprise_project_id"} and misspelt["Alarm"] is True
    assert misspelt["data"]["sha256"] == bare["data"]["sha256"] == digest["sha256"]
    assert bare.keys() == {"data"}, "an alarm left out is not journaled as sent false"
    assert [entry.alarm for entry in handle.requests] == [False, False]  # what the requests asked for
    handle.close()


def test_a_small_body_of_many_keys_is_journalled_by_its_size_alone(served: tuple[Any, str]) -> None:
    # 6,000 keys in 60 KB: refused, and a value-by-value summary cost a megabyte per journal entry.
    app, url = served
    many = json.dumps({f"k{i}": 0 for i in range(6000)}, separators=(",", ":")).encode()
    assert len(many) < 64 * 1024
    with _client(url) as client:
        assert client.post(content=many, headers={"Content-Type": "application/json"}).status == 400
    (entry,) = app.state.journal.entries()
    assert entry.body == {"bytes": len(many), "json": "not summarised: too many values"}


def test_a_refusal_says_why_in_the_journal_where_the_answer_gives_only_the_documented_message(
    served: tuple[Any, str],
) -> None:
    app, url = served
    config = ClientConfig(endpoint=url, project_id=PROJECT, auth="aksk", access_key=AK, secret_key=SECRET_SK,
                          max_retries=0)  # fmt: skip
    with IdClassifyClient(config) as client:
        elsewhere = client.classify(data=base64.b64encode(_png()).decode(), headers={"X-Project-Id": "f" * 32})
        wrong_key = client.post(json={"data": "eA=="}, auth=AkSkAuth(AK, SECRET_SK[::-1]))
    assert (elsewhere.status, elsewhere.error_code) == (403, "APIG.0302")
    assert (wrong_key.status, wrong_key.error_msg) == (401, "Incorrect IAM authentication information: "
                                                           "verify aksk signature fail")  # fmt: skip
    refused_elsewhere, refused_key = app.state.journal.entries()
    assert refused_elsewhere.reason and "X-Project-Id" in refused_elsewhere.reason
    assert refused_key.reason and "signature" in refused_key.reason
    assert SECRET_SK not in str(refused_key.to_dict()) and SECRET_SK[::-1] not in str(refused_key.to_dict())
    assert "refused: " in app.state.journal.describe()
    listed = httpx.get(f"{url}/__idclassify/requests").json()["requests"]
    assert [entry["reason"] for entry in listed] == [refused_elsewhere.reason, refused_key.reason]


def test_asking_the_journal_for_a_credentials_value_says_it_is_never_kept(idclassify_emulator: Any) -> None:
    idclassify_emulator.requests.clear()
    idclassify_emulator.client().classify(data="eA==")
    with pytest.raises(AssertionError, match=r"keeps X-Auth-Token as \[REDACTED\]: check .*'x-auth-token' in entry"):
        idclassify_emulator.requests.assert_received(header={"X-Auth-Token": idclassify_emulator.settings.tokens[0]})
    assert "x-auth-token" in idclassify_emulator.requests.last.headers


@pytest.mark.parametrize(
    "body",
    [
        b'{"alarm": true, "note": "\\udfff"}',
        b'{"url": "\\ud800"}',
        b'{"\\ud800": 1, "alarm": true}',
    ],
    ids=["in-a-value", "as-the-url", "as-a-key"],
)
def test_a_lone_surrogate_a_client_sends_is_answered_journaled_and_listed(served: tuple[Any, str], body: bytes) -> None:
    # JSON may escape a character UTF-8 has no bytes for; the answer, the entry and its listing hold it escaped.
    app, url = served
    answer = httpx.post(f"{url}/v2/{PROJECT}/ocr/auto-id-doc-classification", content=body,
                        headers={"X-Auth-Token": SECRET_TOKEN, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error_code"] == "AIS.0101", answer.text
    (entry,) = app.state.journal.entries()
    assert entry.status == 400
    listed = httpx.get(f"{url}/__idclassify/requests")
    assert listed.status_code == 200, listed.text
    assert listed.json()["requests"][0]["body"] == entry.body == json.loads(body)


def test_a_valid_image_with_a_lone_surrogate_beside_it_is_classified(served: tuple[Any, str]) -> None:
    app, url = served
    image = base64.b64encode(_specimen_jpeg()).decode()
    body = b'{"data": "' + image.encode() + b'", "note": "\\udfff"}'
    answer = httpx.post(f"{url}/v2/{PROJECT}/ocr/auto-id-doc-classification", content=body,
                        headers={"X-Auth-Token": SECRET_TOKEN, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert app.state.journal.entries()[0].body["note"] == "\udfff"


def test_the_emulators_own_secrets_are_hidden_in_the_journals_body_and_url(served: tuple[Any, str]) -> None:
    # An application that puts its key or token in a field or a URL by mistake must not see it in the journal.
    app, url = served
    with _client(url) as client:
        client.post(json={"alarm": True, "note": SECRET_SK, "also": SECRET_TOKEN})
        client.classify(url=f"http://127.0.0.1:9/card.jpg?key={SECRET_SK}")
    listed = httpx.get(f"{url}/__idclassify/requests").text
    for entry in app.state.journal.entries():
        shown = json.dumps(dataclasses.asdict(entry))
        assert SECRET_SK not in shown and SECRET_TOKEN not in shown, shown
    assert SECRET_SK not in listed and SECRET_TOKEN not in listed
    first, second = app.state.journal.entries()
    assert first.body["note"] == "[REDACTED]" and first.body["also"] == "[REDACTED]"
    assert second.url is not None and SECRET_SK not in second.url
