"""Redaction rules: which headers, query parameters and body fields are secrets, and what replaces them.

Every rule here is idempotent (redacting a redacted value changes nothing), because vcrpy runs the
recording hooks again on every interaction it loads, and the persister and serializer run them
once more before anything is written.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pytest_idclassify.client import ENV_VARS, SECRET_HEADERS

#: What a secret is replaced with.  Fixed, so re-recording does not churn the cassettes.
REDACTED = "[REDACTED]"
#: What the project id in a path (and anywhere else) is replaced with.
PROJECT_PLACEHOLDER = "{project_id}"

#: Request headers dropped because they change on every run and carry no meaning for matching.
VOLATILE_REQUEST_HEADERS = frozenset(
    {"date", "x-sdk-date", "user-agent", "host", "content-length", "accept", "accept-encoding", "connection"}
)
#: Response headers dropped: volatile (Date, Server) or recomputed on replay (lengths, framing).
VOLATILE_RESPONSE_HEADERS = frozenset(
    {"date", "server", "content-length", "transfer-encoding", "connection", "keep-alive", "via"}
)
#: Headers whose whole value is a secret.
SECRET_HEADER_NAMES = SECRET_HEADERS | {"enterprise-project-id", "x-subject-token"}
# Any other header whose name says it carries a credential.
_SECRETISH_NAME = re.compile(r"token|secret|password|passwd|signature|credential|api-?key|cookie|session", re.I)
#: Query parameters of signed URLs (OBS, S3-style, generic) whose values are secrets.
_SECRET_QUERY = re.compile(
    r"^(signature|sig|accesskeyid|awsaccesskeyid|x-amz-.*|x-obs-.*|x-goog-.*|token|security-?token|"
    r"policy|key|access_?key|secret.*|credential)$",
    re.I,
)
# Body keys (compared without case, "_" or "-") whose string values are secrets.
_SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "secretkey",
        "sk",
        "ak",
        "accesskey",
        "accesskeyid",
        "securitytoken",
        "token",
        "signature",
        "credential",
        "credentials",
    }
)
_AUTHORIZATION = re.compile(r"^(?P<alg>[A-Za-z0-9-]+-HMAC-SHA256)\s+(?P<rest>.*)$", re.S)
_OCR_PATH = re.compile(r"^(?P<head>/v\d+/)(?P<pid>[^/]+)(?P<tail>/ocr/.*)?$")
_IAM_PROJECT_PATH = re.compile(r"^(?P<head>/v3/projects/)(?P<pid>[^/]+)(?P<tail>/.*)?$")
# Secrets shorter than this are not searched for in free text: they would match ordinary words.
_MIN_SECRET = 8
_SECRET_ENV_FIELDS = ("token", "access_key", "secret_key", "security_token", "iam_password")


def is_secret_header(name: str) -> bool:
    """Tell whether a header's value is a secret (by its name)."""
    lowered = name.lower()
    return lowered in SECRET_HEADER_NAMES or bool(_SECRETISH_NAME.search(lowered))


def is_secret_key(name: str) -> bool:
    """Tell whether a JSON body key holds a secret (``password``, ``secret_key``, ``securitytoken``...)."""
    return name.lower().replace("_", "").replace("-", "") in _SECRET_KEYS


def redact_authorization(value: str) -> str:
    """Keep an ``SDK-HMAC-SHA256`` value's algorithm and signed header names; hide its AK and signature."""
    match = _AUTHORIZATION.match(value.strip())
    if match is None:
        return REDACTED
    parts = []
    for part in re.split(r",\s*", match["rest"]):
        name, _, _raw = part.partition("=")
        parts.append(f"{name}={REDACTED}" if name.strip().lower() != "signedheaders" else part)
    return f"{match['alg']} {', '.join(parts)}"


def redact_query(query: str) -> str:
    """Replace the values of signed-URL parameters (``Signature``, ``AccessKeyId``, ``X-Amz-*``...)."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_SECRET_QUERY.match(name) for name, _ in pairs):
        return query
    redacted = [(name, REDACTED if _SECRET_QUERY.match(name) else value) for name, value in pairs]
    return urlencode(redacted, quote_via=quote, safe="[]{}")


def project_id_in_path(path: str) -> str | None:
    """Return the project id an OCR or IAM path carries, if any (not the placeholder)."""
    for pattern in (_OCR_PATH, _IAM_PROJECT_PATH):
        match = pattern.match(path)
        if match is not None and match["pid"] != PROJECT_PLACEHOLDER and match["pid"] != quote(PROJECT_PLACEHOLDER):
            return match["pid"]
    return None


def redact_url(url: str) -> str:
    """Return ``url`` with the project id in its path replaced and its signed query parameters hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path
    for pattern in (_OCR_PATH, _IAM_PROJECT_PATH):
        match = pattern.match(path)
        if match is not None:
            path = f"{match['head']}{PROJECT_PLACEHOLDER}{match['tail'] or ''}"
            break
    userinfo_free = parts.netloc.rpartition("@")[2]
    netloc = f"{REDACTED}@{userinfo_free}" if "@" in parts.netloc else parts.netloc
    return urlunsplit((parts.scheme, netloc, path, redact_query(parts.query), parts.fragment))


class SecretBook:
    """The secret values seen so far (tokens, keys, project ids), to be scrubbed from any text.

    Structural rules catch secrets where they are expected; the book catches the same values where
    they are not (an error message that echoes a token, a project id in a response body).  It starts
    with the credentials in the environment (``IDCLASSIFY_TOKEN``, ``CLOUD_SDK_AK``/``SK``...).
    """

    def __init__(self, values: Iterable[str] = (), *, from_environment: bool = True) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}
        if from_environment:
            for name in _SECRET_ENV_FIELDS:
                self.add(os.environ.get(ENV_VARS[name], ""))
            self.add(os.environ.get(ENV_VARS["project_id"], ""), PROJECT_PLACEHOLDER)
        for value in values:
            self.add(value)

    def add(self, value: str | None, replacement: str = REDACTED) -> None:
        """Remember ``value`` (ignored when shorter than 8 characters or already a placeholder)."""
        if not value or len(value) < _MIN_SECRET or REDACTED in value or value == PROJECT_PLACEHOLDER:
            return
        with self._lock:
            self._secrets[value] = replacement

    def __len__(self) -> int:
        return len(self._secrets)

    def key(self) -> tuple[tuple[str, str], ...]:
        """Return the book's contents as a hashable value (a cache key)."""
        with self._lock:
            return tuple(self._secrets.items())

    def scrub(self, text: str) -> str:
        """Return ``text`` with every remembered secret replaced, longest first."""
        with self._lock:
            items = sorted(self._secrets.items(), key=lambda item: -len(item[0]))
        for value, replacement in items:
            if value in text:
                text = text.replace(value, replacement)
        return text
