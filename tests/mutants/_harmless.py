"""Harmless variants: the independent server changed in ways the documentation allows.

Each must pass the gate as the unchanged server does; a clause reported against one is a false
alarm of the suite.  They run served on a real port, so the changes reach the client as bytes on
the wire (header spellings, connection handling, latency), not as Python objects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from independent_server import create_independent_app
from starlette.types import ASGIApp

from mutants._asgi import Answer, Rewrite, Seen
from mutants._served import Latency

#: how late every answer of the slow variant starts.
LATENCY_SECONDS = 0.15


@dataclass(frozen=True)
class Harmless:
    """A correct server that differs from the independent one in an allowed way."""

    name: str
    change: str
    wrap: Callable[[ASGIApp], ASGIApp]

    def app(self) -> ASGIApp:
        """A fresh independent server with the change applied."""
        return self.wrap(create_independent_app())


def _with_header(answer: Answer, name: str, value: str) -> Answer:
    kept = tuple((k, v) for k, v in answer.headers if k != name)
    return replace(answer, headers=(*kept, (name, value)))


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


def _extra_result_field(seen: Seen, answer: Answer) -> Answer:
    if answer.result is None:
        return answer
    return answer.with_json({**answer.json, "result": {**answer.result, "side": "front"}})


def _whole_confidence(seen: Seen, answer: Answer) -> Answer:
    # confidence is a Float: 1.0 is as good as 0.9, where the Integer fields' 139.0 is not.
    if answer.result is None:
        return answer
    return answer.with_json({**answer.json, "result": {**answer.result, "confidence": 1.0}})


def _pretty_reordered(seen: Seen, answer: Answer) -> Answer:
    if answer.json is None:
        return answer
    text = json.dumps(_reversed_keys(answer.json), indent=4, ensure_ascii=False)
    return replace(answer, body=text.encode("utf-8"))


def _error_request_id(seen: Seen, answer: Answer) -> Answer:
    # error-codes.md: gateway error bodies may carry a request_id, new on every call.
    if answer.json is None or "error_code" not in answer.json:
        return answer
    return answer.with_json({**answer.json, "request_id": uuid.uuid4().hex})


#: the OCR error-code page's ModelArts answer to each APIG.0301 token reason it documents too.
_PLATFORM_TOKEN_ANSWERS = {
    "x-auth-token not found": ("ModelArts.4101", "Token header cannot be empty."),
    "decrypt token fail": ("ModelArts.0203", "Invalid token."),
}


def _platform_token_codes(seen: Seen, answer: Answer) -> Answer:
    # error-codes.md documents both layers' codes for a missing and an invalid token, and not which answers.
    document = answer.json
    if not (isinstance(document, dict) and document.get("error_code") == "APIG.0301"):
        return answer
    reason = str(document.get("error_msg", "")).rpartition(": ")[2]
    if reason not in _PLATFORM_TOKEN_ANSWERS:
        return answer
    code, message = _PLATFORM_TOKEN_ANSWERS[reason]
    return answer.with_json({"error_code": code, "error_msg": message})


def _nothing_found_near_the_side_limit(seen: Seen) -> Answer | None:
    # A recogniser may find no document in a picture this large: AIS.0105 says so, and is no size refusal.
    image = seen.image
    if image is None or max(image.width, image.height) <= 8000:
        return None
    return Answer.of_json(400, {"error_code": "AIS.0105", "error_msg": "Recognition failed."})


def _after(hook: Callable[[Seen, Answer], Answer]) -> Callable[[ASGIApp], ASGIApp]:
    return lambda app: Rewrite(app, after=hook)


HARMLESS: tuple[Harmless, ...] = (
    Harmless("extra-result-field", "adds an undocumented field `side` to every result", _after(_extra_result_field)),
    Harmless("whole-confidence", "writes every confidence as 1.0, a Float with a whole value",
             _after(_whole_confidence)),
    Harmless("pretty-reordered", "pretty-prints JSON with every object's keys in reverse order",
             _after(_pretty_reordered)),
    Harmless("json-without-charset", "sends Content-Type application/json with no charset",
             _after(lambda s, a: _with_header(a, "content-type", "application/json"))),
    Harmless("content-type-capitalised", "sends Content-Type Application/JSON; Charset=UTF-8",
             _after(lambda s, a: _with_header(a, "content-type", "Application/JSON; Charset=UTF-8"))),
    Harmless("connection-close", "closes the connection after every answer (Connection: close)",
             _after(lambda s, a: _with_header(a, "connection", "close"))),
    Harmless("dashed-request-ids", "sends X-Request-Id as a dashed UUID",
             _after(lambda s, a: _with_header(a, "x-request-id", str(uuid.uuid4())))),
    Harmless("error-request-ids", "puts a fresh request_id into every error body", _after(_error_request_id)),
    Harmless("platform-token-codes", "answers a missing token with 401 ModelArts.4101 and an invalid one with "
             "401 ModelArts.0203, the OCR error page's codes", _after(_platform_token_codes)),
    Harmless("nothing-found-near-the-side-limit", "answers a picture with a side over 8,000 px with AIS.0105 "
             "(recognition failed), as a recogniser that finds no document there may",
             lambda app: Rewrite(app, before=_nothing_found_near_the_side_limit)),
    Harmless("latency-150ms", f"starts every answer {LATENCY_SECONDS * 1000:.0f} ms late",
             lambda app: Latency(app, LATENCY_SECONDS)),
)  # fmt: skip
