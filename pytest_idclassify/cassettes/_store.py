"""Read and write cassette files: ours, and vcrpy's own YAML or JSON; atomic writes; the image store."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from pytest_idclassify.cassettes._canonical import (
    SecretBook,
    canonicalize_response,
    decode_response_body,
    learn_interaction,
    redact_learnt_request,
)
from pytest_idclassify.cassettes._format import (
    decode_interaction,
    dumps_cassette,
    encode_interaction,
    is_own_format,
    loads_document,
    other_release,
    too_deep,
)
from pytest_idclassify.errors import CassetteError

#: The folder, next to a cassette, where opted-in images are kept (``<sha256>.b64``).
IMAGES_DIR = "images"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    Readers (another xdist worker, a crashed run's successor) see the old file or the new one,
    never half of one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_image(cassette_path: Path, sha256: str, data: str) -> Path:
    """Keep an image's base64 text at ``<cassette dir>/images/<sha256>.b64`` (once; content-addressed)."""
    target = cassette_path.parent / IMAGES_DIR / f"{sha256}.b64"
    if not target.exists():
        atomic_write(target, data)
    return target


def load_image(cassette_path: str | os.PathLike[str], sha256: str) -> str:
    """Return the base64 text of an image kept beside a cassette recorded with ``keep_images=True``.

    Raises:
        CassetteError: when the cassette was recorded without the image.

    """
    target = Path(cassette_path).parent / IMAGES_DIR / f"{sha256}.b64"
    try:
        return target.read_text(encoding="ascii")
    except FileNotFoundError:
        raise CassetteError(
            f"no image {sha256} beside {cassette_path} (looked for {target}); record with keep_images=True "
            "(--idclassify-keep-images) to keep the images out of line"
        ) from None


def _vcr_request(data: dict[str, Any]) -> Any:
    from vcr.request import Request

    return Request(data["method"], data["uri"], data.get("body"), data.get("headers") or {})


def redact_interaction(request: Any, response: dict[str, Any], book: SecretBook) -> tuple[Any, dict[str, Any]]:
    """Redact a vcrpy ``(Request, response dict)`` pair in place.

    Both sides are learnt before either is redacted, so a secret named anywhere in the exchange is
    replaced everywhere in it (an answer echoing a request's token, a request echoing an answer's).
    """
    decode_response_body(response)  # once: learning and redacting both read the decoded body
    learn_interaction(request, response, book)
    return redact_learnt_request(request, book), canonicalize_response(response, book)


def read_interactions(path: Path) -> tuple[list[tuple[Any, dict[str, Any]]], dict[str, Any], str]:
    """Read a cassette of either format as vcrpy ``(Request, response dict)`` pairs, unredacted.

    Returns the pairs, vcrpy's metadata, and the format found (``"idclassify"``, ``"vcrpy-yaml"``
    or ``"vcrpy-json"``).

    Raises:
        CassetteError: when the file is missing or is neither format.

    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CassetteError(f"no cassette at {path}; check the path, or record it first") from None
    except UnicodeDecodeError as exc:
        raise CassetteError(f"{path} is not UTF-8 text ({exc}); is it a cassette?") from None
    newer = other_release(text, str(path))
    if newer is not None:
        raise CassetteError(newer)
    if is_own_format(text):
        doc = loads_document(text, str(path))
        pairs = []
        for index, item in enumerate(doc["interactions"]):
            request, response = decode_interaction(item, f"{path} interaction {index}")
            pairs.append((_vcr_request(request), response))
        return pairs, dict(doc.get("metadata") or {}), "idclassify"
    from vcr.serialize import deserialize
    from vcr.serializers import jsonserializer, yamlserializer

    kind = "vcrpy-json" if text.lstrip().startswith("{") else "vcrpy-yaml"
    serializer = jsonserializer if kind == "vcrpy-json" else yamlserializer
    deep = too_deep(text) if kind == "vcrpy-json" else None
    if deep is not None:
        raise CassetteError(f"{path} {deep}; re-record it or restore it from version control")
    try:
        requests, responses, *meta = deserialize(text, serializer)
    except RecursionError:
        # YAML nests by indentation too, where brackets do not tell the depth: PyYAML's own limit does.
        raise CassetteError(
            f"{path} nests too deeply to be a recording; re-record it or restore it from version control"
        ) from None
    except Exception as exc:  # vcrpy and PyYAML raise a variety of errors for a file that is not a cassette
        said = " ".join(str(exc).split())  # one line: PyYAML's messages span several
        raise CassetteError(
            f"{path} is neither a pytest-idclassify cassette nor a vcrpy one ({type(exc).__name__}: {said})"
        ) from None
    return list(zip(requests, responses, strict=False)), dict(meta[0]) if meta else {}, kind


def render_interactions(
    pairs: list[tuple[Any, dict[str, Any]]], book: SecretBook, metadata: dict[str, Any] | None = None
) -> str:
    """Redact and render pairs in this package's format (the one road to a cassette file)."""
    from vcr.serializers.compat import convert_to_unicode

    items = []
    for request, response in pairs:
        request, response = redact_interaction(request, response, book)
        items.append(encode_interaction(convert_to_unicode(request._to_dict()), convert_to_unicode(response)))
    return dumps_cassette(items, metadata)


#: The metadata key of a cassette that records a skip: the case did not run on the target recorded from.
SKIP_KEY = "skipped"


def record_skip(cassette_path: str | os.PathLike[str], reason: str) -> Path:
    """Write a cassette that says its test was skipped while recording, and why (no interactions).

    Replaying it skips the test with the same reason, so a replay gives the recording's verdicts
    rather than a miss for a case the recorded target could not run.
    """
    path = Path(cassette_path)
    atomic_write(path, dumps_cassette([], {SKIP_KEY: reason}))
    return path


def read_cassette_text(path: Path) -> str:
    """The text of the cassette at ``path``; a file that is no UTF-8 is a :class:`CassetteError` to re-record."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CassetteError(f"cassette {path} is not UTF-8 ({exc}); re-record it") from None


def recorded_skip(cassette_path: str | os.PathLike[str]) -> str | None:
    """The reason a cassette records for a skip while recording, or ``None`` (no file, or interactions)."""
    path = Path(cassette_path)
    if not path.is_file():
        return None
    doc = loads_document(read_cassette_text(path), f"cassette {path}")
    reason = (doc.get("metadata") or {}).get(SKIP_KEY)
    return str(reason) if reason is not None and not doc["interactions"] else None
