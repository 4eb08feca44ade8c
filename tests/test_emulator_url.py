"""URL input against a loopback file server started by the tests."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

import anyio
import httpx
import pytest
from hostile_servers import serving
from PIL import Image

from pytest_idclassify.catalogue import clause
from pytest_idclassify.emulator import EmulatorSettings, asgi_transport, serve

SETTINGS = EmulatorSettings(fetch_timeout=1.0, fetch_max_bytes=200_000, fetch_max_redirects=2)
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
TOKEN = {"X-Auth-Token": SETTINGS.tokens[0]}
CHINESE = "/图片/证件.gif"


def _image(fmt: str, width: int = 20, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buffer, format=fmt)
    return buffer.getvalue()


GIF = _image("GIF")
SMALL_PNG = _image("PNG", 14, 40)


class _Files(BaseHTTPRequestHandler):
    """Serves fixed answers by path; the path is percent-decoded as UTF-8, as a file server would."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "image/gif", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = unquote(self.path, encoding="utf-8")
        if path == CHINESE:
            self._send(200, GIF)
        elif path == "/small.png":
            self._send(200, SMALL_PNG, "image/png")
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            target = "/small.png" if left == 0 else f"/hop/{left - 1}"
            self._send(302, b"", "text/plain", Location=target)
        elif path == "/away":
            self._send(302, b"", "text/plain", Location="http://192.0.2.1/x.png")
        elif path == "/slow.png":
            time.sleep(3)
            self._send(200, SMALL_PNG, "image/png")
        elif path.startswith("/bad-location/"):
            locations = {"ipv6": "http://[::1", "port": "http://127.0.0.1:99999/", "idna": "http://xn--/x",
                         "dot": "http://localhost./a.png", "empty-port": "http://127.0.0.1:-1/",
                         "control": "/img\x01x.png", "space": "/img x.png"}  # fmt: skip
            self._send(302, b"", "text/plain", Location=locations[path.rsplit("/", 1)[1]])
        elif path == "/fail.png":
            self._send(500, b"boom", "text/plain")
        elif path == "/page.html":
            self._send(200, b"<html></html>", "text/html")
        elif path == "/big.png":
            self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 300_000, "image/png")
        else:
            self._send(404, b"", "text/plain")


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    server.daemon_threads = True
    with serving(server) as url:
        yield url


def ask(url: str, settings: EmulatorSettings = SETTINGS) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(settings), base_url="http://emulator") as client:
            return await client.post(PATH, json={"url": url}, headers=TOKEN)

    return anyio.run(go)


def assert_clause(response: httpx.Response, clause_id: str) -> None:
    spec = clause(clause_id).error
    assert spec is not None
    payload = response.json()
    assert (response.status_code, payload["error_code"]) == (spec.status, spec.code), payload
    assert spec.message_ok(payload["error_msg"])


def test_percent_encoded_chinese_path_is_fetched(files: str) -> None:
    # The fetched bytes go through the format check: a GIF is refused as an unsupported format.
    assert_clause(ask(files + quote(CHINESE, encoding="utf-8")), "request.image.formats")


def test_raw_chinese_path_follows_the_catalogue(files: str) -> None:
    assert_clause(ask(files + CHINESE), "request.url.chinese-raw.code")


def test_fetched_image_goes_through_the_size_check(files: str) -> None:
    assert_clause(ask(files + "/small.png"), "request.image.side-min")


def test_redirects_are_followed_up_to_the_limit(files: str) -> None:
    # /hop/N answers with N + 1 redirects; the limit here is 2.
    assert_clause(ask(files + "/hop/1"), "request.image.side-min")
    assert_clause(ask(files + "/hop/2"), "request.url.fetch-failure.code")


def test_each_redirect_hop_is_checked_against_the_allow_list(files: str) -> None:
    assert_clause(ask(files + "/away"), "request.url.schemes.code")


@pytest.mark.parametrize("path", ["/slow.png", "/fail.png", "/page.html", "/big.png", "/missing.png"])
def test_failed_downloads(files: str, path: str) -> None:
    started = time.monotonic()
    assert_clause(ask(files + path), "request.url.fetch-failure.code")
    if path == "/slow.png":
        assert time.monotonic() - started < 2.5, "the fetch timeout did not cut the slow download"


