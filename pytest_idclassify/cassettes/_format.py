"""The cassette file format: compact, deterministic JSON, one file per test.

JSON rather than vcrpy's default YAML: the standard library reads it many times faster than
PyYAML (see ``benchmarks/bench_cassettes.py``), it has no implicit typing (YAML reads ``no``, ``on``
and ``1e3`` as other types), and a JSON body can be embedded as the JSON it is instead of an
escaped string, so a diff of two recordings shows changed fields, not changed lines of text.

Layout::

    {"format": "pytest-idclassify-cassette/1",
     "interactions": [{"request": {"method", "uri", "headers", "body"},
                       "response": {"status", "reason", "headers", "body"}}, ...],
     "metadata": {...}}          (only when vcrpy stored metadata)

A body is ``null``, ``{"json": value}`` (only when dumping the value compactly gives back the exact
bytes), ``{"text": str}`` or ``{"base64": str}``.  Headers are sorted by name; a header with one
value is a string, with several a list.  Nothing volatile (dates, ports of a recording server are
kept in the URI but never matched) and nothing secret is written: the serializer redacts again.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from pytest_idclassify._nesting import nests_deeper
from pytest_idclassify.cassettes._canonical import MAX_BODY_DEPTH, compact, parse_json
from pytest_idclassify.errors import CassetteError

#: The value of the ``format`` key that marks a file written by this package.
FORMAT = "pytest-idclassify-cassette/1"
#: The deepest nesting a cassette file may have: a body stored as JSON (at most MAX_BODY_DEPTH deep)
#: under the layout's own levels (document, interactions, interaction, response, body), with room
#: to spare.  No recorder writes a deeper file.
MAX_FILE_DEPTH = MAX_BODY_DEPTH + 10


def _body_out(raw: Any) -> Any:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if not raw:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}
    ok, value = parse_json(raw)
    if ok and compact(value) == text:
        return {"json": value}
    return {"text": text}


def _body_in(stored: Any, where: str) -> bytes | None:
    if stored is None:
        return None
    if not isinstance(stored, dict) or len(stored) != 1:
        raise CassetteError(f"{where}: a body must be null or one of {{json|text|base64: ...}}, got {stored!r:.80}")
    ((kind, value),) = stored.items()
    if kind == "json":
        return compact(value).encode("utf-8")
    if kind == "text" and isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if kind == "base64" and isinstance(value, str):
        return base64.b64decode(value)
    raise CassetteError(f"{where}: unknown body form {kind!r}; expected json, text or base64")


def _headers_out(headers: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(headers or {}, key=str.lower):
        values = headers[name]
        values = [str(v) for v in values] if isinstance(values, (list, tuple)) else [str(values)]
        out[name] = values[0] if len(values) == 1 else values
    return out


def _headers_in(headers: Any) -> dict[str, list[str]]:
    if not isinstance(headers, dict):
        raise CassetteError(f"headers must be an object of name: value, got {headers!r:.80}")
    return {str(k): [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in headers.items()}


def encode_interaction(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """Return one interaction in the file layout from vcrpy's dict forms (already redacted)."""
    status = response.get("status") or {}
    return {
        "request": {
            "method": request["method"],
            "uri": request["uri"],
            "headers": _headers_out(request.get("headers")),
            "body": _body_out(request.get("body")),
        },
        "response": {
            "status": int(status.get("code", 0)),
            "reason": status.get("message") or "",
            "headers": _headers_out(response.get("headers")),
            "body": _body_out((response.get("body") or {}).get("string")),
        },
    }


