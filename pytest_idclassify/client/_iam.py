"""IAM tokens fetched with a password identity, cached until shortly before they expire."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from pytest_idclassify.client._config import (
    DEFAULT_MAX_DECODED_BYTES,
    DEFAULT_MAX_JSON_DEPTH,
    DEFAULT_MAX_RESPONSE_BYTES,
)
from pytest_idclassify.client._deadline import bound_client, deadline
from pytest_idclassify.client._masking import mask_secret
from pytest_idclassify.client._reading import ReadLimits, aread_bounded, read_bounded
from pytest_idclassify.errors import ConfigurationError, TransportError
from pytest_idclassify.redaction import redact_text, redact_url, remember

logger = logging.getLogger("pytest_idclassify.client")

TOKENS_PATH = "/v3/auth/tokens"
# IAM tokens live 24 hours; used only when IAM's answer does not say.
_DEFAULT_LIFETIME = timedelta(hours=24)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class IamToken:
    """A token and the moment it expires (aware UTC)."""

    value: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"IamToken(value={mask_secret(self.value)!r}, expires_at={self.expires_at.isoformat()!r})"


def _parse_expiry(body: Any, now: datetime) -> datetime:
    try:
        raw = body["token"]["expires_at"]
        parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return now + _DEFAULT_LIFETIME
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        error = body.get("error", body) if isinstance(body, dict) else body
        if isinstance(error, dict):
            return str(error.get("message") or error.get("error_msg") or error)
        return str(error)
    except (ValueError, UnicodeDecodeError):
        return response.text[:200]


class IamTokenSource:
    """Fetch IAM tokens with a password identity and a project scope, and cache them.

    ``POST {iam_endpoint}/v3/auth/tokens``; the token comes back in ``X-Subject-Token``.  The cached
    token is reused until ``refresh_margin`` before its ``expires_at``; :meth:`invalidate` drops it
    (after the API refused it).  IAM calls do not count against a call budget.

    Args:
        iam_endpoint: the IAM base URL (``https://iam.{region}.myhuaweicloud.com`` or a test server).
        user: the IAM user name.
        password: that user's password.
        domain: the account (domain) name.
        project_id: the project to scope the token to.
        refresh_margin: how long before expiry a token is replaced.
        timeout: seconds allowed for each IAM call.
        transport: an httpx transport for the sync client (e.g. to reach an in-process IAM).
        async_transport: an httpx transport for the async client.
        clock: returns the current time (aware UTC); injectable for tests.

    """

    def __init__(
        self,
        iam_endpoint: str,
        *,
        user: str,
        password: str,
        domain: str,
        project_id: str,
        refresh_margin: timedelta = timedelta(minutes=5),
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        for name, value in (("user", user), ("password", password), ("domain", domain), ("project_id", project_id)):
            if not value:
                raise ConfigurationError(f"IamTokenSource needs {name}; see docs/how-to/live-credentials.md")
        self._url = iam_endpoint.rstrip("/") + TOKENS_PATH
        self._user = user
        self._password = password
        self._domain = domain
        self._project_id = project_id
        self._margin = refresh_margin
        self._timeout = timeout
        self._transport = transport
        self._async_transport = async_transport
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: IamToken | None = None
        self._fetches = 0

    def __repr__(self) -> str:
        return (
            f"IamTokenSource(url={self._url!r}, user={self._user!r}, domain={self._domain!r}, "
            f"project_id={self._project_id!r}, password={mask_secret(self._password)!r})"
        )

    @property
    def fetches(self) -> int:
        """How many tokens were fetched from IAM so far."""
        return self._fetches

    def _request_body(self) -> bytes:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": self._user, "password": self._password, "domain": {"name": self._domain}}
                    },
                },
                "scope": {"project": {"id": self._project_id}},
            }
        }
        return json.dumps(body, separators=(",", ":")).encode("utf-8")

    def _fresh(self) -> IamToken | None:
        with self._lock:
            cached = self._cached
        if cached is not None and self._clock() < cached.expires_at - self._margin:
            return cached
        return None

    def _accept(self, response: httpx.Response) -> IamToken:
        if response.status_code >= 500:
            raise TransportError(redact_text(
                f"IAM at {self._url} answered {response.status_code} to the token request: {_error_text(response)}; "
                "try again later or check IDCLASSIFY_IAM_ENDPOINT"
            ))  # fmt: skip
        if response.status_code not in (200, 201):
            raise ConfigurationError(redact_text(
                f"IAM at {self._url} refused a token for user {self._user!r} in domain {self._domain!r} "
                f"scoped to project {self._project_id!r}: {response.status_code} {_error_text(response)}; check "
                "IDCLASSIFY_IAM_USER, IDCLASSIFY_IAM_PASSWORD, IDCLASSIFY_IAM_DOMAIN and IDCLASSIFY_PROJECT_ID"
            ))  # fmt: skip
        value = response.headers.get("x-subject-token", "")
        # From now on the token is hidden by value wherever it could be printed or written.
        remember(value)
        if not value:
            raise TransportError(
                f"IAM at {self._url} answered {response.status_code} without an X-Subject-Token header; "
                "is IDCLASSIFY_IAM_ENDPOINT an IAM endpoint?"
            )
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        token = IamToken(value, _parse_expiry(body, self._clock()))
        with self._lock:
            self._cached = token
            self._fetches += 1
        logger.info("fetched an IAM token for %s, expires at %s", self._user, token.expires_at.isoformat())
        return token

    def _unreachable(self, exc: httpx.HTTPError) -> TransportError:
        return TransportError(redact_text(
            f"IAM at {self._url} could not be reached: {type(exc).__name__}: {exc}; check IDCLASSIFY_IAM_ENDPOINT"
        ), original=exc)  # fmt: skip

    def token(self) -> str:
        """Return a valid token, fetching one when none is cached or it expires soon."""
        cached = self._fresh()
        if cached is not None:
            return cached.value
        headers = {"Content-Type": "application/json;charset=utf-8"}
        until = time.monotonic() + self._timeout
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as client, deadline(until):
                bound_client(client)
                request = client.build_request("POST", self._url, content=self._request_body(), headers=headers)
                response = client.send(request, stream=True)
                read_bounded(response, self._limits(), until)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        return self._accept(response).value

    async def atoken(self) -> str:
        """Return a valid token, fetching one asynchronously when needed."""
        cached = self._fresh()
        if cached is not None:
            return cached.value
        headers = {"Content-Type": "application/json;charset=utf-8"}
        until = time.monotonic() + self._timeout

        async def fetch(client: httpx.AsyncClient) -> httpx.Response:
            request = client.build_request("POST", self._url, content=self._request_body(), headers=headers)
            response = await client.send(request, stream=True)
            await aread_bounded(response, self._limits(), until)
            return response

        try:
            async with httpx.AsyncClient(transport=self._async_transport, timeout=self._timeout) as client:
                response = await asyncio.wait_for(fetch(client), timeout=self._timeout)
        except asyncio.TimeoutError:
            raise self._unreachable(httpx.ReadTimeout(f"no answer within {self._timeout} s")) from None
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        return self._accept(response).value

    def _limits(self) -> ReadLimits:
        # IAM answers a few KB too: the client's default caps apply to it.
        return ReadLimits(DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_JSON_DEPTH,
                          redact_url(self._url))  # fmt: skip

    def invalidate(self, value: str | None = None) -> None:
        """Forget the cached token (only if it is still ``value``, when given)."""
        with self._lock:
            if self._cached is not None and (value is None or self._cached.value == value):
                self._cached = None
