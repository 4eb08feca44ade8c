"""Matching on a request's meaning, and the message for a request that matches nothing."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from pytest_idclassify.cassettes._canonical import parse_json
from pytest_idclassify.cassettes._digest import DIGEST_KEY, is_image_digest

#: How a miss message says to re-record a ``use_cassette`` cassette, unless the caller gives its own command:
#: the record mode is ``use_cassette``'s own argument, so that is what the hint names.
RERECORD_HINT = (
    "re-record: run this test once with use_cassette({path!r}, record_mode='rewrite') against the real target "
    "('new_episodes' adds the new request and keeps the rest; 'once' records a cassette that does not exist), "
    "then set record_mode back to 'none'"
)


#: a URL on this machine: the port is whatever was free when it was served, so it is not compared.
_LOOPBACK_PORT = re.compile(r"^(https?://(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])):\d+(?=/|$)")


def _reduce(value: Any, *, by_recipe: bool = False) -> Any:
    """Reduce digests to what identifies the bytes: an image's sha256 and how it was encoded.

    ``by_recipe`` reduces an image the toolkit rendered to its recipe, format and size instead: what
    identifies it whatever the rendering libraries' versions.  Loopback URLs lose their port: an
    image server on this machine takes a free port each run.
    """
    if isinstance(value, str):
        return _LOOPBACK_PORT.sub(r"\1:{port}", value)
    if isinstance(value, dict):
        if DIGEST_KEY in value and isinstance(value[DIGEST_KEY], dict):
            return {DIGEST_KEY: value[DIGEST_KEY].get("sha256")}
        if is_image_digest(value) and "length" in value:
            if by_recipe and value.get("recipe"):
                return {name: value.get(name) for name in ("recipe", "format", "width", "height", "encoding")}
            return {"sha256": value["sha256"], "encoding": value.get("encoding", "base64")}
        return {k: _reduce(v, by_recipe=by_recipe) for k, v in value.items()}
    if isinstance(value, list):
        return [_reduce(v, by_recipe=by_recipe) for v in value]
    return value


@lru_cache(maxsize=256)
def _body_meaning(body: bytes | None, by_recipe: bool = False) -> str:
    if not body:
        return "null"
    ok, value = parse_json(body)
    if not ok:
        return "raw:" + body.hex() if len(body) < 4096 else "raw-long:" + str(hash(body))
    reduced = _reduce(value, by_recipe=by_recipe)
    return str(json.dumps(reduced, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def _body_bytes(request: Any) -> bytes | None:
    body = request.body
    return body.encode("utf-8") if isinstance(body, str) else body


def body_meaning(request: Any) -> str:
    """Return a request's body as it is compared: canonical JSON with digests reduced to their sha256."""
    return _body_meaning(_body_bytes(request))


def path_and_query(request: Any) -> str:
    """Return the path and query of a (canonical) request's URI: the host and port are not compared."""
    parts = urlsplit(str(request.uri))
    return str(parts.path) + (f"?{parts.query}" if parts.query else "")


def match_path(r1: Any, r2: Any) -> None:
    """Compare paths (with ``{project_id}``) and queries (signed values hidden); vcrpy matcher."""
    a, b = path_and_query(r1), path_and_query(r2)
    if a != b:
        raise AssertionError(f"path {a} != {b}")


def match_key(request: Any) -> tuple[str, str, str]:
    """Return what two requests must share to match: method, path and query, and body meaning.

    Two (canonical) requests match under :func:`match_path` and :func:`match_body` (and vcrpy's
    method matcher) exactly when their keys are equal, so interactions can be indexed by it.
    """
    return str(request.method), path_and_query(request), body_meaning(request)


