"""Client settings: where to send, as whom, and how patiently."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, cast
from urllib.parse import quote, urlsplit

from pytest_idclassify.client._masking import mask_secret
from pytest_idclassify.errors import ConfigurationError

AuthMode = Literal["token", "aksk", "none"]

#: The API path, relative to the endpoint.
API_PATH = "/v2/{project_id}/ocr/auto-id-doc-classification"

#: Setting name -> the environment variable :meth:`ClientConfig.from_env` reads it from.
ENV_VARS: Mapping[str, str] = {
    "endpoint": "IDCLASSIFY_BASE_URL",
    "region": "IDCLASSIFY_REGION",
    "project_id": "IDCLASSIFY_PROJECT_ID",
    "auth": "IDCLASSIFY_AUTH",
    "token": "IDCLASSIFY_TOKEN",
    "access_key": "CLOUD_SDK_AK",
    "secret_key": "CLOUD_SDK_SK",
    "security_token": "CLOUD_SDK_SECURITY_TOKEN",
    "iam_endpoint": "IDCLASSIFY_IAM_ENDPOINT",
    "iam_user": "IDCLASSIFY_IAM_USER",
    "iam_password": "IDCLASSIFY_IAM_PASSWORD",
    "iam_domain": "IDCLASSIFY_IAM_DOMAIN",
    "enterprise_project_id": "IDCLASSIFY_ENTERPRISE_PROJECT_ID",
    "timeout": "IDCLASSIFY_TIMEOUT",
    "max_retries": "IDCLASSIFY_MAX_RETRIES",
    "call_budget": "IDCLASSIFY_CALL_BUDGET",
    "call_timeout": "IDCLASSIFY_CALL_TIMEOUT",
    "max_response_bytes": "IDCLASSIFY_MAX_RESPONSE_BYTES",
    "max_decoded_bytes": "IDCLASSIFY_MAX_DECODED_BYTES",
    "max_json_depth": "IDCLASSIFY_MAX_JSON_DEPTH",
}

#: The default cap on an answer's bytes on the wire (the API answers a few KB).
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: The default cap on an answer's bytes once decompressed.
DEFAULT_MAX_DECODED_BYTES = 32 * 1024 * 1024
#: The default cap on how deep an answer's JSON may nest (the API's answers nest 4 levels).
DEFAULT_MAX_JSON_DEPTH = 100

_NUMBERS = frozenset(
    {
        "timeout",
        "call_timeout",
        "max_retries",
        "call_budget",
        "max_response_bytes",
        "max_decoded_bytes",
        "max_json_depth",
    }
)
#: the settings whose values are secrets (masked in reprs, redacted everywhere).
SECRET_SETTINGS = ("token", "access_key", "secret_key", "security_token", "iam_password")
_SECRET_FIELDS = frozenset(SECRET_SETTINGS)
_AUTH_MODES = ("token", "aksk", "none")
# A project id is a single path segment; braces mean an unfilled template.
_PROJECT_ID_FORBIDDEN = re.compile(r"[{}/\\?#%\s\x00-\x1f\x7f]")
_REGION = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _where(name: str) -> str:
    var = ENV_VARS.get(name)
    return f"set {var} or pass {name}=" if var else f"pass {name}="


def validate_project_id(project_id: str) -> str:
    """Check that ``project_id`` can stand as one path segment and return it percent-encoded.

    Raises:
        ConfigurationError: when it is empty, or contains braces (an unfilled ``{project_id}``
            template), slashes, ``?``, ``#``, ``%``, whitespace or control characters.

    """
    if not project_id:
        raise ConfigurationError(f"the project id is empty: {_where('project_id')} (IAM console > My Credentials)")
    bad = _PROJECT_ID_FORBIDDEN.search(project_id)
    if bad is not None:
        raise ConfigurationError(
            f"the project id {project_id!r} contains {bad.group()!r}, which cannot stand in the path "
            f"{API_PATH}; {_where('project_id')} with the 32-character id shown under IAM console > My Credentials"
        )
    return quote(project_id, safe="")


def region_endpoint(region: str, service: str = "ocr") -> str:
    """Return ``https://{service}.{region}.myhuaweicloud.com`` after checking the region's form."""
    if not _REGION.match(region):
        raise ConfigurationError(
            f"the region {region!r} is not a region id such as 'cn-north-4' or 'ap-southeast-1': {_where('region')}"
        )
    return f"https://{service}.{region}.myhuaweicloud.com"


