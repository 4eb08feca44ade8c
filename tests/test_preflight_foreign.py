"""A server that is not this API ends the run at its probe, in one line; an imperfect API server is judged.

The foreign servers are real ones on 127.0.0.1: the standard library's ``http.server`` (what
``python -m http.server`` runs: it answers a POST with an HTML 501), a Starlette app that serves
the endpoint's path to GET alone (405), a web app that answers every request with a page, and one
that sends its page as plain text.  The harmless variants are servers of this API whose error
bodies are plain text, or JSON labelled as HTML: the probe lets them through, and the suite goes
on to judge them.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_child import VERIFY
from hostile_servers import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.emulator._settings import DEFAULT_PROJECT_ID, DEFAULT_TOKEN

PATH = "/v2/{project}/ocr/auto-id-doc-classification"


@pytest.fixture(scope="module")
def file_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m http.server`` on a free loopback port, in a thread; answers POST with an HTML 501."""
    folder = tmp_path_factory.mktemp("www")
    (folder / "index.html").write_text("<h1>files</h1>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url


def _get_only(request: Request) -> PlainTextResponse:
    return PlainTextResponse("read-only")


def _web_page(request: Request) -> HTMLResponse:
    return HTMLResponse("<!DOCTYPE html><html><body>Welcome</body></html>")


def _plain_text_refusal(request: Request) -> PlainTextResponse:
    return PlainTextResponse("bad request: give data or url", status_code=400)


def _page_as_text(request: Request) -> PlainTextResponse:
    return PlainTextResponse("<!DOCTYPE html><html><body>Service moved</body></html>", status_code=400)


def _json_labelled_html(request: Request) -> Response:
    body = b'{"error_code": "AIS.0101", "error_msg": "The input parameter is invalid."}'
    return Response(body, status_code=400, media_type="text/html")


GET_ONLY = Starlette(routes=[Route(PATH, _get_only, methods=["GET"])])
PAGE_AS_TEXT = Starlette(routes=[Route(PATH, _page_as_text, methods=["POST"])])
JSON_LABELLED_HTML = Starlette(routes=[Route(PATH, _json_labelled_html, methods=["POST"])])
WEB_APP = Starlette(routes=[Route(PATH, _web_page, methods=["GET", "POST"])])
PLAIN_TEXT_API = Starlette(routes=[Route(PATH, _plain_text_refusal, methods=["POST"])])


def _verify(url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDCLASSIFY_", "CLOUD_SDK_"))}
    env["IDCLASSIFY_TOKEN"] = DEFAULT_TOKEN
    return subprocess.run([*VERIFY, "--base-url", url, "--project-id", DEFAULT_PROJECT_ID, *extra], cwd=tmp_path,
                          capture_output=True, text=True, check=False, env=env, timeout=300)  # fmt: skip


def _refused_at_the_probe(done: subprocess.CompletedProcess[str], said: str) -> None:
    output = (done.stdout + done.stderr).strip()
    assert done.returncode not in (0, 1), output  # a usage error, not a score
    assert len(output.splitlines()) <= 3, output
    assert said in output and "it does not serve this API" in output and "check --base-url" in output, output
    assert "Traceback" not in output and "passed" not in output and "failed" not in output, output


def test_python_http_server_is_refused_at_the_probe(file_server: str, tmp_path: Path) -> None:
    _refused_at_the_probe(_verify(file_server, tmp_path), "answered 501, a web page")


def test_a_server_serving_the_path_to_get_alone_is_refused_at_the_probe(tmp_path: Path) -> None:
    with serve_in_thread(GET_ONLY) as url:
        _refused_at_the_probe(_verify(url, tmp_path), "answered 405, POST is not served there")


def test_a_web_app_answering_with_a_page_is_refused_at_the_probe(tmp_path: Path) -> None:
    with serve_in_thread(WEB_APP) as url:
        _refused_at_the_probe(_verify(url, tmp_path), "answered 200, a web page")


def test_a_page_sent_as_plain_text_is_refused_at_the_probe(tmp_path: Path) -> None:
    with serve_in_thread(PAGE_AS_TEXT) as url:
        _refused_at_the_probe(_verify(url, tmp_path), "answered 400, a web page")


@pytest.mark.parametrize("app", [PLAIN_TEXT_API, JSON_LABELLED_HTML], ids=["plain-text-errors", "json-labelled-html"])
def test_a_server_of_this_api_with_faulty_error_bodies_is_judged_not_refused(app: Starlette, tmp_path: Path) -> None:
    with serve_in_thread(app) as url:
        done = _verify(url, tmp_path, "-k", "request.image.side-min")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]  # judged: its clauses fail
    assert "does not serve this API" not in output
    assert "FAIL" in output, output[-3000:]