def recipe_images(request: Any) -> list[dict[str, Any]]:
    """Return the digests of a request's images that name the recipe the toolkit rendered them from."""
    body = _body_bytes(request)
    ok, value = parse_json(body) if body else (False, None)
    found: list[dict[str, Any]] = []
    stack = [value] if ok else []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if is_image_digest(item) and item.get("recipe"):
                found.append(item)
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def recipe_key(request: Any) -> tuple[str, str, str] | None:
    """Return :func:`match_key` with each rendered image reduced to its recipe; ``None`` when none names one."""
    if not recipe_images(request):
        return None
    return str(request.method), path_and_query(request), _body_meaning(_body_bytes(request), True)


def _libraries(images: list[dict[str, Any]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for image in images:
        merged.update(image.get("rendered_with") or {})
    return merged


def _changed(now: dict[str, str], then: dict[str, str]) -> list[str]:
    """The libraries, sorted, whose versions differ (one absent on either side included)."""
    return [lib for lib in sorted(set(now) | set(then)) if now.get(lib) != then.get(lib)]


#: the libraries whose release alone may change a recipe's bytes without changing what it draws;
#: this package is not one of them: its own release may change the recipe's renderer.
_THIRD_PARTY = frozenset({"OpenCV", "Pillow", "numpy"})


def rendering_change(request: Any, recorded: Any) -> str | None:
    """Name the rendering libraries whose releases differ between a request's images and the recorded ones.

    ``None`` when no third-party library differs: the images then differ because the recipe's
    renderer changed, and the recorded answer is not this image's.  A library a recording did not
    note counts as changed.
    """
    now, then = _libraries(recipe_images(request)), _libraries(recipe_images(recorded))
    changed = [lib for lib in _changed(now, then) if lib in _THIRD_PARTY]
    if not changed:
        return None
    return ", ".join(f"{lib} {now.get(lib, '(absent)')} (recorded: {then.get(lib, 'not noted')})" for lib in changed)


def match_body(r1: Any, r2: Any) -> None:
    """Compare bodies by meaning: fields, ``url``, ``alarm``, and ``data`` by its digest; vcrpy matcher."""
    a, b = body_meaning(r1), body_meaning(r2)
    if a != b:
        raise AssertionError(f"body {a:.200} != {b:.200}")


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value and not (is_image_digest(value) and "length" in value):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def request_fields(request: Any) -> dict[str, Any]:
    """Return a request's compared fields, flat: ``method``, ``path``, ``body.<field>`` (data as its digest)."""
    fields: dict[str, Any] = {"method": request.method, "path": path_and_query(request)}
    body = _body_bytes(request)
    if not body:
        fields["body"] = None
        return fields
    ok, value = parse_json(body)
    if not ok:
        fields["body"] = f"<{len(body)} bytes, not JSON>"
    elif isinstance(value, dict) and DIGEST_KEY not in value:
        _flatten(value, "body", fields)
    else:
        fields["body"] = value
    return fields


def show_value(value: Any) -> str:
    """Show a field's value for a message: digests as ``sha256:<12 hex>… (<length> bytes, <format> WxH)``."""
    if isinstance(value, dict) and DIGEST_KEY in value and isinstance(value[DIGEST_KEY], dict):
        value = value[DIGEST_KEY]
    if is_image_digest(value) and "length" in value:
        size = f" {value['width']}x{value['height']}" if value.get("width") else ""
        fmt = f", {value['format']}{size}" if value.get("format") else ""
        enc = ", not strict base64" if value.get("encoding") == "text" else ""
        recipe = f", recipe {value['recipe']!r}" if value.get("recipe") else ""
        return f"sha256:{value['sha256'][:12]}… ({value['length']} bytes{fmt}{enc}{recipe})"
    return json.dumps(value, ensure_ascii=False)[:120]


def describe_request(request: Any) -> str:
    """One line per field of a request, data shown as its digest."""
    return "\n".join(f"    {name} = {show_value(value)}" for name, value in request_fields(request).items())


def field_diff(now: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    """Return ``name: recorded X, now Y`` lines for every field that differs (absent ones included)."""
    lines = []
    for name in [*recorded, *(n for n in now if n not in recorded)]:
        a, b = recorded.get(name, "<absent>"), now.get(name, "<absent>")
        if _reduce(a) != _reduce(b):
            shown_a = a if a == "<absent>" else show_value(a)
            shown_b = b if b == "<absent>" else show_value(b)
            lines.append(f"    {name}: recorded {shown_a}, now {shown_b}")
    return lines


def _data_digest(request: Any) -> dict[str, Any] | None:
    body = _body_bytes(request)
    ok, value = parse_json(body) if body else (False, None)
    data = value.get("data") if ok and isinstance(value, dict) else None
    return data if is_image_digest(data) else None


def _rendering_note(request: Any, recorded: list[Any]) -> str | None:
    now = _data_digest(request)
    if now is None or not now.get("recipe"):
        return None
    for other in recorded:
        then = _data_digest(other)
        if then is None or then.get("recipe") != now["recipe"] or then["sha256"] == now["sha256"]:
            continue
        libs_now: dict[str, str] = now.get("rendered_with") or {}
        libs_then: dict[str, str] = then.get("rendered_with") or {}
        changed = _changed(libs_now, libs_then)
        if changed:
            under = ", ".join(f"{n} {libs_now.get(n, '(absent)')}" for n in changed)
            when = ", ".join(f"{libs_then.get(n, '(absent)')}" for n in changed)
            return (
                f"the image for recipe {now['recipe']!r} renders differently under {under} than when recorded "
                f"({when}): sha256 {then['sha256'][:12]}… then, {now['sha256'][:12]}… now"
            )
        return (
            f"the image for recipe {now['recipe']!r} renders differently than when recorded although the "
            f"rendering libraries are the same ({', '.join(f'{k} {v}' for k, v in sorted(libs_now.items()))}): "
            "the recipe's renderer changed"
        )
    return None


def miss_message(cassette: Any, request: Any, hint: str | None) -> str:
    """Compose the message for a request that no recorded interaction in ``cassette`` matches."""
    from vcr.matchers import requests_match

    path = cassette._path
    mode = getattr(cassette.record_mode, "value", cassette.record_mode)
    lines = [f"no recorded interaction in {path} matches this request (record mode {mode!r}; the network is blocked):"]
    lines.append(describe_request(request))
    recorded = [stored for stored, _ in cassette.data]
    if not recorded:
        lines.append("  the cassette does not exist or holds no interactions")
    else:
        played = [i for i, stored in enumerate(recorded) if requests_match(request, stored, cassette._match_on)]
        by_recipe = cassette.by_recipe(request) if hasattr(cassette, "by_recipe") else []
        if not played and by_recipe:
            index, change = by_recipe[0]
            lines.append(
                f"  it matches recorded interaction {index + 1} of {len(recorded)} by recipe (drawn with {change}), "
                f"already played: the test sends this request more times ({cassette.play_counts[index] + 1}) "
                "than were recorded"
            )
        elif played:
            lines.append(
                f"  it matches recorded interaction {played[0] + 1} of {len(recorded)}, already played: the test "
                f"sends this request more times ({cassette.play_counts[played[0]] + 1}) than were recorded"
            )
        else:
            now = request_fields(request)
            scored = []
            for index, stored in enumerate(recorded):
                fields = request_fields(stored)
                same = sum(1 for k in set(now) | set(fields) if _reduce(now.get(k)) == _reduce(fields.get(k)))
                scored.append((-same, index, fields))
            _, index, fields = min(scored, key=lambda item: (item[0], item[1]))
            lines.append(f"  closest recorded: interaction {index + 1} of {len(recorded)}, which differs in")
            lines += field_diff(now, fields)
            note = _rendering_note(request, recorded)
            if note:
                lines.append(f"  {note}")
    lines.append(f"  {hint or RERECORD_HINT.format(path=str(path))}")
    return "\n".join(lines)
