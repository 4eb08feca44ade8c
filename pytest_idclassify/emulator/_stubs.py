"""Stubs: "for this image (or this header), answer that", checked against the contract when they are loaded.

A stub is a rule with a ``match`` and an ``answer``.  It matches when every condition it names
holds: ``image_sha256`` (of the decoded image bytes), ``label`` (embedded in the image's metadata,
see :func:`~pytest_idclassify.emulator.embed_label`), ``url`` (the request's ``url`` exactly) and
``header`` (request headers, names case-insensitive, values exact).  Its answer is either a
``result`` (the body of a 200 answer) or a documented ``error`` code (with an optional ``message`` for
codes the table lists more than once); the status and message come from the error-code table.

Stubs are tried in the order they were added (a file's order, then run-time additions); the first
that matches answers.  They apply after authentication and the body's JSON and field checks, before
the image is checked or recognised, so a stub can answer any image, even one the emulator would
refuse.  A stub's answer is validated against the schemas when it is added: a stub that breaks the
contract is refused with the clause it breaks.

Alarms follow the request, as the contract says: a ``result`` stub's ``alarm_result`` and
``alarm_confidence`` are left out when the request did not ask for alarms, and an all-clear set
(every flag false, every score 0) is answered when it asked and the stub gives none.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_idclassify._json_words import lone_surrogate
from pytest_idclassify.errors import StubError

_CONDITIONS = ("image_sha256", "label", "url", "header")
_STUBS_DOC = "docs/how-to/stub-an-answer.md"


@dataclass(frozen=True)
class Stub:
    """One rule: when ``match`` holds, answer ``result`` (a 200 body's ``result``) or ``error`` (a documented code)."""

    name: str
    image_sha256: str | None = None
    label: str | None = None
    url: str | None = None
    header: tuple[tuple[str, str], ...] = ()
    result: Mapping[str, Any] | None = None
    error: str | None = None
    message: str | None = None

    @property
    def needs_image(self) -> bool:
        """Whether the rule can only be decided once the image bytes are known."""
        return self.image_sha256 is not None or self.label is not None

    def matches(self, *, headers: Mapping[str, str], url: str | None, image_sha256: str | None,
                label: str | None) -> bool:  # fmt: skip
        """Whether every condition of the rule holds for this request (``headers`` with lower-case names)."""
        if self.image_sha256 is not None and self.image_sha256 != image_sha256:
            return False
        if self.label is not None and self.label != label:
            return False
        if self.url is not None and self.url != url:
            return False
        return all(headers.get(name) == value for name, value in self.header)

    def to_dict(self) -> dict[str, Any]:
        """The rule in the file format (what ``GET /__idclassify/stubs`` lists)."""
        match: dict[str, Any] = {k: getattr(self, k) for k in ("image_sha256", "label", "url") if getattr(self, k)}
        if self.header:
            match["header"] = dict(self.header)
        answer: dict[str, Any] = {"result": dict(self.result)} if self.result is not None else {"error": self.error}
        if self.message is not None:
            answer["message"] = self.message
        return {"name": self.name, "match": match, "answer": answer}

    def answer_body(self, *, alarm: bool) -> dict[str, Any]:
        """The 200 body this stub answers to a request that asked for alarms (``alarm``) or not."""
        assert self.result is not None
        result = {k: v for k, v in self.result.items() if k not in ("alarm_result", "alarm_confidence")}
        if alarm:
            result["alarm_result"] = dict(self.result.get("alarm_result") or _all_clear(False))
            result["alarm_confidence"] = dict(self.result.get("alarm_confidence") or _all_clear(0))
        return {"result": result}


def _all_clear(value: Any) -> dict[str, Any]:
    from pytest_idclassify._tables import documented_tables

    table = "Table 6" if isinstance(value, bool) else "Table 7"
    return {row.name: value for row in documented_tables()[table].rows}


def _lone_surrogate_in(value: Any) -> str | None:
    """The first lone surrogate in the strings (keys included) of ``value``, if any."""
    if isinstance(value, str):
        return lone_surrogate(value)
    if isinstance(value, Mapping):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple)):
        return next((found for item in value if (found := _lone_surrogate_in(item)) is not None), None)
    return None