def decode_interaction(item: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return vcrpy's ``(request dict, response dict)`` for one stored interaction."""
    try:
        req, resp = item["request"], item["response"]
        request = {
            "method": req["method"],
            "uri": req["uri"],
            "body": _body_in(req.get("body"), f"{where} request"),
            "headers": {name: values[0] for name, values in _headers_in(req.get("headers", {})).items()},
        }
        response = {
            "status": {"code": int(resp["status"]), "message": resp.get("reason", "")},
            "headers": _headers_in(resp.get("headers", {})),
            "body": {"string": _body_in(resp.get("body"), f"{where} response") or b""},
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise CassetteError(f"{where} is not a recorded interaction ({type(exc).__name__}: {exc})") from None
    return request, response


# A container this short, holding only scalars or such short containers, is written on one line.
_INLINE = 100


def _dump(value: Any, level: int, out: list[str]) -> None:
    if isinstance(value, (dict, list)) and value:
        flat = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        if len(flat) <= _INLINE:
            out.append(flat)
            return
        pad, inner = " " * level, " " * (level + 1)
        is_dict = isinstance(value, dict)
        out.append("{\n" if is_dict else "[\n")
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        for number, (key, item) in enumerate(items):
            out.append(inner + (json.dumps(key, ensure_ascii=False) + ": " if is_dict else ""))
            _dump(item, level + 1, out)
            out.append(",\n" if number < len(items) - 1 else "\n")
        out.append(pad + ("}" if is_dict else "]"))
        return
    out.append(json.dumps(value, ensure_ascii=False))


def dumps_value(value: Any) -> str:
    """Return one value as this format writes it (an interaction's size in a file is its length)."""
    out: list[str] = []
    _dump(value, 2, out)
    return "".join(out)


def dumps_cassette(interactions: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> str:
    """Return the file text for interactions already in the file layout."""
    doc: dict[str, Any] = {"format": FORMAT, "interactions": interactions}
    if metadata:
        doc["metadata"] = metadata
    out: list[str] = []
    _dump(doc, 0, out)
    return "".join(out) + "\n"


def too_deep(text: str) -> str | None:
    """Why JSON ``text`` cannot be a recording for its nesting, or ``None`` when its depth is a recording's.

    Checked before parsing: the parser, and every tool after it, would stop at Python's recursion
    limit with a traceback instead of a message.
    """
    if not nests_deeper(text, MAX_FILE_DEPTH):
        return None
    return (
        f"nests arrays and objects more than {MAX_FILE_DEPTH} levels deep, too deeply nested to be a recording "
        f"(a body is stored as JSON up to {MAX_BODY_DEPTH} levels deep)"
    )


def loads_document(text: str, where: str) -> dict[str, Any]:
    """Parse a file in this format and check its ``format`` marker."""
    deep = too_deep(text)
    if deep is not None:
        raise CassetteError(f"{where} {deep}; re-record it or restore it from version control")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise CassetteError(f"{where} is not JSON ({exc}); re-record it or restore it from version control") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("interactions"), list):
        newer = other_release(text, where)
        if newer is not None:
            raise CassetteError(newer)
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise CassetteError(
            f"{where} is not a pytest-idclassify cassette (format {found!r}, expected {FORMAT!r}); "
            "convert a vcrpy cassette with `idclassify cassettes scrub PATH`"
        )
    return doc


_OTHER_RELEASE = re.compile(r'"format"\s*:\s*"(pytest-idclassify-cassette/[^"]{1,40})"')


def other_release(text: str, where: str) -> str | None:
    """Why ``text`` cannot be read when another pytest-idclassify release wrote its format, else ``None``.

    Such a file is no vcrpy cassette to convert: the fix is the release that reads it, or a new recording.
    """
    found = _OTHER_RELEASE.search(text[:200])
    if found is None or found.group(1) == FORMAT:
        return None
    return (f"{where} was written by another pytest-idclassify release (format {found.group(1)!r}; this "
            f"one reads {FORMAT!r}): replay it with that release, or re-record it with this one")  # fmt: skip


def is_own_format(text: str) -> bool:
    """Tell whether ``text`` looks like a file in this format (cheaply, without a full parse)."""
    return f'"format": "{FORMAT}"' in text[:200]
