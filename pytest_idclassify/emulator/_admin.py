"""Admin routes under ``/__idclassify/``: the request journal and the stubs, for tests in any language.

``GET /__idclassify/requests`` lists the journal (filters as query parameters: ``status``,
``error_code``, ``image_sha256``, ``label``, ``alarm``, ``stub``..., and ``header=Name:value``,
repeatable), ``DELETE`` clears it;
``GET /__idclassify/stubs`` lists the stubs, ``POST`` adds one (or ``{"stubs": [...]}``), validated
as a stubs file is, ``DELETE`` removes them all and ``DELETE /__idclassify/stubs/{name}`` one.

Who may call them (:mod:`~pytest_idclassify.emulator._admin_guard`): with an ``admin_token`` set,
any client that sends it in ``X-Idclassify-Admin-Token``; without one, clients on this machine
(loopback addresses) only, addressing it by a loopback name or address.  Never a web page of
another origin, and a body only as ``application/json``.  ``idclassify serve`` turns the routes off
when it listens beyond loopback without a token.  With ``admin_routes`` off the prefix is just
another unknown path (404 APIG.0101).

Building an answer (a journal of many thousand entries, a long list of stubs checked against the
contract) runs on a worker thread: the event loop keeps serving meanwhile, and keeps the heartbeat
that ``serve --workers`` judges a worker by.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pytest_idclassify._json_words import compact_json
from pytest_idclassify.emulator._admin_guard import AdminGuard
from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._budget import read_body
from pytest_idclassify.emulator._journal import Journal
from pytest_idclassify.emulator._stubs import StubBook, parse_stub
from pytest_idclassify.errors import StubError


class _Json(JSONResponse):
    """A JSON answer any reader can take: a lone surrogate a client sent (and the journal kept) stays escaped.

    Starlette writes the characters themselves, and UTF-8 has no bytes for a lone surrogate: the
    listing that held one would fail with a 500 for every later caller.
    """

    def render(self, content: Any) -> bytes:
        """The body's bytes."""
        return compact_json(content).encode("utf-8")


ADMIN_PREFIX = "/__idclassify"
_BOOL = {"true": True, "false": False}
_INT_FILTERS = ("status",)
#: an HTTP method as RFC 9110 spells one (a token), of a bounded length.
_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA256_EXAMPLE = "image_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#: the most bytes a POST of stubs may hold: a stub is a few hundred bytes, a long list some KB.
STUBS_BODY_LIMIT = 1 << 20


def _filters(request: Request, project_id: str) -> dict[str, Any]:
    """The journal filters of the query; a malformed one raises TypeError (answered 400) naming the form.

    Values are put as the journal stores them (a method in upper case, a path with ``{project_id}``),
    and one that no entry could hold is refused rather than left to match nothing.
    """
    out: dict[str, Any] = {}
    for name, value in request.query_params.multi_items():
        if name in out and name != "header":
            raise TypeError(f"{name} is given twice; an entry has one {name}: ask once per value")
        if name in _INT_FILTERS:
            if not (value.isascii() and value.isdigit() and len(value) == 3 and "100" <= value <= "599"):
                raise TypeError(f"{name}={value[:20]!r} is not an HTTP status (100-599); e.g. {name}=400")
            out[name] = int(value)
        elif name == "alarm":
            if value.lower() not in _BOOL:
                raise TypeError(f"alarm={value[:20]!r} is not true or false; e.g. alarm=true")
            out[name] = _BOOL[value.lower()]
        elif name == "method":
            if not _METHOD.fullmatch(value):
                raise TypeError(f"method={value[:20]!r} is not an HTTP method; e.g. method=POST")
            out[name] = value.upper()  # the journal holds the method as sent: in upper case, as clients send it
        elif name == "path":
            out[name] = _journal_path(value, project_id)
        elif name == "image_sha256":
            if not _SHA256.fullmatch(value.lower()):
                raise TypeError(f"image_sha256={value[:20]!r} is not a sha256 (64 hex digits); e.g. {_SHA256_EXAMPLE}")
            out[name] = value.lower()
        elif name == "header":
            # header=Name:value, repeatable; names compare case-insensitively, as HTTP's do.
            header, colon, wanted = value.partition(":")
            if not (colon and header.strip()):
                raise TypeError(f"header={value!r} is not Name:value; e.g. header=X-App-Version:1.2")
            headers = out.setdefault("header", {})
            if header.strip().lower() in headers:
                raise TypeError(f"header={value[:40]!r} names a header given already; ask once per header")
            headers[header.strip().lower()] = wanted.strip()
        else:
            out[name] = value
    return out


def _journal_path(value: str, project_id: str) -> str:
    """A path filter as the journal stores paths: the project id as ``{project_id}``."""
    if not value.startswith("/") or "?" in value or len(value) > 8192:
        example = "path=/v2/{project_id}/ocr/auto-id-doc-classification"
        raise TypeError(f"path={value[:40]!r} is not a request path without query; e.g. {example}")
    from pytest_idclassify.cassettes._canonical import canonical_uri
    from pytest_idclassify.redaction import RedactionPolicy

    # The journal's own redaction, so the project id sent in any case becomes the placeholder.
    return canonical_uri(value, RedactionPolicy(project_ids=[project_id] if project_id else [], from_environment=False))