def parse_stub(item: Any, *, where: str, alarm_threshold: int | None = None) -> Stub:
    """Build a stub from its file form, checking its shape and that its answer keeps the contract.

    Raises:
        StubError: naming ``where``, what is wrong and, for an answer that breaks the contract, the clause.

    """
    if not isinstance(item, Mapping):
        raise StubError(f"{where}: a stub is an object with 'match' and 'answer', got {item!r:.80} (see {_STUBS_DOC})")
    lone = _lone_surrogate_in(item)
    if lone is not None:
        raise StubError(f"{where}: holds a lone surrogate ({lone!a}), a character UTF-8 has no bytes for; "
                        "write the character it was meant to be, or leave it out")  # fmt: skip
    unknown = sorted(set(item) - {"name", "match", "answer"})
    if unknown:
        raise StubError(f"{where}: unknown key(s) {unknown}; a stub has 'name', 'match' and 'answer'")
    name = item.get("name", where)
    if not isinstance(name, str) or not name:
        raise StubError(f"{where}: 'name' must be a non-empty string")
    if "name" in item:
        where = f"{where} ({name})"
    match, answer = item.get("match"), item.get("answer")
    if not isinstance(match, Mapping) or not match:
        raise StubError(f"{where}: 'match' must name at least one of {', '.join(_CONDITIONS)}")
    bad = sorted(set(match) - set(_CONDITIONS))
    if bad:
        raise StubError(f"{where}: cannot match on {bad}; use {', '.join(_CONDITIONS)}")
    header = match.get("header", {})
    if not isinstance(header, Mapping) or not all(isinstance(v, str) for v in header.values()):
        raise StubError(f"{where}: match.header must map header names to exact string values")
    for key in ("image_sha256", "label", "url"):
        if key in match and (not isinstance(match[key], str) or not match[key]):
            raise StubError(f"{where}: match.{key} must be a non-empty string")
    sha = match.get("image_sha256")
    if sha is not None and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
        raise StubError(f"{where}: match.image_sha256 must be 64 lower-case hex digits (sha256 of the image bytes)")
    stub = Stub(
        name=name,
        image_sha256=sha,
        label=match.get("label"),
        url=match.get("url"),
        header=tuple((str(k).lower(), v) for k, v in header.items()),
        **_answer(answer, where),
    )
    _check_contract(stub, where, alarm_threshold)
    return stub


def _answer(answer: Any, where: str) -> dict[str, Any]:
    if not isinstance(answer, Mapping) or ("result" in answer) == ("error" in answer):
        raise StubError(f"{where}: 'answer' must hold exactly one of 'result' (a 200 result) or 'error' (a code)")
    unknown = sorted(set(answer) - {"result", "error", "message"})
    if unknown:
        raise StubError(f"{where}: unknown answer key(s) {unknown}; use 'result', or 'error' with optional 'message'")
    if "result" in answer:
        if "message" in answer:
            raise StubError(f"{where}: 'message' goes with 'error' only")
        if not isinstance(answer["result"], Mapping):
            raise StubError(f"{where}: answer.result must be an object (type, location, confidence...)")
        return {"result": dict(answer["result"])}
    code, message = answer["error"], answer.get("message")
    if not isinstance(code, str) or (message is not None and not isinstance(message, str)):
        raise StubError(f"{where}: answer.error must be an error code string, and message a string")
    return {"error": code, "message": message}


def _check_contract(stub: Stub, where: str, alarm_threshold: int | None = None) -> None:
    from pytest_idclassify.catalogue import ALARM_THRESHOLD
    from pytest_idclassify.validation import validate_response

    if stub.result is not None:
        asks_alarm = "alarm_result" in stub.result or "alarm_confidence" in stub.result
        body, status = stub.answer_body(alarm=asks_alarm), 200
        request: dict[str, Any] = {"alarm": asks_alarm}
    else:
        refusal = documented_refusal(str(stub.error), stub.message, where)
        body = json.loads(refusal.body("0" * 32, with_request_id=False))
        status, request = refusal.status, {}
    threshold = ALARM_THRESHOLD if alarm_threshold is None else alarm_threshold
    violations = validate_response(body, status=status, request=request, strict=True, alarm_threshold=threshold)
    if violations:
        listed = "; ".join(f"{v.pointer or '/'}: {v.message} [{v.clause}]" for v in violations)
        about_alarms = any(v.pointer.startswith("/result/alarm_") for v in violations)
        hint = _half_of_alarms(stub) if about_alarms else ""
        raise StubError(f"{where}: the answer breaks the contract: {listed}{hint} (see docs/reference/clauses.md)")


