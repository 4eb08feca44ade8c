"""Check cassettes before they are committed: no secrets, no image bytes, sane sizes, valid answers."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_idclassify.cassettes._canonical import SecretBook, parse_json
from pytest_idclassify.cassettes._format import (
    FORMAT,
    dumps_value,
    is_own_format,
    loads_document,
    other_release,
    too_deep,
)
from pytest_idclassify.cassettes._store import IMAGES_DIR, read_interactions, redact_interaction
from pytest_idclassify.errors import CassetteError
from pytest_idclassify.redaction import (
    ENTERPRISE_PLACEHOLDER,
    PROJECT_PLACEHOLDER,
    REDACTED,
    Redaction,
    active_rules,
)

#: The default limit on one stored interaction, in bytes of the file's text.
MAX_INTERACTION_BYTES = 8192
#: Base64 runs at least this long are taken for raw image bytes.
BASE64_RUN = 512
_CASSETTE_SUFFIXES = (".json", ".yaml", ".yml")
_TEXT_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "secret.access-key",
        re.compile(r"Access=(?!\[REDACTED\])[A-Za-z0-9]{8,}"),
        "an access key in an Authorization header",
    ),
    (
        "secret.signature",
        re.compile(
            r"(?i)\b(signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-obs-security-token|"
            r"accesskeyid|awsaccesskeyid)=(?!\[REDACTED\]|%5BREDACTED%5D)[^&\s\",]+"
        ),
        "a signature or signed-URL credential",
    ),
    ("secret.token", re.compile(r"MII[A-Za-z0-9+/=_-]{40,}"), "an IAM (PKI) token"),
    (
        "secret.password",
        re.compile(r"(?i)\"(password|passwd|secret_?key|sk)\"\s*:\s*\"(?!\[REDACTED\])[^\"]+\""),
        "a password or secret key in a body",
    ),
    (
        "secret.project-id",
        re.compile(r"/v\d+/(?!\{project_id\}|%7Bproject_id%7D)[^/\"\s]+/ocr/"),
        "a project id in a path (it should be {project_id})",
    ),
    (
        "secret.ak-like",
        re.compile(r"Authorization\"\s*:\s*\"[^\"]*\b[A-Z0-9]{20}\b"),
        "an AK-like value in Authorization",
    ),
)
_BASE64 = re.compile("[A-Za-z0-9+/]{" + str(BASE64_RUN) + ",}={0,2}")
_OCR_PATH = re.compile(r"/v\d+/[^/]+/ocr/auto-id-doc-classification$")
_WHAT = {
    "header": "header {name}",
    "query": "URL query parameter {name}",
    "fragment": "URL fragment parameter {name}",
    "field": "body field {name}",
    "form": "form field {name}",
    "userinfo": "URL userinfo (the {name} before '@')",
    "authorization": "{name}= in an Authorization header",
    "text": "{name} in a text value",
    "echo": "an echo of a value that is redacted elsewhere",
    "project-id": "a project id ({name}) instead of its placeholder",
}


@dataclass(frozen=True)
class Finding:
    """One problem in a cassette: where, which rule, and what to do about it."""

    path: str
    interaction: int | None
    rule: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        """Render as ``path[#n]: severity rule: message``."""
        where = f"{self.path}#{self.interaction + 1}" if self.interaction is not None else self.path
        return f"{where}: {self.severity} {self.rule}: {self.message}"


def cassette_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Yield the cassette files under ``paths`` (files as given; folders walked, ``images/`` skipped)."""
    for item in paths:
        path = Path(item)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                inside = found.parts[len(path.parts) :]
                if found.is_file() and found.suffix in _CASSETTE_SUFFIXES and IMAGES_DIR not in inside:
                    yield found
        else:
            yield path


def _locate(text: str, offset: int, starts: list[int]) -> int | None:
    index = None
    for number, start in enumerate(starts):
        if start <= offset:
            index = number
    return index


def _interaction_offsets(text: str) -> list[int]:
    return [m.start() for m in re.finditer(r'^  \{\n   "request"', text, re.M)]


def _text_findings(path: str, text: str, allow_images: bool) -> list[Finding]:
    starts = _interaction_offsets(text)
    out = []
    for rule, pattern, what in _TEXT_RULES:
        for match in pattern.finditer(text):
            shown = match.group()[:24] + ("…" if len(match.group()) > 24 else "")
            out.append(
                Finding(path, _locate(text, match.start(), starts), rule,
                        f"{what} is stored in clear ({shown!r}); run `idclassify cassettes scrub {path}`")
            )  # fmt: skip
    if not allow_images:
        for match in _BASE64.finditer(text):
            out.append(
                Finding(path, _locate(text, match.start(), starts), "image.bytes",
                        f"a base64 run of {len(match.group())} characters looks like image bytes; ID images are "
                        f"personal data: run `idclassify cassettes scrub {path}` (or lint with --allow-images)")
            )  # fmt: skip
    return out


def _header_findings(path: str, index: int, headers: dict[str, Any]) -> list[Finding]:
    out = []
    for name, raw in headers.items():
        values = raw if isinstance(raw, list) else [raw]
        if name.lower() == "authorization":
            for value in values:
                if value != REDACTED and not re.search(r"Signature=\[REDACTED\]", str(value)):
                    out.append(Finding(path, index, "secret.header", f"header {name} is not redacted; scrub it"))
        elif name.lower() == "x-project-id":
            if any(v != PROJECT_PLACEHOLDER for v in values):
                out.append(Finding(path, index, "secret.project-id", f"header {name} is not {PROJECT_PLACEHOLDER}"))
        elif name.lower() == "enterprise-project-id":
            if any(v not in (ENTERPRISE_PLACEHOLDER, REDACTED) for v in values):
                out.append(Finding(path, index, "secret.project-id", f"header {name} is not {ENTERPRISE_PLACEHOLDER}"))
        elif active_rules().matches(name) and any(v not in (REDACTED, "") for v in values):
            out.append(Finding(path, index, "secret.header", f"header {name} is not redacted; scrub it"))
    return out


def _policy_findings(path: Path, allow_images: bool) -> list[Finding]:
    """Redact every interaction again and report each replacement the policy makes: what scrub would remove.

    This is the same policy a recording and ``scrub`` apply, so lint flags exactly what they hide:
    secrets by name in headers, URLs, bodies and forms, echoes of them by value, URL userinfo,
    project ids, compressed bodies (decoded first) and base64 images.
    """
    where = str(path)
    try:
        pairs, _metadata, _kind = read_interactions(path)
    except CassetteError:
        return []  # the format finding already says why
    book = SecretBook()
    out: list[Finding] = []
    for index, (request, response) in enumerate(pairs):
        with book.recording() as events:
            try:
                redact_interaction(request, response, book)
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                out.append(Finding(where, index, "format", f"cannot be redacted ({type(exc).__name__}: {exc})"))
                continue
        seen: set[Redaction] = set()
        for event in events:
            if event in seen:
                continue
            seen.add(event)
            if event.kind == "image":
                if not allow_images:
                    out.append(Finding(where, index, "image.bytes",
                                       f"an image's base64 ({event.name or 'in a value'}) is stored; ID images are "
                                       f"personal data: run `idclassify cassettes scrub {where}`"))  # fmt: skip
                continue
            what = _WHAT.get(event.kind, "{name}").format(name=event.name or "value")
            out.append(Finding(where, index, f"secret.{event.kind}",
                               f"{what} is stored in clear; run `idclassify cassettes scrub {where}`"))  # fmt: skip
    return out


def _schema_findings(path: str, index: int, item: dict[str, Any]) -> list[Finding]:
    from urllib.parse import urlsplit

    from pytest_idclassify.validation import ContractDriftWarning, validate_response

    request, response = item["request"], item["response"]
    if request.get("method") != "POST" or not _OCR_PATH.search(urlsplit(request.get("uri", "")).path):
        return []
    body_form = response.get("body") or {}
    if "json" in body_form:
        body: Any = body_form["json"]
    else:
        ok, body = parse_json(body_form.get("text", ""))
        body = body if ok else body_form.get("text")
    request_form = request.get("body") or {}
    request_body = request_form.get("json") if isinstance(request_form.get("json"), dict) else None
    data = (request_body or {}).get("data")
    image_size = (data["width"], data["height"]) if isinstance(data, dict) and data.get("width") else None
    headers = {k: (v[0] if isinstance(v, list) else v) for k, v in (response.get("headers") or {}).items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ContractDriftWarning)
        violations = validate_response(
            body, status=int(response.get("status", 0)), request=request_body, image_size=image_size, headers=headers
        )
    out = [Finding(path, index, f"schema:{v.clause}", str(v)) for v in violations]
    out += [Finding(path, index, "schema.drift", str(w.message), "warning") for w in caught]
    return out


def _unparsable(text: str, path: Path) -> str | None:
    """Why ``text`` is neither JSON nor (in a ``.yaml`` or ``.yml`` file, vcrpy's format) YAML; None if it parses."""
    try:
        json.loads(text)
        return None
    except ValueError as exc:
        if path.suffix not in (".yaml", ".yml"):
            return f"is not JSON ({exc})"
    import yaml

    try:
        yaml.safe_load(text)
        return None
    except yaml.YAMLError as exc:
        return f"is neither JSON nor YAML ({str(exc).splitlines()[0]})"
    except RecursionError:
        # Nesting by indentation, which brackets do not show: PyYAML's recursion tells it.
        return "nests too deeply to be a recording"


def lint_file(
    path: Path, *, allow_images: bool = False, max_interaction_bytes: int = MAX_INTERACTION_BYTES
) -> list[Finding]:
    """Return the findings for one cassette file (see :func:`lint_cassettes`)."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Finding(where, None, "format", f"cannot be read as UTF-8 text: {exc}")]
    deep = too_deep(text) if text.lstrip()[:1] in ("{", "[") else None
    if deep is not None:
        # Not parsed (the parser would stop at Python's recursion limit); its text is still searched.
        message = f"{deep}; re-record it or restore it from version control"
        return [Finding(where, None, "format", message), *_text_findings(where, text, allow_images)]
    out = _text_findings(where, text, allow_images) + _policy_findings(path, allow_images)
    if not is_own_format(text):
        unreadable = _unparsable(text, path)
        newer = other_release(text, "it")  # the finding names the file already
        if newer is not None:
            message = newer
        elif unreadable is not None:  # neither format: scrub could not convert it either
            message = f"{unreadable}; re-record it or restore it from version control"
        else:
            message = (
                f"not a {FORMAT} file (a plain vcrpy cassette?); convert it with `idclassify cassettes scrub {where}`"
            )
        out.insert(0, Finding(where, None, "format", message))
        return out
    try:
        doc = loads_document(text, where)
    except CassetteError as exc:
        return [*out, Finding(where, None, "format", str(exc))]
    for index, item in enumerate(doc["interactions"]):
        size = len(dumps_value(item).encode("utf-8"))
        if size > max_interaction_bytes:
            out.append(Finding(where, index, "size",
                               f"takes {size} bytes, over the limit of {max_interaction_bytes}; large values should "
                               "be stored by digest: scrub the cassette"))  # fmt: skip
        try:
            out += _header_findings(where, index, item["request"].get("headers") or {})
            out += _header_findings(where, index, item["response"].get("headers") or {})
            out += _schema_findings(where, index, item)
        except (KeyError, TypeError, AttributeError) as exc:
            out.append(Finding(where, index, "format", f"is not a recorded interaction ({type(exc).__name__}: {exc})"))
    return out


def lint_cassettes(
    paths: Iterable[str | Path], *, allow_images: bool = False, max_interaction_bytes: int = MAX_INTERACTION_BYTES
) -> list[Finding]:
    """Return every finding in the cassettes under ``paths`` (files, or folders walked for ``*.json``/``*.yaml``).

    Errors: secrets in clear (access keys and signatures in ``Authorization``, tokens, signed-URL
    parameters, passwords, a project id in a path), raw image bytes (base64 runs of 512 characters
    or more) unless ``allow_images``, an interaction over ``max_interaction_bytes``, a response to
    the API that breaks a clause (:func:`pytest_idclassify.validation.validate_response`), and a file
    not in this package's format.  Warnings: undocumented fields or codes (contract drift).
    """
    out: list[Finding] = []
    for path in cassette_files(paths):
        out += lint_file(path, allow_images=allow_images, max_interaction_bytes=max_interaction_bytes)
    return out
