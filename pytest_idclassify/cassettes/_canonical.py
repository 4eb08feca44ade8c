"""The canonical, redacted form of a request and a response: what a cassette stores and matches on.

A request is reduced to its meaning: method, path with ``{project_id}``, the signed-URL query
hidden, headers without volatile values and with secrets replaced, and a body in which ``data`` is
its digest (and any other long string, or a long non-JSON body, is a digest too).  A response keeps
everything a client reads, minus volatile headers and secrets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pytest_idclassify._json_words import compact_json
from pytest_idclassify._nesting import nests_deeper
from pytest_idclassify.cassettes._digest import DIGEST_KEY, image_digest, notes_version, text_digest
from pytest_idclassify.redaction import (
    PROJECT_PLACEHOLDER,
    RedactionPolicy,
    inflate,
)
from pytest_idclassify.redaction._bodies import redact_body_bytes

#: The policy a cassette is redacted with; the name the cassette functions have always taken.
SecretBook = RedactionPolicy

#: Request headers dropped because they change on every run and carry no meaning for matching.
VOLATILE_REQUEST_HEADERS = frozenset(
    {"date", "x-sdk-date", "user-agent", "host", "content-length", "accept", "accept-encoding", "connection"}
)
#: Response headers dropped: volatile (Date, Server) or recomputed on replay (lengths, framing).
VOLATILE_RESPONSE_HEADERS = frozenset(
    {"date", "server", "content-length", "transfer-encoding", "connection", "keep-alive", "via"}
)
#: Strings longer than this (other than ``data``, which is always digested) are stored by digest.
LONG_STRING = 512
#: Non-JSON text bodies larger than this (bytes) are stored by digest.
LONG_TEXT_BODY = 4096
#: Non-UTF-8 bodies larger than this (bytes) are stored by digest; smaller ones as base64.
LONG_BINARY_BODY = 256
_BASE64_RUN = re.compile("[A-Za-z0-9+/]{" + str(LONG_STRING) + ",}")
#: The deepest nesting of arrays and objects a body is read as JSON at (the client's default
#: ``max_json_depth``; an answer of this API nests 4 levels).  A deeper body is handled as text:
#: redacting, matching, linting and diffing walk a parsed value one call per level, and Python's
#: recursion limit would stop them partway through.
MAX_BODY_DEPTH = 100
# Parent keys whose "name" and "id" identify a person or an account (IAM bodies).
_IDENTITY_PARENTS = frozenset({"user", "domain"})


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def parse_json(raw: bytes | str) -> tuple[bool, Any]:
    """Return ``(True, value)`` when ``raw`` is UTF-8 JSON without duplicate keys, else ``(False, None)``.

    JSON nested more than :data:`MAX_BODY_DEPTH` levels deep counts as not JSON: it is kept as text.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if nests_deeper(text, MAX_BODY_DEPTH):
            return False, None
        return True, json.loads(text, object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None


#: Dump JSON the way the client and the emulator send it: no spaces, UTF-8 kept, a lone surrogate escaped.
compact = compact_json


def _redact_json(value: Any, book: SecretBook, *, parent: str = "", top: bool = False, digest: bool = True) -> Any:
    if isinstance(value, dict):
        if DIGEST_KEY in value or (top is False and parent == "data" and "sha256" in value):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            redacted: Any
            if top and key == "data" and isinstance(item, str) and digest:
                book.note("image", "data")
                redacted = image_digest(item)
            elif isinstance(item, str) and parent in _IDENTITY_PARENTS and key in ("name", "id"):
                redacted = book.hide("field", f"{parent}.{key}", item)
            elif isinstance(item, str) and parent == "project" and key == "id":
                redacted = book.hide("project-id", "project.id", item, PROJECT_PLACEHOLDER)
            elif not isinstance(item, dict) and book.is_secret_name(key):
                redacted = next(iter(book.redact_mapping({key: item}).values()))  # its key may be redacted too
            else:
                redacted = _redact_json(item, book, parent=key, digest=digest)
            out[book.redact_key(key, out)] = redacted
        return out
    if isinstance(value, list):
        return [_redact_json(item, book, parent=parent, digest=digest) for item in value]
    if isinstance(value, str):
        text = book.redact_text(value)
        if digest and len(text) > LONG_STRING:
            return {DIGEST_KEY: text_digest(text)}
        return text
    return value


@lru_cache(maxsize=8)
def _canonical_request_body(raw: bytes, book_key: tuple[tuple[str, str], ...], notes: int, names: Any) -> bytes | None:
    book = SecretBook(from_environment=False, names=names)
    for value, replacement in book_key:
        book.add(value, replacement)
    return _canonical_request_body_with(raw, book)


def _canonical_request_body_with(raw: bytes, book: SecretBook) -> bytes | None:
    ok, value = parse_json(raw)
    if ok:
        return compact(_redact_json(value, book, top=True), sort_keys=True).encode("utf-8")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        if len(raw) > LONG_BINARY_BODY:
            return compact({DIGEST_KEY: text_digest(raw)}).encode("utf-8")
        return book.scrub_bytes(raw)
    text = redact_body_bytes(raw, book).decode("utf-8")
    if len(text.encode("utf-8")) > LONG_TEXT_BODY or _BASE64_RUN.search(text):
        return compact({DIGEST_KEY: text_digest(text)}).encode("utf-8")
    return text.encode("utf-8")


def _plain_body(raw: Any) -> bytes | str | None:
    """A request body as bytes or text: a hand-written ``{string: ...}`` form (the response's) unwrapped."""
    if isinstance(raw, dict):
        raw = raw.get("string")
    return raw if isinstance(raw, (bytes, str)) else bytes(raw) if isinstance(raw, (bytearray, memoryview)) else None


def canonical_request_body(raw: Any, book: SecretBook) -> bytes | None:
    """Return the stored form of a request body (``None`` for an empty one); idempotent."""
    raw = _plain_body(raw)
    if raw is None:
        return None
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if not data:
        return None
    if book.recording_now:
        # Lint wants to hear about every replacement: no cache between it and the policy.
        return _canonical_request_body_with(data, book)
    return _canonical_request_body(data, book.key(), notes_version(), book.names)


def _single(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return str(value)


def canonical_request_headers(headers: Any, book: SecretBook) -> dict[str, str]:
    """Return request headers without volatile ones, secrets replaced, ``X-Project-Id`` a placeholder."""
    out: dict[str, str] = {}
    for name, raw in dict(headers).items():
        if name.lower() not in VOLATILE_REQUEST_HEADERS:
            out[name] = book.redact_header(name, _single(raw))
    return out


def canonical_uri(uri: str, book: SecretBook) -> str:
    """Return the stored form of a request URI (no userinfo, project id placeholder, secret parameters hidden)."""
    return book.redact_url(uri)


def _learnable_body(raw: Any) -> Any:
    raw = _plain_body(raw)
    if raw is None:
        return None
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    ok, value = parse_json(data)
    if ok:
        return value
    text = data.decode("utf-8", "replace")
    return text if len(text) <= LONG_TEXT_BODY * 256 else None


def learn_interaction(request: Any, response: dict[str, Any] | None, book: SecretBook) -> None:
    """Have ``book`` remember every secret of an exchange before any of it is redacted.

    A value named in one place (a header, a field) is then replaced wherever else it appears, even
    earlier in the exchange (a URL echoing a token sent in a header, a request echoing an answer).
    """
    book.learn_headers(dict(request.headers))
    items: list[Any] = [request.uri]
    items.append(_learnable_body(request.body_bytes if hasattr(request, "body_bytes") else request.body))
    if response is not None:
        book.learn_headers(dict(response.get("headers") or {}))
        body = response.get("body")
        if isinstance(body, dict) and "string" in body:
            items.append(_learnable_body(_decoded_body(body["string"], response.get("headers") or {})[0]))
    book.learn(*items)


def canonicalize_request(request: Any, book: SecretBook) -> Any:
    """Redact a :class:`vcr.request.Request` in place and return it (the ``before_record_request`` hook).

    Every secret of the request is learnt first, so each is replaced wherever it appears.
    """
    learn_interaction(request, None, book)
    return redact_learnt_request(request, book)


def redact_learnt_request(request: Any, book: SecretBook) -> Any:
    """Redact a request in place whose secrets ``book`` has learnt already; return it."""
    request.uri = canonical_uri(request.uri, book)
    request.headers = canonical_request_headers(request.headers, book)
    request.body = canonical_request_body(request.body_bytes if hasattr(request, "body_bytes") else request.body, book)
    return request


def _header_value(headers: Any, name: str) -> str:
    for key, raw in dict(headers).items():
        if key.lower() == name:
            return _single(raw)
    return ""


def _decoded_body(raw: Any, headers: Any) -> tuple[Any, bool]:
    """The body with its ``Content-Encoding`` undone (bounded), and whether it was decoded."""
    encoding = _header_value(headers, "content-encoding")
    if raw is None or not encoding or encoding.strip().lower() == "identity":
        return raw, False
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    decoded = inflate(data, encoding)
    if decoded is None:
        # Not decodable within the bound: what it holds cannot be checked, so it is not kept.
        return compact({DIGEST_KEY: text_digest(data)}).encode("utf-8"), True
    return decoded, True


def _redact_response_body(raw: Any, book: SecretBook, content_type: str = "") -> Any:
    if raw is None:
        return raw
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    ok, value = parse_json(data)
    if ok:
        redacted = _redact_json(value, book, digest=False)
        if redacted == value:
            return data
        return compact(redacted).encode("utf-8")
    return redact_body_bytes(data, book, content_type)


def decode_response_body(response: dict[str, Any]) -> None:
    """Undo a vcrpy response's ``Content-Encoding`` in place (bounded), dropping the header once it is undone."""
    body = response.get("body")
    if not (isinstance(body, dict) and "string" in body):
        return
    headers = response.get("headers") or {}
    body["string"], decoded = _decoded_body(body["string"], headers)
    if decoded:
        response["headers"] = {name: raw for name, raw in dict(headers).items() if name.lower() != "content-encoding"}


def canonicalize_response(response: dict[str, Any], book: SecretBook) -> dict[str, Any]:
    """Redact a vcrpy response dict in place and return it (the ``before_record_response`` hook).

    A compressed body is decoded first (and its ``Content-Encoding`` dropped), so what it holds is
    redacted like any other body.
    """
    decode_response_body(response)
    original = response.get("headers") or {}
    body = response.get("body")
    headers: dict[str, list[str]] = {}
    for name, raw in dict(original).items():
        values = [str(v) for v in raw] if isinstance(raw, (list, tuple)) else [str(raw)]
        if name.lower() in VOLATILE_RESPONSE_HEADERS:
            continue
        headers[name] = [book.redact_header(name, value) for value in values]
    response["headers"] = headers
    if isinstance(body, dict) and "string" in body:
        body["string"] = _redact_response_body(body["string"], book, _header_value(original, "content-type"))
    return response


def hooks(book: SecretBook) -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Return vcrpy's ``before_record_request`` and ``before_record_response`` hooks over ``book``."""

    def before_record_request(request: Any) -> Any:
        return canonicalize_request(request, book)

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        return canonicalize_response(response, book)

    return before_record_request, before_record_response
