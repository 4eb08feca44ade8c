"""The Starlette application: routing, request ids, fault injection and the validation order.

Validation order (each step answers at once; later steps never run):

0. routing: a path other than ``/v2/{project_id}/ocr/auto-id-doc-classification``, or a method
   other than POST on it -> 404 APIG.0101 (the gateway matches an API by method and path);
1. fault injection, when the run's schedule or the ``X-Idclassify-Fault`` header asks for one;
2. body size from ``Content-Length`` -> 413 APIG.0201, before a byte of the body is read;
3. authentication from the headers alone: X-Auth-Token, or an SDK-HMAC-SHA256 signature's form,
   date and access key -> 401 APIG.0301; project id -> 403 APIG.0302 (no body is held for a
   client without a credential);
4. the body read within ``body_timeout`` -> 400 ModelArts.4104, taking room in the body budget
   for its bytes as they arrive (waits up to ``body_budget_wait``) -> 429 ModelArts.4401, and while
   streaming (chunked bodies) past the limit -> 413 APIG.0201; then the signature against the
   body's hash -> 401 APIG.0301;
5. body not JSON (or not UTF-8) -> ModelArts.4105;
6. ``data`` over the base64 limit -> ModelArts.4104;
7. body not an object, both or neither of data and url, wrong JSON types -> AIS.0101;
8. ``data``: prefixed, not base64, non-canonical -> AIS.0102;
   ``url``: raw non-ASCII -> AIS.0101, scheme or host refused -> ModelArts.4601,
   download failed -> ModelArts.4603;
9. format not JPEG/PNG/BMP/TIFF by its leading bytes -> AIS.0102;
10. a side outside 15..8192 read from the header, before any decoding -> AIS.0103;
11. truncated or corrupt image data -> AIS.0104;
12. no document found -> AIS.0105; otherwise 200 with ``result``.

The codes of the undocumented cases are settings whose defaults are the catalogue's assumed clauses.

Steps 5-8 (parsing) run on the event loop for a body of at most 256 KiB and 16 commas (a request
has one or two; ``INLINE_PARSE_BYTES``), otherwise in worker threads, at most ``parse_concurrency``
at a time per app; steps 9-12 (decoding and analysing the image) are CPU-bound: they run in worker
threads, at most ``recognition_concurrency`` at a time per app; other requests wait their turn
without a thread.
docs/reference/security.md lists every bound.
The recognition engine is warmed up when the server starts (the app's lifespan), so the first
request is served as fast as the next.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import traceback
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pytest_idclassify.emulator._admin import admin_routes
from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._auth import authenticate, authenticate_headers
from pytest_idclassify.emulator._budget import BodyBudget, declared_length, read_body
from pytest_idclassify.emulator._double import Note, TestDouble
from pytest_idclassify.emulator._faults import FAULT_HEADER, Fault, FaultSchedule, parse_fault
from pytest_idclassify.emulator._pipeline import Parsed, parse_body, recognise
from pytest_idclassify.emulator._settings import EmulatorSettings
from pytest_idclassify.emulator._stubs import Stub, documented_refusal
from pytest_idclassify.emulator._urlfetch import AllowList, fetch_image
from pytest_idclassify.errors import ConfigurationError

API_PATH = "/v2/{project_id}/ocr/auto-id-doc-classification"
FAULT_ERROR_HEADER = "X-Idclassify-Fault-Error"
_JSON = "application/json;charset=utf-8"
#: a body up to this size, of at most INLINE_PARSE_COMMAS commas (a request has one or two), is parsed
#: on the event loop: its JSON and base64 take a fraction of a millisecond, less than handing it to a
#: worker thread and back.  Others go to the threads that ``parse_concurrency`` caps: 256 KiB of
#: small JSON values takes 5-16 ms to parse, which would hold up every other client of the loop.
INLINE_PARSE_BYTES = 256 * 1024
INLINE_PARSE_COMMAS = 16
_logger = logging.getLogger("pytest_idclassify.emulator")


class ConnectionDropped(Exception):
    """Raised to make the server close the connection without an answer (the ``drop`` fault)."""


class _DropAsAsked(logging.Filter):
    """Turn uvicorn's "Exception in ASGI application" for a ``drop`` fault into one INFO line.

    The exception is how the emulator makes uvicorn close the connection with nothing sent; a fault
    the test asked for is no crash, and an ERROR with a traceback per drop would read as one in CI logs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, ConnectionDropped):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "the drop fault closed a connection without an answer, as asked", ()
            record.exc_info = record.exc_text = None
        return True