def _half_of_alarms(stub: Stub) -> str:
    """Why a flag or score the stub never gave shows up in its violations: the half it left out is filled all clear."""
    given = [name for name in ("alarm_result", "alarm_confidence") if stub.result and name in stub.result]
    if len(given) != 1:
        return ""
    missing = "alarm_confidence" if given == ["alarm_result"] else "alarm_result"
    return (
        f"; the stub gives {given[0]} without {missing}, which is filled all clear (every "
        f"{'score 0' if missing == 'alarm_confidence' else 'flag false'}): give both"
    )


def documented_refusal(code: str, message: str | None = None, where: str = "stub", *, throttle_limit: int = 20,
                       retry_after: int = 1) -> Any:  # fmt: skip
    """The :class:`Refusal` of a documented error ``code`` (status and message from the error-code table).

    As the emulator answers them itself: APIG.0308 with ``limit:throttle_limit`` and a
    ``Retry-After`` of ``retry_after`` seconds; APIG.0301 with one of the gateway's reasons, the one
    ``message`` names (the reason alone or the whole message), "decrypt token fail" when none does.
    An error stub and a fault (``error=CODE``) answer their code alike.

    Raises:
        StubError: naming ``where``: ``code`` is not documented, or has no such ``message``.

    """
    from pytest_idclassify._tables import documented_tables
    from pytest_idclassify.emulator._answers import Refusal

    if code == "APIG.0301":
        return Refusal(code, suffix=_auth_reason(message, where, documented_tables().error(code).message))
    if code == "APIG.0308" and message is None:
        return Refusal(code, limit=throttle_limit, headers={"Retry-After": str(retry_after)})
    try:
        return Refusal(code, message=message)
    except KeyError:
        rows = [e.message for e in documented_tables().error_codes if e.code == code]
        if rows:
            raise StubError(f"{where}: {code} has no message {message!r}; leave message out, or use one of "
                            f"{rows}") from None  # fmt: skip
        known = sorted({e.code for e in documented_tables().error_codes})
        raise StubError(f"{where}: {code!r} is not a documented error code; use one of {known}") from None


def _auth_reason(message: str | None, where: str, prefix: str) -> str:
    from pytest_idclassify.emulator._auth import AUTH_REASONS

    if message is None:
        return "decrypt token fail"
    reason = message.removeprefix(prefix)
    if any(reason == r or (r.endswith(": ") and reason.startswith(r) and len(reason) > len(r)) for r in AUTH_REASONS):
        return reason
    shown = ", ".join(repr(r + ("<time>" if r.endswith(": ") else "")) for r in AUTH_REASONS)
    raise StubError(f"{where}: APIG.0301 has no reason {message!r}; its message is {prefix!r} and one of {shown}")