def _check_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if "@" in parts.netloc:
        # Not echoed: the part before "@" may be a password.
        raise ConfigurationError(
            f"{name} carries credentials before '@'; give the bare base URL and put credentials in "
            "CLOUD_SDK_AK/CLOUD_SDK_SK or IDCLASSIFY_TOKEN"
        )
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        from pytest_idclassify.redaction import redact_url

        # Shown redacted: a query or fragment may carry a token (?access_token=...).
        raise ConfigurationError(
            f"{name} {redact_url(value)!r} is not an http(s) base URL such as "
            f"'https://ocr.cn-north-4.myhuaweicloud.com': {_where(name)}"
        )
    return value.rstrip("/")


@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    """Everything a client needs to reach the API; validated when built, before anything is sent.

    Build it with :meth:`from_env` (the usual way) or directly.  Secrets are masked in its repr.

    Attributes:
        endpoint: the base URL (``https://ocr.{region}.myhuaweicloud.com``, an emulator's URL, or any
            URL when the client is given an ASGI app); derived from ``region`` when empty.
        project_id: the project id placed in the path and, with AK/SK, in ``X-Project-Id``.
        auth: ``"token"``, ``"aksk"`` or ``"none"``; inferred from the credentials present when ``None``.
        region: the region id, used to derive ``endpoint`` and ``iam_endpoint``.
        token: a fixed IAM token for ``X-Auth-Token``.
        access_key: the AK for signing.
        secret_key: the SK for signing.
        security_token: the security token of temporary AK/SK credentials.
        iam_endpoint: the IAM base URL for fetching a token with a password.
        iam_user: the IAM user name for the password flow.
        iam_password: that user's password.
        iam_domain: the account (domain) name the IAM user belongs to.
        enterprise_project_id: sent as ``Enterprise-Project-Id`` when set.
        timeout: the most seconds one attempt may take, from connecting to the answer's last byte.
            A wall-clock total, not a per-read timeout: a server dripping its answer cannot stretch it
            (bounded at the socket for httpx's HTTP transport, between chunks for any other network
            transport; an in-process app, ASGI or mock, has no deadline, as with httpx).
        connect_timeout: the connect timeout in seconds (within ``timeout``).
        max_retries: how many times a retryable failure (429, 5xx, connection error) is retried.
        max_retry_time: the total seconds a call may spend waiting between retries.
        call_budget: the most attempts a client may send (``None``: no limit).
        call_timeout: the most seconds a whole call may take, every attempt and wait between retries
            included (default 180: four 30 s attempts and 60 s of waits).
        max_response_bytes: the most bytes of one answer read off the wire (default 8 MiB).
        max_decoded_bytes: the most bytes one answer may decompress to (default 32 MiB).
        max_json_depth: the deepest nesting of arrays and objects an answer may have (default 100).

    """

    endpoint: str = ""
    project_id: str = ""
    auth: AuthMode | None = None
    region: str | None = None
    token: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    security_token: str | None = None
    iam_endpoint: str | None = None
    iam_user: str | None = None
    iam_password: str | None = None
    iam_domain: str | None = None
    enterprise_project_id: str | None = None
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_retries: int = 3
    max_retry_time: float = 60.0
    call_budget: int | None = None
    call_timeout: float = 180.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH

    def __post_init__(self) -> None:
        if not self.endpoint:
            if not self.region:
                raise ConfigurationError(
                    "no endpoint: set IDCLASSIFY_BASE_URL (a base URL) or IDCLASSIFY_REGION (e.g. cn-north-4), "
                    "or pass endpoint= or region="
                )
            object.__setattr__(self, "endpoint", region_endpoint(self.region))
        object.__setattr__(self, "endpoint", _check_url("endpoint", self.endpoint))
        validate_project_id(self.project_id)
        if self.iam_endpoint:
            object.__setattr__(self, "iam_endpoint", _check_url("iam_endpoint", self.iam_endpoint))
        self._check_numbers()
        object.__setattr__(self, "auth", self._resolve_auth())

    def _check_numbers(self) -> None:
        for name in ("timeout", "connect_timeout", "max_retry_time", "call_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}: {_where(name)}")
        for name in ("max_retries", "call_budget"):
            value = getattr(self, name)
            if value is None and name == "call_budget":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(f"{name} must be a whole number >= 0, got {value!r}: {_where(name)}")
        for name in ("max_response_bytes", "max_decoded_bytes", "max_json_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a whole number >= 1, got {value!r}: {_where(name)}")

    def _resolve_auth(self) -> AuthMode:
        mode = self.auth
        if mode is None:
            if self.access_key or self.secret_key:
                mode = "aksk"
            elif self.token or self.iam_user:
                mode = "token"
            else:
                raise ConfigurationError(
                    "no credentials: set CLOUD_SDK_AK and CLOUD_SDK_SK (AK/SK signing), IDCLASSIFY_TOKEN, or "
                    "IDCLASSIFY_IAM_USER/IDCLASSIFY_IAM_PASSWORD/IDCLASSIFY_IAM_DOMAIN (IAM token); or set "
                    "IDCLASSIFY_AUTH=none for a target that needs no authentication"
                )
        if mode not in _AUTH_MODES:
            raise ConfigurationError(f"auth {mode!r} is not one of token, aksk, none: {_where('auth')}")
        if mode == "aksk":
            for name in ("access_key", "secret_key"):
                if not getattr(self, name):
                    raise ConfigurationError(f"AK/SK signing needs {name}: {_where(name)}")
        elif mode == "token" and not self.token:
            for name in ("iam_user", "iam_password", "iam_domain"):
                if not getattr(self, name):
                    raise ConfigurationError(
                        f"token authentication needs IDCLASSIFY_TOKEN, or {name} to fetch one from IAM: {_where(name)}"
                    )
            if not self.iam_endpoint and not self.region:
                raise ConfigurationError(
                    "fetching a token needs the IAM endpoint: set IDCLASSIFY_IAM_ENDPOINT or IDCLASSIFY_REGION, "
                    "or pass iam_endpoint= or region="
                )
        return mode

    @property
    def url(self) -> str:
        """The full API URL, with the project id percent-encoded into the path."""
        return self.url_for(API_PATH)

    def url_for(self, path: str) -> str:
        """The endpoint with ``path`` after it, ``{project_id}`` filled in: the API's path, or a wrong one."""
        if not path.startswith("/"):
            raise ConfigurationError(f"path={path!r} must start with '/': it is appended to the endpoint")
        return self.endpoint + path.replace("{project_id}", validate_project_id(self.project_id))

    @property
    def resolved_iam_endpoint(self) -> str | None:
        """The IAM base URL: ``iam_endpoint``, else derived from ``region``, else ``None``."""
        if self.iam_endpoint:
            return self.iam_endpoint
        return region_endpoint(self.region, "iam") if self.region else None

    def replace(self, **changes: Any) -> ClientConfig:
        """Return a copy with some settings changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in _SECRET_FIELDS:
                value = mask_secret(value)
            shown.append(f"{f.name}={value!r}")
        return f"ClientConfig({', '.join(shown)})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **overrides: Any) -> ClientConfig:
        """Read the settings from ``environ`` (see :data:`ENV_VARS`); keyword overrides win.

        Empty variables count as unset.  Raises :class:`ConfigurationError` naming the variable
        when a value is missing or cannot be parsed.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigurationError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values: dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            raw = environ.get(var, "").strip()
            if raw:
                values[name] = _parse(name, var, raw)
        values.update({k: v for k, v in overrides.items()})
        return cls(**values)


def _parse(name: str, var: str, raw: str) -> Any:
    if name in _NUMBERS and (not raw.isascii() or len(raw) > 32):
        # int() and float() accept other scripts' digits and any length; a setting takes neither.
        raise ConfigurationError(f"{var}={raw!r} is not a number written with ASCII digits (e.g. {var}=30)")
    if name in ("timeout", "call_timeout"):
        try:
            return float(raw)
        except ValueError:
            raise ConfigurationError(f"{var}={raw!r} is not a number of seconds (e.g. {var}=30)") from None
    if name in ("max_retries", "call_budget", "max_response_bytes", "max_decoded_bytes", "max_json_depth"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(f"{var}={raw!r} is not a whole number (e.g. {var}=3)") from None
    if name == "auth":
        lowered = raw.lower()
        if lowered not in _AUTH_MODES:
            raise ConfigurationError(f"{var}={raw!r} is not one of token, aksk, none")
        return cast(AuthMode, lowered)
    return raw