_DROP_AS_ASKED = _DropAsAsked()


def _request_id(scope: Scope) -> str:
    state: dict[str, Any] = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        rid = state["request_id"] = uuid.uuid4().hex
    return str(rid)


def _error_response(refusal: Refusal, request_id: str, settings: EmulatorSettings) -> Response:
    body = refusal.body(request_id, with_request_id=settings.apig_request_id_in_body)
    return Response(body, status_code=refusal.status, headers=refusal.headers, media_type=_JSON)


class _RequestIdMiddleware:
    """Stamps every answer with X-Request-Id and turns an unexpected failure into 500 APIG.0601."""

    def __init__(self, app: ASGIApp, settings: EmulatorSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = False

        async def stamped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # Read again: a proxied or replayed answer carries the real service's request id.
                stamp = _request_id(scope)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", stamp.encode("ascii", "replace")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        except ConnectionDropped:
            raise
        except Exception:
            # Bad input must never get here; if it does it is the emulator's bug, logged and answered
            # as the gateway answers an internal failure.
            _logger.exception("emulator failure on request %s", request_id)
            if started:
                raise
            await _error_response(Refusal("APIG.0601"), request_id, self.settings)(scope, receive, stamped)


class _Endpoint:
    """The one API route, as a raw ASGI endpoint so the drop and truncate faults can reach the wire."""

    def __init__(self, settings: EmulatorSettings, upstream: Any = None) -> None:
        self.settings = settings
        self.allow = AllowList.parse(settings.url_allow)
        run_fault = parse_fault(settings.fault, source="setting fault") if settings.fault else None
        self.schedule = FaultSchedule(
            run_fault, every=settings.fault_every, probability=settings.fault_probability, seed=settings.fault_seed
        )
        # Each decoding thread holds a full-size raster and its working copies: without a cap, a burst of
        # clients meets anyio's 40 default threads and the process's memory grows with them, for no
        # throughput a CPU-bound step can gain beyond the CPUs there are.
        self.recognition_limiter = anyio.CapacityLimiter(settings.recognition_concurrency)
        # Parsing holds the body's text, the JSON document and the decoded bytes at once: four times
        # the body; capped like recognition, so a burst of large requests cannot multiply that.
        self.parse_limiter = anyio.CapacityLimiter(settings.parse_concurrency)
        self.body_budget = BodyBudget(settings.body_budget)
        self.double = TestDouble.from_settings(settings, upstream=upstream)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        fault: Fault | None = None
        note = self.double.note()
        error_code: str | None = None
        try:
            if request.method != "POST":
                raise Refusal("APIG.0101", reason=f"method {request.method} is not routed")
            fault = self._fault(request)
            if fault is not None:
                if fault.latency:
                    await anyio.sleep(fault.latency)
                await self._early_fault(fault, request, send)
            response = await self._serve(request, note)
        except Refusal as refusal:
            error_code = refusal.code
            note.reason = refusal.reason or None
            response = _error_response(refusal, _request_id(scope), self.settings)
        except ClientDisconnect:
            # Nobody is left to answer: one line, no traceback, nothing sent.
            _logger.info("request %s: the client hung up before its body was complete", _request_id(scope))
            return
        self.double.journal_answer(scope, note, response.status_code, error_code, _request_id(scope))
        if fault is not None and fault.kind == "truncate":
            await _send_truncated(response, send)
            return
        await response(scope, receive, send)

    def _fault(self, request: Request) -> Fault | None:
        header = request.headers.get(FAULT_HEADER) if self.settings.fault_header else None
        if header is not None:
            try:
                return parse_fault(header)
            except ConfigurationError as exc:
                raise Refusal("AIS.0101", headers={FAULT_ERROR_HEADER: str(exc)[:500]}, reason=str(exc)) from None
        return self.schedule.next()

    async def _early_fault(self, fault: Fault, request: Request, send: Send) -> None:
        if fault.kind == "throttle":
            retry = fault.retry_after if fault.retry_after is not None else self.settings.retry_after
            raise Refusal("APIG.0308", limit=self.settings.throttle_limit, headers={"Retry-After": str(retry)})
        if fault.kind == "error":
            # As a stub of the code answers: APIG.0308 with its limit and Retry-After, APIG.0301 with a reason.
            limit, retry = self.settings.throttle_limit, self.settings.retry_after
            code, message = str(fault.code), fault.message
            raise documented_refusal(code, message, FAULT_HEADER, throttle_limit=limit, retry_after=retry)
        if fault.kind == "drop":
            # Read what the client sent, so the close is a clean end of stream rather than a reset.
            async for _chunk in request.stream():
                pass
            # uvicorn marks the response started, then refuses the out-of-range status before writing a
            # byte; the exception that follows makes it close the transport with nothing sent.
            with contextlib.suppress(Exception):
                await send({"type": "http.response.start", "status": 99, "headers": []})
            raise ConnectionDropped("fault injection: drop")

    async def _serve(self, request: Request, note: Note) -> Response:
        settings = self.settings
        declared = declared_length(request)
        if declared is not None and declared > settings.body_limit:
            raise Refusal("APIG.0201", message="Request entity too large.", reason=f"Content-Length {declared}")
        scope = request.scope
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        identity = {
            "method": request.method,
            "raw_path": raw_path.decode("latin-1"),
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            "raw_headers": scope["headers"],
            "project_id": request.path_params["project_id"],
            "settings": settings,
        }
        caller = authenticate_headers(**identity)  # a signed request's identity waits for its body
        budget = self.body_budget.account(
            wait=settings.body_budget_wait, retry_after=settings.retry_after, declared=declared
        )
        async with budget as room:
            body = await read_body(request, limit=settings.body_limit, timeout=settings.body_timeout, room=room)
            if caller is None:
                caller = authenticate(body=body, **identity)
            return await self._answer(request, note, body, caller, identity["headers"])

    async def _parse(self, body: bytes) -> Parsed:
        """Parse the body: a small one at once, a larger one on a worker thread (``parse_concurrency`` at once)."""
        if len(body) <= INLINE_PARSE_BYTES and body.count(b",") <= INLINE_PARSE_COMMAS:
            return parse_body(body, self.settings)
        return await anyio.to_thread.run_sync(_framelessly, parse_body, body, self.settings, limiter=self.parse_limiter)

    async def _stub_before_forwarding(self, body: bytes, headers: dict[str, str]) -> tuple[Stub, bool] | None:
        """In proxy and replay modes, the stub that answers this request instead (and its ``alarm``), if any.

        The body is parsed only to match stubs: one the emulator would refuse goes upstream untouched,
        and a URL is matched as given, never fetched here.
        """
        try:
            parsed = await self._parse(body)
        except Refusal:
            return None
        stub = self.double.stubs.first_match(headers=headers, url=parsed.url, image=parsed.data)
        return None if stub is None else (stub, parsed.alarm)

    async def _answer(
        self, request: Request, note: Note, body: bytes, caller: str, headers: dict[str, str]
    ) -> Response:
        """Steps after authentication: throttling, then proxy or replay, or parsing, stubs and recognition.

        ``headers`` are the request's, names in lower case.
        """
        settings, scope, double = self.settings, request.scope, self.double
        double.throttle(caller)
        if double.forwards:
            matched = await self._stub_before_forwarding(body, headers) if len(double.stubs) else None
            if matched is not None:
                note.summarise(body)
                note.stub = matched[0].name
                return _json_response(double.stub_answer(matched[0], alarm=matched[1]))
            # The real service (or its recording) judges the body: nothing of it is parsed here.
            note.summarise(body)
            answer = await double.forward(scope["path"], body, headers)
            note.error_code = answer.error_code
            scope["state"]["request_id"] = answer.headers.get("x-request-id") or _request_id(scope)
            return Response(answer.body, status_code=answer.status, headers=_passed_back(answer.headers))
        try:
            parsed = await self._parse(body)
        except Refusal:
            note.summarise(body)
            raise
        note.summarise(body, parsed)
        del body
        image = parsed.data
        stub = double.stubs.first_match(headers=headers, url=parsed.url, image=image)
        if stub is None and parsed.url is not None:
            image = await fetch_image(
                parsed.url,
                allow=self.allow,
                timeout=settings.fetch_timeout,
                max_bytes=settings.fetch_max_bytes,
                max_redirects=settings.fetch_max_redirects,
                refused_code=settings.code_url_refused,
                raw_code=settings.code_raw_non_ascii_url,
                failed_code=settings.code_url_fetch_failed,
            )
            note.saw_image(image)
            stub = double.stubs.first_match(headers=headers, url=parsed.url, image=image)
        if stub is not None:
            note.stub = stub.name
            return _json_response(double.stub_answer(stub, alarm=parsed.alarm))
        assert image is not None
        work = functools.partial(_framelessly, recognise, image, alarm=parsed.alarm, settings=settings)
        del image
        result = await anyio.to_thread.run_sync(work, limiter=self.recognition_limiter)
        return _json_response(result)


def _framelessly(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; an exception leaves with the locals of its traceback's frames cleared.

    A refusal raised deep in recognition carries frames whose locals hold the decoded rasters
    (hundreds of MB for an 8192 px picture). Handed from the worker thread to the event loop, the
    exception can end in a reference cycle, which only the cyclic collector frees, and it runs by
    allocation counts, not bytes: refused pictures piled up to gigabytes before it did.
    """
    try:
        return function(*args, **kwargs)
    except BaseException as exc:
        seen: set[int] = set()
        link: BaseException | None = exc
        while link is not None and id(link) not in seen:  # the refusal, and what it was raised from
            seen.add(id(link))
            traceback.clear_frames(link.__traceback__)
            link = link.__cause__ or link.__context__
        raise


def _json_response(body: Any) -> Response:
    return Response(json.dumps(body, separators=(",", ":")).encode("utf-8"), status_code=200, media_type=_JSON)


def _passed_back(headers: Mapping[str, str]) -> dict[str, str]:
    # The request id is stamped by the middleware (from the scope), like every other answer's.
    return {k: v for k, v in headers.items() if k != "x-request-id"}


async def _send_truncated(response: Response, send: Send) -> None:
    """Announce the whole body, send half of it, and stop: the client sees a connection cut mid-answer."""
    body = bytes(response.body)
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    # Returning with the body incomplete makes uvicorn close the connection.


def _not_found(settings: EmulatorSettings) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        return _error_response(Refusal("APIG.0101"), _request_id(request.scope), settings)

    return handler


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    from pytest_idclassify.emulator import _vision

    threads = app.state.settings.opencv_threads
    if threads:
        _vision.set_threads(threads)
    # The server accepts no connection until this is done, so no request pays for the templates.
    await anyio.to_thread.run_sync(_vision.warm_up)
    yield
    await app.state.double.close()


def create_app(settings: EmulatorSettings | None = None, *, upstream: Any = None) -> Starlette:
    """Build the reference emulator as a Starlette application (see the module docstring for the order).

    A server running the app's lifespan (uvicorn, ``idclassify serve``) warms the recognition engine
    up before it accepts connections; through an in-process transport without a lifespan, the first
    request pays for it instead.  ``app.state.recognition_limiter`` and ``app.state.parse_limiter``
    are the caps on concurrent recognitions and parses, ``app.state.body_budget`` the body budget.

    ``app.state.journal`` is the request journal, ``app.state.stubs`` the stubs
    (``docs/how-to/assert-what-your-app-sent.md``, ``docs/how-to/stub-an-answer.md``).  With
    ``settings.proxy_to``, ``upstream`` is the real service's :class:`~pytest_idclassify.client.ClientConfig`
    (default: read from the client's environment variables).
    """
    settings = settings if settings is not None else EmulatorSettings()
    server_log = logging.getLogger("uvicorn.error")
    if _DROP_AS_ASKED not in server_log.filters:
        server_log.addFilter(_DROP_AS_ASKED)
    endpoint = _Endpoint(settings, upstream=upstream)
    not_found = _not_found(settings)
    double = endpoint.double
    admin = (admin_routes(double.journal, double.stubs, token=settings.admin_token, body_timeout=settings.body_timeout)
             if settings.admin_routes else [])  # fmt: skip
    app = Starlette(
        routes=[Route(API_PATH, endpoint=endpoint), *admin],
        middleware=[Middleware(_RequestIdMiddleware, settings=settings)],
        exception_handlers={404: not_found, 405: not_found},
        lifespan=_lifespan,
    )
    # A trailing slash is another API to the gateway, not a redirect.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.recognition_limiter = endpoint.recognition_limiter
    app.state.parse_limiter = endpoint.parse_limiter
    app.state.body_budget = endpoint.body_budget
    app.state.double = double
    app.state.journal = double.journal
    app.state.stubs = double.stubs
    return app
