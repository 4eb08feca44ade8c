"""The admin routes answer the tester's clients, not web pages, and refuse journal filters that can never match."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import pytest

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.emulator import EmulatorSettings, asgi_transport, create_app

TOKEN = "guard-canary-token-0c1d2e"
PROJECT = "0123456789abcdef0123456789abcdef"
SETTINGS = EmulatorSettings(project_id=PROJECT, tokens=(TOKEN,))
API = f"/v2/{PROJECT}/ocr/auto-id-doc-classification"
STUB = {"name": "planted", "match": {"header": {"X-Auth-Token": TOKEN}}, "answer": {"error": "AIS.0105"}}
#: every admin route and method, with the body a client would send it.
ROUTES = [
    ("GET", "/__idclassify/requests", None),
    ("DELETE", "/__idclassify/requests", None),
    ("GET", "/__idclassify/stubs", None),
    ("POST", "/__idclassify/stubs", STUB),
    ("DELETE", "/__idclassify/stubs", None),
    ("DELETE", "/__idclassify/stubs/planted", None),
]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Any, str]]:
    app = create_app(SETTINGS)
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def served(server: tuple[Any, str]) -> Iterator[tuple[Any, str]]:
    app, _ = server
    app.state.stubs.clear()
    app.state.journal.clear()
    yield server
    app.state.stubs.clear()


def _classify(url: str) -> httpx.Response:
    return httpx.post(url + API, json={"data": "eA=="}, headers={"X-Auth-Token": TOKEN})


# What a web page may send to any server without a CORS preflight (a "simple" request), or what
# marks a request as a page's: each must leave the stubs as they were.
@pytest.mark.parametrize(
    ("headers", "status", "fragment"),
    [
        ({"Content-Type": "text/plain", "Origin": "https://pages.example"}, 403, "Origin: https://pages.example"),
        ({"Content-Type": "text/plain;charset=UTF-8"}, 415, "not 'text/plain;charset=UTF-8'"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, 415, "application/json"),
        ({}, 415, "not none"),  # a page's Blob or ArrayBuffer body has no type
        ({"Content-Type": "application/json", "Origin": "null"}, 403, "Origin: null"),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403, "Sec-Fetch-Site: cross-site"),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, 403, "Sec-Fetch-Site: same-site"),
    ],
)
def test_a_web_page_cannot_plant_a_stub(
    served: tuple[Any, str], headers: dict[str, str], status: int, fragment: str
) -> None:
    app, url = served
    answer = httpx.post(url + "/__idclassify/stubs", content=json.dumps(STUB).encode(), headers=headers)
    assert answer.status_code == status and fragment in answer.json()["error"], answer.text
    assert app.state.stubs.all() == []
    assert _classify(url).json()["error_code"] != "AIS.0105"


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_admin_route_refuses_a_page_of_another_origin(
    served: tuple[Any, str], method: str, path: str, body: Any
) -> None:
    _, url = served
    for origin in ("https://pages.example", "http://localhost:3000", url.replace("http:", "https:")):
        answer = httpx.request(method, url + path, json=body, headers={"Origin": origin})
        assert answer.status_code == 403, (origin, answer.text)
        assert answer.json() == {"error": f"admin routes do not answer web pages of another origin (Origin: {origin})"}


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_admin_route_refuses_a_name_that_is_not_this_machines(
    served: tuple[Any, str], method: str, path: str, body: Any
) -> None:
    # A page whose name its DNS server re-points at 127.0.0.1 is "same-origin" with the emulator to
    # the browser: only the name in Host gives it away.
    app, url = served
    _classify(url)
    port = urlsplit(url).port
    for host in (f"rebind.pages.example:{port}", "127.0.0.1.pages.example", "localhost.pages.example", "x", "[::1"):
        answer = httpx.request(method, url + path, json=body, headers={"Host": host})
        assert answer.status_code == 403, (host, answer.text)
        assert f"not Host {host!r}; set admin_token" in answer.json()["error"]
    assert len(app.state.journal) == 1 and app.state.stubs.all() == []


def test_a_cors_preflight_is_never_granted(served: tuple[Any, str]) -> None:
    _, url = served
    asked = {"Origin": "https://pages.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    answer = httpx.options(url + "/__idclassify/stubs", headers=asked)
    assert answer.status_code == 404 and answer.json()["error_code"] == "APIG.0101"
    assert not [name for name in answer.headers if name.lower().startswith("access-control-")]


def test_the_testers_clients_are_answered_as_before(served: tuple[Any, str]) -> None:
    app, url = served
    port = urlsplit(url).port
    stub = {"name": "s", "match": {"label": "x"}, "answer": {"error": "AIS.0105"}}
    assert httpx.post(url + "/__idclassify/stubs", json=stub).status_code == 201
    requests = pytest.importorskip("requests")
    assert requests.post(url + "/__idclassify/stubs", json={**stub, "name": "r"}, timeout=30).status_code == 201
    # The same origin, a user-typed URL, a JSON type with parameters, and the other loopback names.
    same = {"Origin": url, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json; charset=utf-8"}
    assert httpx.post(url + "/__idclassify/stubs", content=json.dumps({**stub, "name": "o"}), headers=same).is_success
    for host in (f"localhost:{port}", "LOCALHOST", f"[::1]:{port}", "127.0.0.2", "emulator.localhost"):
        assert httpx.get(url + "/__idclassify/stubs", headers={"Host": host}).status_code == 200, host
    assert httpx.get(url + "/__idclassify/requests", headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert httpx.delete(url + "/__idclassify/stubs/s").json() == {"removed": ["s"]}
    assert [s.name for s in app.state.stubs.all()] == ["r", "o"]
    # An HTTP/1.0 client, which need not send Host; the server closes the connection after answering.
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"DELETE /__idclassify/stubs HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200") and received.endswith(b'{"removed":2}'), received


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_as_the_docs_call_the_routes(served: tuple[Any, str]) -> None:
    app, url = served
    stub = json.dumps({"name": "c", "match": {"label": "x"}, "answer": {"error": "AIS.0105"}})

    def curl(*arguments: str) -> Any:
        return json.loads(subprocess.run(["curl", "-sS", *arguments], check=True, capture_output=True).stdout)

    assert curl("-X", "POST", "-H", "Content-Type: application/json", "-d", stub, url + "/__idclassify/stubs") == {
        "added": ["c"],
        "replaced": [],
    }
    assert curl(url + "/__idclassify/requests?status=200") == {"requests": []}
    assert curl("-X", "DELETE", url + "/__idclassify/requests") == {"cleared": 0}
    assert curl("-X", "DELETE", url + "/__idclassify/stubs/c") == {"removed": ["c"]}
    assert "application/json" in curl("-d", stub, url + "/__idclassify/stubs")["error"]  # curl -d alone: a form
    assert app.state.stubs.all() == []


def test_an_in_process_transport_is_answered_under_any_base_url() -> None:
    # No socket: the name a client sends is the one it reached the app by, as a server's own address is.
    async def ask(base_url: str) -> list[int]:
        async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url=base_url) as client:
            added = await client.post("/__idclassify/stubs", json={**STUB, "name": "p"})
            return [added.status_code, (await client.get("/__idclassify/requests")).status_code]

    for base_url in ("http://emulator", "http://testserver", "http://emulator.invalid:9000"):
        assert anyio.run(ask, base_url) == [201, 200], base_url


def test_with_an_admin_token_any_name_is_answered_but_not_a_page() -> None:
    # Listening beyond loopback with a token, clients call the emulator by a name of the network.
    app = create_app(SETTINGS.replace(admin_token="admin-canary-token-456"))
    with serve_in_thread(app) as url:
        named = {"Host": "emulator:8080", "X-Idclassify-Admin-Token": "admin-canary-token-456"}
        assert httpx.post(url + "/__idclassify/stubs", json=STUB, headers=named).status_code == 201
        assert httpx.get(url + "/__idclassify/requests", headers={"Host": "emulator:8080"}).status_code == 401
        paged = httpx.post(url + "/__idclassify/stubs", json=STUB, headers={**named, "Origin": "https://pages.example"})
        typed = httpx.post(url + "/__idclassify/stubs", content=json.dumps(STUB), headers=named)
    assert (paged.status_code, typed.status_code) == (403, 415)
    assert [s.name for s in app.state.stubs.all()] == ["planted"]


def _listed(url: str, **params: str) -> httpx.Response:
    return httpx.get(url + "/__idclassify/requests", params=params)


def test_filters_are_taken_as_the_journal_holds_them(served: tuple[Any, str]) -> None:
    _, url = served
    httpx.post(url + API, json={"data": "eA==", "alarm": True}, headers={"X-Auth-Token": TOKEN})
    httpx.post(url + API, content=json.dumps({"data": "eA==", "alarm": False}), headers={"X-Auth-Token": TOKEN})
    for params, seqs in [
        ({"alarm": "TRUE"}, 1),
        ({"alarm": "false"}, 1),
        ({"method": "post"}, 2),
        ({"method": "Post"}, 2),
        ({"path": API}, 2),
        ({"path": API.replace("abcdef", "ABCDEF")}, 2),
        ({"path": "/v2/{project_id}/ocr/auto-id-doc-classification"}, 2),
        ({"image_sha256": hashlib.sha256(b"x").hexdigest().upper()}, 2),  # "eA==" is b"x"
    ]:
        listed = _listed(url, **params)
        assert listed.status_code == 200 and len(listed.json()["requests"]) == seqs, (params, listed.text)


@pytest.mark.parametrize(
    ("params", "form"),
    [
        ({"alarm": "yes"}, "e.g. alarm=true"),
        ({"alarm": "1"}, "e.g. alarm=true"),
        ({"alarm": ""}, "e.g. alarm=true"),
        ({"method": "P OST"}, "e.g. method=POST"),
        ({"method": ""}, "e.g. method=POST"),
        ({"path": "v2/x"}, "e.g. path=/v2/{project_id}/ocr/auto-id-doc-classification"),
        ({"path": API + "?x=1"}, "e.g. path=/v2/{project_id}/ocr/auto-id-doc-classification"),
        ({"image_sha256": "abc"}, "is not a sha256 (64 hex digits)"),
        ({"image_sha256": "g" * 64}, "is not a sha256 (64 hex digits)"),
    ],
)
def test_a_filter_no_entry_could_match_is_a_400_naming_the_form(
    served: tuple[Any, str], params: dict[str, str], form: str
) -> None:
    _, url = served
    refused = _listed(url, **params)
    assert refused.status_code == 400 and form in refused.json()["error"], refused.text
