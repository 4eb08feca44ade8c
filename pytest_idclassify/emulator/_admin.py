"""Admin routes under ``/__idclassify/``: the request journal and the stubs, for tests in any language.

``GET /__idclassify/requests`` lists the journal (filters as query parameters: ``status``,
``error_code``, ``image_sha256``, ``label``, ``alarm``, ``stub``..., and ``header=Name:value``,
repeatable), ``DELETE`` clears it;
``GET /__idclassify/stubs`` lists the stubs, ``POST`` adds one (or ``{"stubs": [...]}``), validated
as a stubs file is, ``DELETE`` removes them all and ``DELETE /__idclassify/stubs/{name}`` one.

Who may call them: with an ``admin_token`` set, any client that sends it in
``X-Idclassify-Admin-Token``; without one, clients on this machine (loopback addresses) only.
``idclassify serve`` turns the routes off when it listens beyond loopback without a token.  With
``admin_routes`` off the prefix is just another unknown path (404 APIG.0101).

Building an answer (a journal of many thousand entries, a long list of stubs checked against the
contract) runs on a worker thread: the event loop keeps serving meanwhile, and keeps the heartbeat
that ``serve --workers`` judges a worker by.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._budget import read_body
from pytest_idclassify.emulator._journal import Journal
from pytest_idclassify.emulator._stubs import StubBook, parse_stub
from pytest_idclassify.errors import StubError

ADMIN_PREFIX = "/__idclassify"
ADMIN_TOKEN_HEADER = "X-Idclassify-Admin-Token"
_BOOL = {"true": True, "false": False}
_INT_FILTERS = ("status",)
#: the most bytes a POST of stubs may hold: a stub is a few hundred bytes, a long list some KB.
STUBS_BODY_LIMIT = 1 << 20


def _loopback(host: str | None) -> bool:
    if host in (None, "localhost", "testclient"):
        # In-process transports (httpx's ASGITransport, Starlette's TestClient) have no socket at all.
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


class _Guard:
    def __init__(self, token: str) -> None:
        self.token = token

    def refusal(self, request: Request) -> Response | None:
        if self.token:
            given = request.headers.get(ADMIN_TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8")):
                return JSONResponse({"error": f"send the admin token in {ADMIN_TOKEN_HEADER}"}, status_code=401)
            return None
        client = request.client.host if request.client else None
        if not _loopback(client):
            return JSONResponse(
                {"error": "admin routes answer clients on this machine only; set admin_token to allow others"},
                status_code=403,
            )
        return None


def _filters(request: Request) -> dict[str, Any]:
    """The journal filters of the query; a malformed one raises TypeError (answered 400) naming the form."""
    out: dict[str, Any] = {}
    for name, value in request.query_params.multi_items():
        if name in _INT_FILTERS:
            if not (value.isascii() and value.isdigit() and len(value) <= 3):
                raise TypeError(f"{name}={value[:20]!r} is not an HTTP status; e.g. {name}=400")
            out[name] = int(value)
        elif name == "alarm":
            out[name] = _BOOL.get(value.lower(), value)
        elif name == "header":
            # header=Name:value, repeatable; names compare case-insensitively, as HTTP's do.
            header, colon, wanted = value.partition(":")
            if not (colon and header.strip()):
                raise TypeError(f"header={value!r} is not Name:value; e.g. header=X-App-Version:1.2")
            out.setdefault("header", {})[header.strip().lower()] = wanted.strip()
        else:
            out[name] = value
    return out


def _add_stubs(stubs: StubBook, raw: bytes) -> Response:
    """Parse a POST of stubs, check each against the contract and add it; the answer to the POST."""
    try:
        document = json.loads(raw)
        items = document["stubs"] if isinstance(document, dict) and "stubs" in document else [document]
        if not isinstance(items, list):
            raise StubError("'stubs' must be a list")
        threshold = stubs.alarm_threshold
        added = [
            stubs.add(parse_stub(item, where=f"posted stub {i + 1}", alarm_threshold=threshold))
            for i, item in enumerate(items)
        ]
    except (ValueError, StubError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except RecursionError:
        return JSONResponse({"error": "the posted JSON nests too deep to be a stub"}, status_code=400)
    return JSONResponse({"added": [s.name for s in added]}, status_code=201)


def admin_routes(journal: Journal, stubs: StubBook, *, token: str, body_timeout: float = 30.0) -> list[Route]:
    """The admin routes over ``journal`` and ``stubs``, guarded as the module docstring says.

    A posted stub body is held to :data:`STUBS_BODY_LIMIT` bytes and ``body_timeout`` seconds, as
    the API's bodies are to theirs.
    """
    guard = _Guard(token)

    async def requests(request: Request) -> Response:
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        if request.method == "DELETE":
            return JSONResponse({"cleared": journal.clear()})

        def listed() -> Response:
            try:
                entries = journal.filter(**_filters(request))
            except TypeError as exc:  # a filter the journal does not know, or malformed
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse({"requests": [e.to_dict() for e in entries]})

        return await anyio.to_thread.run_sync(listed)

    async def stub_list(request: Request) -> Response:
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        if request.method == "DELETE":
            return JSONResponse({"removed": stubs.clear()})
        if request.method == "POST":
            try:
                raw = await read_body(request, limit=STUBS_BODY_LIMIT, timeout=body_timeout)
            except Refusal as refusal:
                why = f"stubs are posted as at most {STUBS_BODY_LIMIT} bytes of JSON, sent within {body_timeout:g} s"
                return JSONResponse({"error": f"{refusal.reason}: {why}"}, status_code=400)
            return await anyio.to_thread.run_sync(_add_stubs, stubs, raw)
        return await anyio.to_thread.run_sync(lambda: JSONResponse({"stubs": [s.to_dict() for s in stubs.all()]}))

    async def stub_one(request: Request) -> Response:
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        name = request.path_params["name"]
        if stubs.remove(name):
            return JSONResponse({"removed": [name]})
        return JSONResponse({"error": f"no stub named {name!r}"}, status_code=404)

    return [
        Route(f"{ADMIN_PREFIX}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/stubs", stub_list, methods=["GET", "POST", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/stubs/{{name}}", stub_one, methods=["DELETE"]),
    ]
