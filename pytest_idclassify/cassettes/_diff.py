"""Contract drift between two recordings, at the level of shape.

Interactions are paired by request meaning (method, path, body with ``data`` as its digest), in
order.  For each pair: the status, the response header names and ``Content-Type``, and the body's
shape: fields added or missing, a field's JSON type, and the values of string fields (a document
type, an error code, an error message).  Volatile values are ignored: request ids, scores,
confidence and location (their types still count).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_idclassify._nesting import nests_deeper
from pytest_idclassify.cassettes._canonical import MAX_BODY_DEPTH, VOLATILE_RESPONSE_HEADERS, SecretBook
from pytest_idclassify.cassettes._lint import cassette_files
from pytest_idclassify.cassettes._match import body_meaning, path_and_query
from pytest_idclassify.cassettes._store import read_interactions, redact_interaction

#: Fields whose values change from call to call; only their types are compared.
VOLATILE_FIELDS = frozenset({"request_id", "confidence", "location", "expires_at", "issued_at"})
_VOLATILE_HEADERS = VOLATILE_RESPONSE_HEADERS | {"x-request-id"}
_KINDS = {"type": "enum", "error_code": "error-code", "error_msg": "error-message"}


@dataclass(frozen=True)
class Drift:
    """One difference between two recordings: its kind, where, and old and new as text."""

    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        """Render as ``where: kind: message``."""
        return f"{self.where}: {self.kind}: {self.message}"


def _type(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number" if key == "confidence" else "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _volatile(key: str) -> bool:
    return key in VOLATILE_FIELDS or key.endswith("_score")


def _shape(old: Any, new: Any, pointer: str, key: str, where: str, out: list[Drift]) -> None:
    t_old, t_new = _type(old, key), _type(new, key)
    at = f"{where} {pointer or '/'}"
    if t_old != t_new:
        out.append(Drift("type", at, f"{t_old} -> {t_new}"))
        return
    if isinstance(old, dict):
        for name in old:
            if name not in new:
                out.append(Drift("field-missing", f"{where} {pointer}/{name}", f"was {_type(old[name], name)}"))
        for name in new:
            if name not in old:
                out.append(Drift("field-added", f"{where} {pointer}/{name}", f"new {_type(new[name], name)}"))
            else:
                _shape(old[name], new[name], f"{pointer}/{name}", name, where, out)
    elif isinstance(old, list):
        if old and new:
            _shape(old[0], new[0], f"{pointer}/0", key, where, out)
    elif isinstance(old, str) and old != new and not _volatile(key):
        out.append(Drift(_KINDS.get(key, "value"), at, f"{old!r} -> {new!r}"))


def _body(response: dict[str, Any]) -> Any:
    import json

    raw = (response.get("body") or {}).get("string")
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if nests_deeper(text, MAX_BODY_DEPTH):
        # Compared as text: the shape walk below takes one call per level.
        return text
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return text


def _pair_key(request: Any) -> str:
    return f"{request.method} {path_and_query(request)} {body_meaning(request)}"


def _compare_interactions(old: dict[str, Any], new: dict[str, Any], where: str, out: list[Drift]) -> None:
    if old["status"]["code"] != new["status"]["code"]:
        out.append(Drift("status", where, f"{old['status']['code']} -> {new['status']['code']}"))
    h_old = {k.lower(): v for k, v in (old.get("headers") or {}).items() if k.lower() not in _VOLATILE_HEADERS}
    h_new = {k.lower(): v for k, v in (new.get("headers") or {}).items() if k.lower() not in _VOLATILE_HEADERS}
    for name in sorted(set(h_old) - set(h_new)):
        out.append(Drift("header-missing", where, name))
    for name in sorted(set(h_new) - set(h_old)):
        out.append(Drift("header-added", where, name))
    if "content-type" in h_old and "content-type" in h_new and h_old["content-type"] != h_new["content-type"]:
        out.append(Drift("header-value", where, f"content-type {h_old['content-type']} -> {h_new['content-type']}"))
    _shape(_body(old), _body(new), "", "", where, out)


def _read(path: Path) -> list[tuple[Any, dict[str, Any]]]:
    pairs, _meta, _kind = read_interactions(path)
    book = SecretBook(from_environment=False)
    return [redact_interaction(request, response, book) for request, response in pairs]


def diff_files(old: Path, new: Path, label: str | None = None) -> list[Drift]:
    """Return the drift between two cassette files (see :func:`diff_cassettes`)."""
    name = label or new.name
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shown: dict[str, str] = {}
    for request, response in _read(old):
        key = _pair_key(request)
        groups[key].append(response)
        shown[key] = f"{request.method} {path_and_query(request)}"
    out: list[Drift] = []
    seen: dict[str, int] = defaultdict(int)
    for number, (request, response) in enumerate(_read(new), start=1):
        key = _pair_key(request)
        where = f"{name}#{number}"
        if seen[key] < len(groups.get(key, [])):
            _compare_interactions(groups[key][seen[key]], response, where, out)
        else:
            out.append(Drift("interaction-added", where, f"{request.method} {path_and_query(request)} (not in OLD)"))
        seen[key] += 1
    for key, responses in groups.items():
        for _ in range(seen.get(key, 0), len(responses)):
            out.append(Drift("interaction-missing", name, f"{shown[key]} (in OLD, not in NEW)"))
    return out


def diff_cassettes(old: str | Path, new: str | Path) -> list[Drift]:
    """Return the contract drift from the recording ``old`` to ``new`` (two files, or two folders).

    Folders are compared file by file under the same relative names; a file on one side only is
    reported.  Either format (this package's, or plain vcrpy's) is read, redacted the same way.
    """
    old_path, new_path = Path(old), Path(new)
    if not (old_path.is_dir() and new_path.is_dir()):
        return diff_files(old_path, new_path)
    olds = {p.relative_to(old_path): p for p in cassette_files([old_path])}
    news = {p.relative_to(new_path): p for p in cassette_files([new_path])}
    out: list[Drift] = []
    for rel in sorted(set(olds) | set(news)):
        if rel not in news:
            out.append(Drift("cassette-missing", str(rel), "in OLD, not in NEW"))
        elif rel not in olds:
            out.append(Drift("cassette-added", str(rel), "in NEW, not in OLD"))
        else:
            out += diff_files(olds[rel], news[rel], str(rel))
    return out