def _not_json(word: str) -> Any:
    raise ValueError(f"{word} is not JSON: write the number, or leave the field out")


def _add_stubs(stubs: StubBook, raw: bytes) -> Response:
    """Parse a POST of stubs, check each against the contract, then add them all; the answer to the POST.

    All or nothing: a batch with one bad stub adds none.  A stub posted without a name gets one no
    other stub had (``posted stub N``), so it never replaces another; one named like an existing
    stub replaces it, and the answer lists it under ``replaced`` too.
    """
    try:
        document = json.loads(raw, parse_constant=_not_json)
        items = document["stubs"] if isinstance(document, dict) and "stubs" in document else [document]
        if not isinstance(items, list):
            raise StubError("'stubs' must be a list")
        threshold = stubs.alarm_threshold
        parsed = [parse_stub(item, where=f"posted stub {i + 1}", alarm_threshold=threshold)
                  for i, item in enumerate(items)]  # fmt: skip
        named = {stub.name for stub, item in zip(parsed, items, strict=True) if "name" in item}
        fresh = iter(stubs.unnamed_names(sum("name" not in item for item in items), named))
        parsed = [stub if "name" in item else dataclasses.replace(stub, name=next(fresh))
                  for stub, item in zip(parsed, items, strict=True)]  # fmt: skip
        names = [stub.name for stub in parsed]
        twice = next((name for name, count in Counter(names).items() if count > 1), None)
        if twice is not None:
            first, second = (i + 1 for i, name in enumerate(names) if name == twice)
            raise StubError(f"posted stubs {first} and {second} are both named {twice!r}; give each its own name "
                            "(a stub posted under an existing stub's name replaces it)")  # fmt: skip
    except (ValueError, StubError) as exc:
        return _Json({"error": f"{exc}; no stub was added"}, status_code=400)
    except RecursionError:
        why = "the posted JSON nests too deep to be a stub; no stub was added"
        return _Json({"error": why}, status_code=400)
    replaced = stubs.add_all(parsed)
    return _Json({"added": names, "replaced": replaced}, status_code=201)


def _no_query(request: Request, what: str) -> Response | None:
    """Refuse a DELETE with a query: it would look like a filter, and clear everything regardless."""
    if not request.url.query:
        return None
    return _Json({"error": f"DELETE {request.url.path} takes no query ({request.url.query[:60]!r}): it "
                         f"removes {what}"}, status_code=400)  # fmt: skip


def admin_routes(journal: Journal, stubs: StubBook, *, token: str, body_timeout: float = 30.0) -> list[Route]:
    """The admin routes over ``journal`` and ``stubs``, guarded as the module docstring says.

    A posted stub body is held to :data:`STUBS_BODY_LIMIT` bytes and ``body_timeout`` seconds, as
    the API's bodies are to theirs.
    """
    guard = AdminGuard(token)

    async def requests(request: Request) -> Response:
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        if request.method == "DELETE":
            return _no_query(request, "the whole journal") or _Json({"cleared": journal.clear()})

        # The settings the app was built with (create_app), for the project id the journal replaced.
        settings = getattr(request.app.state, "settings", None)
        project_id = str(getattr(settings, "project_id", ""))

        def listed() -> Response:
            try:
                entries = journal.filter(**_filters(request, project_id))
            except TypeError as exc:  # a filter the journal does not know, or malformed
                return _Json({"error": str(exc)}, status_code=400)
            return _Json({"requests": [e.to_dict() for e in entries]})

        return await anyio.to_thread.run_sync(listed)

    async def stub_list(request: Request) -> Response:
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        if request.method == "DELETE":
            every = f"every stub; remove one with DELETE {ADMIN_PREFIX}/stubs/NAME"
            return _no_query(request, every) or _Json({"removed": stubs.clear()})
        if request.method == "POST":
            try:
                raw = await read_body(request, limit=STUBS_BODY_LIMIT, timeout=body_timeout)
            except Refusal as refusal:
                why = f"stubs are posted as at most {STUBS_BODY_LIMIT} bytes of JSON, sent within {body_timeout:g} s"
                return _Json({"error": f"{refusal.reason}: {why}"}, status_code=400)
            return await anyio.to_thread.run_sync(_add_stubs, stubs, raw)
        return await anyio.to_thread.run_sync(lambda: _Json({"stubs": [s.to_dict() for s in stubs.all()]}))

    async def stub_one(request: Request) -> Response:
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        name = request.path_params["name"]
        refused = _no_query(request, f"the stub named {name!r}")
        if refused is not None:
            return refused
        if stubs.remove(name):
            return _Json({"removed": [name]})
        return _Json({"error": f"no stub named {name!r}"}, status_code=404)

    return [
        Route(f"{ADMIN_PREFIX}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/stubs", stub_list, methods=["GET", "POST", "DELETE"]),
        # A name may hold "/" (a label such as qa/passport-glare, as stubs often are named).
        Route(f"{ADMIN_PREFIX}/stubs/{{name:path}}", stub_one, methods=["DELETE"]),
    ]
