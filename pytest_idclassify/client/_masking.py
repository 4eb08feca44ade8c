"""Masking of secrets (tokens, keys, signatures) wherever they could be printed or written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: Header names (lowercase) whose values are secrets.
SECRET_HEADERS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-auth-token",
        "x-security-token",
        "x-subject-token",
        "cookie",
        "set-cookie",
    }
)

_MASK = "****"
# Values shorter than this are masked entirely: their last four characters would be too large a
# share of the secret.
_MIN_LEN_FOR_HINT = 12

_SDK_AUTHORIZATION = re.compile(
    r"^(?P<alg>SDK-HMAC-SHA256)\s+Access=(?P<ak>[^,\s]*),\s*SignedHeaders=(?P<sh>[^,\s]*),\s*Signature=(?P<sig>\S*)$"
)


def mask_secret(value: str | None) -> str:
    """Return ``value`` masked: ``'****'`` plus at most its last four characters.

    Values shorter than 12 characters keep none of their characters; an empty value or ``None``
    gives ``''`` (there is nothing to hide, and the absence itself is useful to see).
    """
    if not value:
        return ""
    if len(value) < _MIN_LEN_FOR_HINT:
        return _MASK
    return _MASK + value[-4:]


def mask_authorization(value: str) -> str:
    """Mask an ``Authorization`` header value.

    An ``SDK-HMAC-SHA256`` value keeps its structure (algorithm and signed header names) with the
    access key reduced to its last four characters and the signature hidden, so a log still shows
    which headers were signed; any other value is masked whole.
    """
    match = _SDK_AUTHORIZATION.match(value.strip())
    if match is None:
        return mask_secret(value)
    return (
        f"{match['alg']} Access={mask_secret(match['ak'])}, SignedHeaders={match['sh']}, "
        f"Signature={_MASK if match['sig'] else ''}"
    )


def mask_header(name: str, value: str) -> str:
    """Return a header's value, masked when the header carries a secret.

    Which headers do is the redaction policy's decision (:mod:`pytest_idclassify.redaction`): the
    names it lists, plus ``X-Project-Id`` and ``Enterprise-Project-Id`` shown as placeholders.
    Masks keep a hint (the last four characters) for values long enough to spare them.
    """
    from pytest_idclassify.redaction import ENTERPRISE_PLACEHOLDER, PROJECT_PLACEHOLDER, active_rules

    lowered = name.lower()
    if lowered == "authorization":
        return mask_authorization(value)
    if lowered == "x-project-id":
        return PROJECT_PLACEHOLDER if value else value
    if lowered == "enterprise-project-id":
        return ENTERPRISE_PLACEHOLDER if value else value
    # The policy's name rules, read directly: a name's secrecy does not depend on the values it holds.
    if lowered in SECRET_HEADERS or active_rules().matches(name):
        return mask_secret(value)
    return value


def mask_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Return a copy of ``headers`` with every secret value masked (names and order kept).

    Accepts a mapping (including :class:`httpx.Headers`) or ``(name, value)`` pairs; repeated
    names keep their last value.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: mask_header(name, value) for name, value in items}
