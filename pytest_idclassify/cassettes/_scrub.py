"""Redact an existing cassette in place: ours, or one plain vcrpy recorded in its YAML or JSON format."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pytest_idclassify.cassettes._canonical import SecretBook, parse_json
from pytest_idclassify.cassettes._digest import decode_data
from pytest_idclassify.cassettes._store import atomic_write, read_interactions, render_interactions, store_image
from pytest_idclassify.redaction import default_policy


def scrub_cassette(
    path: str | Path,
    *,
    output: str | Path | None = None,
    keep_images: bool = False,
    check: bool = False,
    secrets: SecretBook | None = None,
) -> bool:
    """Rewrite the cassette at ``path`` redacted, in this package's format; return whether it changed.

    Headers, URLs and bodies go through the same rules as a recording: tokens, signatures, access
    keys, IAM passwords and signed-URL parameters are replaced, the project id becomes
    ``{project_id}``, and ``data`` becomes its digest (its base64 kept in ``images/`` beside the
    output when ``keep_images``).  ``output`` writes elsewhere instead of in place; ``check`` only
    reports whether scrubbing would change the file (for CI).

    Raises:
        CassetteError: when ``path`` is missing or not a cassette.

    """
    source = Path(path)
    target = Path(output) if output is not None else source
    pairs, metadata, _kind = read_interactions(source)
    if keep_images and not check:
        for request, _response in pairs:
            body = request.body
            ok, value = parse_json(body) if body else (False, None)
            data = value.get("data") if ok and isinstance(value, dict) else None
            if isinstance(data, str):
                raw = decode_data(data)
                digest = hashlib.sha256(raw if raw is not None else data.encode("utf-8", "surrogatepass")).hexdigest()
                store_image(target, digest, data)
    text = render_interactions(pairs, secrets if secrets is not None else default_policy(), metadata)
    before = source.read_text(encoding="utf-8")
    changed = text != before or target != source
    if changed and not check:
        atomic_write(target, text)
    return changed