@dataclass
class StubBook:
    """The emulator's stubs, in the order they were added; thread-safe.

    ``alarm_threshold`` is the emulator's: a stub's alarm flags must agree with its scores by it.
    """

    alarm_threshold: int | None = None
    _stubs: list[Stub] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _unnamed: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def unnamed_names(self, count: int, also_taken: Iterable[str] = ()) -> list[str]:
        """``count`` names for stubs posted without one, ``posted stub N``: no stub's now, none this book gave before.

        ``also_taken`` are the names of the batch being posted with them.
        """
        with self._lock:
            taken = {stub.name for stub in self._stubs} | set(also_taken)
            fresh = (name for name in (f"posted stub {n}" for n in self._unnamed) if name not in taken)
            return list(itertools.islice(fresh, count))

    def add_all(self, stubs: list[Stub]) -> list[str]:
        """Add already checked stubs at once, each replacing the stub of its name; return the names replaced."""
        with self._lock:
            position = {existing.name: index for index, existing in enumerate(self._stubs)}
            replaced = [stub.name for stub in stubs if stub.name in position]
            for stub in stubs:
                if stub.name in position:
                    self._stubs[position[stub.name]] = stub
                else:
                    position[stub.name] = len(self._stubs)
                    self._stubs.append(stub)
        return replaced

    def add(self, stub: Stub | Mapping[str, Any]) -> Stub:
        """Add a stub (a :class:`Stub`, or its file form, validated); a stub with the same name is replaced in place."""
        where = f"stub {len(self._stubs) + 1}"
        parsed = stub if isinstance(stub, Stub) else parse_stub(stub, where=where, alarm_threshold=self.alarm_threshold)
        if isinstance(stub, Stub):
            _check_contract(parsed, f"stub {parsed.name}", self.alarm_threshold)
        self.add_all([parsed])
        return parsed

    def extend(self, items: Iterable[Stub | Mapping[str, Any]]) -> list[Stub]:
        """Add several stubs in order."""
        return [self.add(item) for item in items]

    def remove(self, name: str) -> bool:
        """Remove the stub called ``name``; tell whether there was one."""
        with self._lock:
            kept = [s for s in self._stubs if s.name != name]
            removed = len(kept) != len(self._stubs)
            self._stubs = kept
        return removed

    def clear(self) -> int:
        """Remove every stub; return how many there were."""
        with self._lock:
            count = len(self._stubs)
            self._stubs = []
        return count

    def all(self) -> list[Stub]:
        """The stubs in matching order."""
        with self._lock:
            return list(self._stubs)

    def __len__(self) -> int:
        with self._lock:
            return len(self._stubs)

    def snapshot(self) -> tuple[Stub, ...]:
        """The stubs as they are now, for :meth:`restore`."""
        return tuple(self.all())

    def restore(self, stubs: tuple[Stub, ...]) -> None:
        """Put back exactly the stubs a :meth:`snapshot` took: added ones go, replaced or removed ones return."""
        with self._lock:
            self._stubs = list(stubs)

    def __iter__(self) -> Iterator[Stub]:
        """The stubs in matching order (a snapshot: adding or removing meanwhile is safe)."""
        return iter(self.all())

    def first_match(self, *, headers: Mapping[str, str], url: str | None, image: bytes | None) -> Stub | None:
        """The first stub whose conditions hold; rules that need the image are skipped while ``image`` is ``None``."""
        stubs = self.all()
        if not stubs:
            return None
        sha, label = None, None
        if image is not None and any(stub.needs_image for stub in stubs):  # a digest costs a pass over megabytes
            import hashlib

            from pytest_idclassify.emulator._labels import read_label

            sha, label = hashlib.sha256(image).hexdigest(), read_label(image)
        for stub in stubs:
            if stub.needs_image and image is None:
                continue
            if stub.matches(headers=headers, url=url, image_sha256=sha, label=label):
                return stub
        return None


def load_stubs(path: str | Path, *, alarm_threshold: int | None = None) -> list[Stub]:
    """Read the stubs of a JSON, TOML or YAML file: ``{"stubs": [...]}`` (or a bare list in JSON/YAML).

    Raises:
        StubError: the file is missing, unreadable, or a stub in it is malformed or breaks the contract.

    """
    file = Path(path)
    if not file.is_file():
        raise StubError(f"stubs file {file} does not exist; pass an existing JSON, TOML or YAML file")
    text = file.read_text(encoding="utf-8")
    try:
        document = _parse_document(text, file.suffix.lower())
    except ValueError as exc:
        raise StubError(f"stubs file {file} cannot be parsed: {exc}") from None
    items = document.get("stubs") if isinstance(document, Mapping) else document
    if not isinstance(items, list):
        raise StubError(f"stubs file {file} must hold a list of stubs under 'stubs' (see {_STUBS_DOC})")
    return [
        parse_stub(item, where=f"{file} stub {index + 1}", alarm_threshold=alarm_threshold)
        for index, item in enumerate(items)
    ]


def _parse_document(text: str, suffix: str) -> Any:
    """Parse a stubs file by its suffix; every parser's error comes out as a ``ValueError``."""
    if suffix == ".toml":
        from pytest_idclassify.emulator._settings import _toml_loads

        return _toml_loads(text)  # tomllib's errors are ValueErrors
    if suffix in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(str(exc)) from None
    return json.loads(text)
