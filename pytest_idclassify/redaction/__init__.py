"""Redaction: one policy for everything the toolkit writes or prints.

Cassettes, reports (JSON, HTML, JUnit properties), logs and exception messages all go through a
:class:`RedactionPolicy`: secrets by name (the rules in ``names.txt``, extensible with
``IDCLASSIFY_REDACT_NAMES_FILE``), secrets by value (anything redacted once is replaced everywhere
else), URL userinfo and signed-URL parameters, project ids as ``{project_id}``, and images as
their digest.  The module-level functions use one process-wide policy that knows the credentials
of the environment and of every client built in the process::

    from pytest_idclassify.redaction import redact_text, redact_url

    logger.info("fetched %s", redact_url(url))
    raise SomeError(redact_text(f"the server answered {body!r}"))

For a separate set of remembered values (a journal of one server's traffic), build a policy::

    policy = RedactionPolicy(values=[token], project_ids=[project_id])
    entry = policy.redact_mapping({"url": url, "headers": policy.redact_headers(headers), "body": body})

See docs/reference/security.md for what is redacted and how to add names.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_idclassify.redaction._bodies import MAX_INFLATED, inflate, redact_body_bytes
from pytest_idclassify.redaction._images import image_in_base64, image_mark, replace_images
from pytest_idclassify.redaction._logging import REDACTED_LOGGERS, RedactingFilter, redact_logs
from pytest_idclassify.redaction._names import (
    NAMES_FILE_VAR,
    NameRules,
    active_rules,
    environment_rules,
    normalize_name,
    rules_from_file,
    shipped_rules,
    use_rules,
)
from pytest_idclassify.redaction._policy import (
    ENTERPRISE_PLACEHOLDER,
    MAX_SECRET,
    PROJECT_PLACEHOLDER,
    REDACTED,
    Redaction,
    RedactionPolicy,
    is_hidden,
)

__all__ = [
    "ENTERPRISE_PLACEHOLDER",
    "MAX_INFLATED",
    "NAMES_FILE_VAR",
    "PROJECT_PLACEHOLDER",
    "REDACTED",
    "REDACTED_LOGGERS",
    "NameRules",
    "RedactingFilter",
    "Redaction",
    "RedactionPolicy",
    "active_rules",
    "default_policy",
    "environment_rules",
    "excerpt",
    "image_in_base64",
    "image_mark",
    "inflate",
    "is_hidden",
    "normalize_name",
    "redact_body",
    "redact_body_bytes",
    "redact_headers",
    "redact_logs",
    "redact_mapping",
    "redact_text",
    "redact_url",
    "remember",
    "replace_images",
    "rules_from_file",
    "shipped_rules",
    "use_names_file",
    "use_rules",
]

_LOCK = threading.Lock()
_DEFAULT: list[RedactionPolicy] = []


def use_names_file(path: str | os.PathLike[str] | None, where: str = NAMES_FILE_VAR) -> None:
    """Add the names in ``path`` to the process-wide policy (``None``: back to the environment's rules).

    The pytest plugin calls it for ``--idclassify-redact-names-file``; ``where`` names that
    setting in the error raised for a file that cannot be read or holds a bad line.
    """
    use_rules(rules_from_file(path, where) if path else None)


def default_policy() -> RedactionPolicy:
    """The process-wide policy: the environment's credentials, every client's, and all values seen so far."""
    with _LOCK:
        if not _DEFAULT:
            _DEFAULT.append(RedactionPolicy(from_environment=False))
        policy = _DEFAULT[0]
        policy.names = active_rules()
    # Cheap and idempotent: picks up credentials a test or a CLI command put in the environment later.
    policy.add_environment()
    return policy


def excerpt(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text`` once redacted by the process-wide policy (a message's quote).

    Redacting before cutting: a secret cut in two is no longer the value the policy knows, and its
    first half would be printed as it is.
    """
    # Past the cut by the longest value the policy remembers (an IAM token runs to several KB).
    return default_policy().redact_text(text[: limit + MAX_SECRET])[:limit]


def remember(value: str | None, replacement: str = REDACTED) -> None:
    """Have the process-wide policy replace ``value`` wherever it appears from now on."""
    default_policy().add(value, replacement)


def _policy(policy: RedactionPolicy | None) -> RedactionPolicy:
    return policy if policy is not None else default_policy()


def redact_text(text: str, policy: RedactionPolicy | None = None) -> str:
    """Return ``text`` (a message, a log line) with every secret and image replaced."""
    return _policy(policy).redact_text(text)


def redact_url(url: str, policy: RedactionPolicy | None = None) -> str:
    """Return ``url`` without userinfo or secret parameters, with ``{project_id}`` in its path."""
    return _policy(policy).redact_url(url)


def redact_headers(
    headers: Mapping[str, Any] | Iterable[tuple[str, Any]], policy: RedactionPolicy | None = None
) -> dict[str, Any]:
    """Return a copy of ``headers`` with secret values redacted (names and order kept)."""
    return _policy(policy).redact_headers(headers)


def redact_mapping(obj: Any, policy: RedactionPolicy | None = None) -> Any:
    """Return a copy of a JSON-like value with secret fields redacted and every string redacted as text."""
    return _policy(policy).redact_mapping(obj)


def redact_body(
    raw: bytes, *, content_type: str = "", content_encoding: str = "", policy: RedactionPolicy | None = None
) -> bytes | None:
    """Return a body decompressed (per ``content_encoding``) and redacted; ``None`` when it cannot be decoded."""
    decoded = inflate(raw, content_encoding) if content_encoding else raw
    if decoded is None:
        return None
    return redact_body_bytes(decoded, _policy(policy), content_type)