def test_unreachable_port() -> None:
    with serve(EmulatorSettings()) as free:
        port = free.rsplit(":", 1)[1]
    assert_clause(ask(f"http://127.0.0.1:{port}/gone.png"), "request.url.fetch-failure.code")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/a.png",
        "file:///etc/passwd",
        "http://192.0.2.1/a.png",
        "http://example.com/a.png",
        "http://[::2]/a.png",
        "http://10.0.0.1:80/a.png",
        "gopher://localhost/",
        "http:///nohost",
        # Malformed in every way a parser can object to: IDNA, port range and form, brackets, length.
        "http://xn--/x",
        "http://127.0.0.1:99999/",
        "http://127.0.0.1:-1/",
        "http://127.0.0.1:0/",
        "http://127.0.0.1:+80/",
        "http://127.0.0.1:8%30/",
        "http://[::1/",
        "http://[::1]x/",
        "http://127.0.0.1/" + "a" * 9000,
        # Not on the allow-list as written: a trailing dot is another name, and a name is not an address.
        "http://localhost./a.png",
        "http://127.0.0.1./a.png",
        "http://0x7f.1/a.png",
        "http://2130706433/a.png",
    ],
)
def test_refused_urls_are_never_fetched(url: str) -> None:
    assert_clause(ask(url), "request.url.schemes.code")


# A Location with a control character or a space is the image host's fault, not the client's (not AIS.0101).
@pytest.mark.parametrize("kind", ["ipv6", "port", "idna", "dot", "empty-port", "control", "space"])
def test_a_malformed_redirect_location_is_refused(files: str, kind: str) -> None:
    assert_clause(ask(f"{files}/bad-location/{kind}"), "request.url.schemes.code")


def test_names_not_listed_as_written_never_reach_a_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    asked: list[object] = []
    real = socket.getaddrinfo

    def recording(host: object, *args: object, **kwargs: object) -> object:
        asked.append(host.decode() if isinstance(host, bytes) else host)  # anyio passes IDNA bytes
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    with serve(EmulatorSettings()) as free:
        port = free.rsplit(":", 1)[1]
    for host in ("localhost.", "LOCALHOST.", "127.0.0.1.", "example.com"):
        assert_clause(ask(f"http://{host}:{port}/a.png"), "request.url.schemes.code")
    assert not [h for h in asked if str(h).strip("[]").lower() not in {"127.0.0.1", "localhost"}], asked
    # A listed name is fetched (and so resolved) as written.
    assert_clause(ask(f"http://localhost:{port}/a.png"), "request.url.fetch-failure.code")
    assert [h for h in asked if str(h).lower() == "localhost"]


def test_downloads_share_one_transport_per_event_loop(files: str) -> None:
    from pytest_idclassify.emulator._urlfetch import fetch_transport

    async def twice() -> tuple[object, object]:
        return fetch_transport(), fetch_transport()

    first, second = anyio.run(twice)
    assert first is second
    other, _ = anyio.run(twice)
    assert other is not first  # another loop, another pool: connections never cross loops

    async def served() -> list[object]:
        clients = []
        async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url="http://emulator") as client:
            for _ in range(3):
                await client.post(PATH, json={"url": files + "/small.png"}, headers=TOKEN)
                clients.append(fetch_transport())
        return clients

    assert len({id(c) for c in anyio.run(served)}) == 1


def test_localhost_and_ipv6_loopback_are_allowed_by_default() -> None:
    # Allowed, then refused only because nothing listens there.
    with serve(EmulatorSettings()) as free:
        port = free.rsplit(":", 1)[1]
    for host in ("localhost", "[::1]", "127.0.0.2"):
        assert_clause(ask(f"http://{host}:{port}/a.png"), "request.url.fetch-failure.code")


def test_allow_list_setting(files: str) -> None:
    closed = SETTINGS.replace(url_allow=("10.0.0.0/8",))
    assert_clause(ask(files + "/small.png", closed), "request.url.schemes.code")
