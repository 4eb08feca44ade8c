"""A thin ASGI wrapper that sees each whole request and answer, and may rewrite either."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pytest_idclassify.errors import IdClassifyError
from pytest_idclassify.images import ImageInfo, probe

_NOT_JSON = object()


@dataclass(frozen=True)
class Seen:
    """A request as the service receives it: method, path, headers (lower-case names) and body."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or ``None``."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k == wanted), None)

    def with_headers(self, **changes: str | None) -> Seen:
        """A copy with headers set (``name=value``) or removed (``name=None``); ``_`` in names means ``-``."""
        names = {k.replace("_", "-").lower(): v for k, v in changes.items()}
        kept = tuple((k, v) for k, v in self.headers if k not in names)
        return replace(self, headers=kept + tuple((k, v) for k, v in names.items() if v is not None))

    def with_json(self, document: Any) -> Seen:
        """A copy whose body is ``document`` as JSON."""
        return replace(self, body=json.dumps(document).encode("utf-8"))

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def fields(self) -> dict[str, Any]:
        """The body's JSON object, or an empty dict."""
        return self.json if isinstance(self.json, dict) else {}

    @property
    def alarm(self) -> bool:
        """Whether the body asks for alarms (``alarm`` is JSON true)."""
        return self.fields.get("alarm") is True

    @cached_property
    def image(self) -> ImageInfo | None:
        """What the header of the canonical base64 ``data`` image says, or ``None``."""
        data = self.fields.get("data")
        if not isinstance(data, str):
            return None
        try:
            return probe(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError, IdClassifyError):
            return None


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)

    @classmethod
    def of_json(cls, status: int, document: Any) -> Answer:
        """A JSON answer with an X-Request-Id, as the service sends every answer."""
        headers = (("content-type", "application/json;charset=utf-8"), ("x-request-id", uuid.uuid4().hex))
        return cls(status, headers, json.dumps(document).encode("utf-8"))

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None``."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def result(self) -> dict[str, Any] | None:
        """The ``result`` object of a 200 body, or ``None``."""
        document = self.json
        found = document.get("result") if self.status == 200 and isinstance(document, dict) else None
        return found if isinstance(found, dict) else None

    def with_json(self, document: Any, *, status: int | None = None) -> Answer:
        """A copy with ``document`` as the JSON body (and ``status`` when given)."""
        return replace(self, status=self.status if status is None else status, body=json.dumps(document).encode())

    def without_header(self, name: str) -> Answer:
        """A copy without header ``name``."""
        return replace(self, headers=tuple((k, v) for k, v in self.headers if k != name.lower()))


#: a hook run before the service: a changed request, a whole answer (the service is not called), or None.
Before = Callable[[Seen], "Seen | Answer | None"]
#: a hook run on the service's answer: the answer to send instead (or the same one).
After = Callable[[Seen, Answer], Answer]


class Rewrite:
    """Wrap an ASGI app: read the whole request, apply ``before``, call the app, apply ``after``."""

    def __init__(self, app: ASGIApp, *, before: Before | None = None, after: After | None = None) -> None:
        self.app, self.before, self.after = app, before, after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"])
        seen = Seen(scope["method"], scope["path"], headers, bytes(body))
        changed = self.before(seen) if self.before is not None else None
        if isinstance(changed, Answer):
            answer = changed
        else:
            if isinstance(changed, Seen):
                seen = changed
            answer = await _call(self.app, scope, seen)
        if self.after is not None:
            answer = self.after(seen, answer)
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers if k != "content-length"]
        raw.append((b"content-length", str(len(answer.body)).encode("ascii")))
        await send({"type": "http.response.start", "status": answer.status, "headers": raw})
        await send({"type": "http.response.body", "body": answer.body})


async def _call(app: ASGIApp, scope: Scope, seen: Seen) -> Answer:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in seen.headers if k != "content-length"]
    headers.append((b"content-length", str(len(seen.body)).encode("ascii")))
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": seen.body, "more_body": False}

    status, chunks = 500, bytearray()
    answer_headers: tuple[tuple[str, str], ...] = ()

    async def send(message: Message) -> None:
        nonlocal status, answer_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            answer_headers = tuple(
                (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.extend(message.get("body", b""))

    routed = {**scope, "headers": headers}
    if seen.path != scope["path"]:  # a hook sent the request elsewhere (raw_path kept as it came otherwise)
        routed.update(path=seen.path, raw_path=seen.path.encode("latin-1"))
    await app(routed, receive, send)
    return Answer(status, answer_headers, bytes(chunks))
