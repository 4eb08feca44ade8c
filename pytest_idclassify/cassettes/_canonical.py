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

from pytest_idclassify.cassettes._digest import DIGEST_KEY, image_digest, notes_version, text_digest
from pytest_idclassify.cassettes._redact import (
    PROJECT_PLACEHOLDER,
    REDACTED,
    VOLATILE_REQUEST_HEADERS,
    VOLATILE_RESPONSE_HEADERS,
    SecretBook,
    is_secret_header,
    is_secret_key,
    project_id_in_path,
    redact_authorization,
    redact_url,
)

#: Strings longer than this (other than ``data``, which is always digested) are stored by digest.
LONG_STRING = 512
#: Non-JSON text bodies larger than this (bytes) are stored by digest.
LONG_TEXT_BODY = 4096
#: Non-UTF-8 bodies larger than this (bytes) are stored by digest; smaller ones as base64.
LONG_BINARY_BODY = 256
_BASE64_RUN = re.compile("[A-Za-z0-9+/]{" + str(LONG_STRING) + ",}")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
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
    """Return ``(True, value)`` when ``raw`` is UTF-8 JSON without duplicate keys, else ``(False, None)``."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return True, json.loads(text, object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None


def compact(value: Any, *, sort_keys: bool = False) -> str:
    """Dump JSON the way the client and the emulator send it: no spaces, UTF-8 characters kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)


def _redact_json(value: Any, book: SecretBook, *, parent: str = "", top: bool = False, digest: bool = True) -> Any:
    if isinstance(value, dict):
        if DIGEST_KEY in value or (top is False and parent == "data" and "sha256" in value):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if top and key == "data" and isinstance(item, str) and digest:
                out[key] = image_digest(item)
            elif isinstance(item, str) and is_secret_key(key):
                out[key] = REDACTED if item else item
            elif isinstance(item, str) and parent in _IDENTITY_PARENTS and key in ("name", "id"):
                out[key] = REDACTED
            elif isinstance(item, str) and parent == "project" and key == "id":
                book.add(item, PROJECT_PLACEHOLDER)
                out[key] = PROJECT_PLACEHOLDER
            else:
                out[key] = _redact_json(item, book, parent=key, digest=digest)
        return out
    if isinstance(value, list):
        return [_redact_json(item, book, parent=parent, digest=digest) for item in value]
    if isinstance(value, str):
        text = book.scrub(value)
        if _URL.match(text):
            text = redact_url(text)
        if digest and len(text) > LONG_STRING:
            return {DIGEST_KEY: text_digest(text)}
        return text
    return value


@lru_cache(maxsize=8)
def _canonical_request_body(raw: bytes, book_key: tuple[tuple[str, str], ...], notes: int) -> bytes | None:
    book = SecretBook(from_environment=False)
    for value, replacement in book_key:
        book.add(value, replacement)
    ok, value = parse_json(raw)
    if ok:
        return compact(_redact_json(value, book, top=True), sort_keys=True).encode("utf-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        if len(raw) > LONG_BINARY_BODY:
            return compact({DIGEST_KEY: text_digest(raw)}).encode("utf-8")
        return raw
    text = book.scrub(text)
    if len(text.encode("utf-8")) > LONG_TEXT_BODY or _BASE64_RUN.search(text):
        return compact({DIGEST_KEY: text_digest(text)}).encode("utf-8")
    return text.encode("utf-8")


def canonical_request_body(raw: bytes | str | None, book: SecretBook) -> bytes | None:
    """Return the stored form of a request body (``None`` for an empty one); idempotent."""
    if raw is None:
        return None
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if not data:
        return None
    return _canonical_request_body(data, book.key(), notes_version())


def _single(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return str(value)


def canonical_request_headers(headers: Any, book: SecretBook) -> dict[str, str]:
    """Return request headers without volatile ones, secrets replaced, ``X-Project-Id`` a placeholder."""
    out: dict[str, str] = {}
    for name, raw in dict(headers).items():
        lowered = name.lower()
        value = _single(raw)
        if lowered in VOLATILE_REQUEST_HEADERS:
            continue
        if lowered == "authorization":
            match = re.search(r"Access=([^,\s]+)", value)
            if match is not None:
                book.add(match.group(1))
            out[name] = redact_authorization(value)
        elif lowered == "x-project-id":
            book.add(value, PROJECT_PLACEHOLDER)
            out[name] = PROJECT_PLACEHOLDER
        elif is_secret_header(name):
            book.add(value)
            out[name] = REDACTED if value else value
        else:
            out[name] = book.scrub(value)
    return out


def canonical_uri(uri: str, book: SecretBook) -> str:
    """Return the stored form of a request URI (project id placeholder, signed query hidden)."""
    from urllib.parse import urlsplit

    try:
        pid = project_id_in_path(urlsplit(uri).path)
    except ValueError:
        pid = None
    if pid:
        book.add(pid, PROJECT_PLACEHOLDER)
    return redact_url(book.scrub(uri))


def canonicalize_request(request: Any, book: SecretBook) -> Any:
    """Redact a :class:`vcr.request.Request` in place and return it (the ``before_record_request`` hook).

    The URI goes first, so the project id it carries is in ``book`` before the headers and body
    are scrubbed.
    """
    request.uri = canonical_uri(request.uri, book)
    request.headers = canonical_request_headers(request.headers, book)
    request.body = canonical_request_body(request.body_bytes if hasattr(request, "body_bytes") else request.body, book)
    return request


def _redact_response_body(raw: Any, book: SecretBook) -> Any:
    if raw is None:
        return raw
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    ok, value = parse_json(data)
    if ok:
        redacted = _redact_json(value, book, digest=False)
        if redacted == value:
            scrubbed = book.scrub(data.decode("utf-8"))
            return scrubbed.encode("utf-8")
        return compact(redacted).encode("utf-8")
    try:
        return book.scrub(data.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return data


def canonicalize_response(response: dict[str, Any], book: SecretBook) -> dict[str, Any]:
    """Redact a vcrpy response dict in place and return it (the ``before_record_response`` hook)."""
    headers: dict[str, list[str]] = {}
    for name, raw in dict(response.get("headers") or {}).items():
        values = [str(v) for v in raw] if isinstance(raw, (list, tuple)) else [str(raw)]
        lowered = name.lower()
        if lowered in VOLATILE_RESPONSE_HEADERS:
            continue
        if is_secret_header(name):
            for value in values:
                book.add(value)
            values = [REDACTED if value else value for value in values]
        else:
            values = [book.scrub(value) for value in values]
        headers[name] = values
    response["headers"] = headers
    body = response.get("body")
    if isinstance(body, dict) and "string" in body:
        body["string"] = _redact_response_body(body["string"], book)
    return response


def hooks(book: SecretBook) -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Return vcrpy's ``before_record_request`` and ``before_record_response`` hooks over ``book``."""

    def before_record_request(request: Any) -> Any:
        return canonicalize_request(request, book)

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        return canonicalize_response(response, book)

    return before_record_request, before_record_response
