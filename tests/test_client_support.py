"""Loopback servers shared by the client tests, and the tests of ``serve_in_thread`` itself."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.errors import TransportError

PROJECT_ID = "0123456789abcdef0123456789abcdef"
AK = "HPUAEXAMPLEAK0000001"
SK = "exampleSecretKey0000000000000000000000sk"
OK_BODY = {
    "result": {
        "type": "passport",
        "location": [[1, 2], [30, 2], [30, 20], [1, 20]],
        "confidence": 0.98,
    }
}


@dataclass(frozen=True)
class Seen:
    """One request as the loopback server received it."""

    method: str
    raw_path: bytes
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.decode("latin-1").lower() == name.lower():
                return value.decode("utf-8")
        return None


@dataclass
class Recorder:
    """A Starlette app that records requests and answers from a script (then 200 with ``OK_BODY``)."""

    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST", "PUT"])])

    def answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Recorder:
        raw = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.script.append((status, headers or {}, raw))
        return self

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.seen.append(
                Seen(
                    request.method,
                    request.scope["raw_path"],
                    request.scope["query_string"],
                    list(request.scope["headers"]),
                    body,
                )
            )
            number = len(self.seen)
            status, headers, raw = self.script.pop(0) if self.script else (200, {}, json.dumps(OK_BODY).encode())
        headers = {"X-Request-Id": f"req-{number:04d}", "Content-Type": "application/json", **headers}
        return Response(raw, status_code=status, headers=headers)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def served(recorder: Recorder) -> Iterator[str]:
    with serve_in_thread(recorder.app) as url:
        yield url


def test_serve_in_thread_serves_on_a_free_loopback_port_and_stops(recorder: Recorder) -> None:
    with serve_in_thread(recorder.app) as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(url + "/anything", content=b"x")
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "req-0001"
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "/anything", content=b"x")


def test_serve_in_thread_reports_a_port_in_use(recorder: Recorder) -> None:
    with serve_in_thread(recorder.app) as url:
        port = int(url.rsplit(":", 1)[1])
        with (
            pytest.raises(TransportError, match=f"cannot bind 127.0.0.1:{port}"),
            serve_in_thread(recorder.app, port=port),
        ):
            pass


def test_serve_in_thread_reports_a_failed_startup() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(TransportError, match="failed to start"), serve_in_thread(app):
        pass
