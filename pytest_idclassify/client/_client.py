"""Sync and async clients for the Auto ID Document Classification API."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from typing import Any

import httpx
from httpx._client import UseClientDefault

from pytest_idclassify.client._asgi import SyncASGITransport
from pytest_idclassify.client._auth_aksk import AkSkAuth
from pytest_idclassify.client._auth_token import TokenAuth
from pytest_idclassify.client._budget import CallBudget
from pytest_idclassify.client._config import ClientConfig
from pytest_idclassify.client._deadline import bound_async_client, bound_client, deadline, wire_budget
from pytest_idclassify.client._encoding import encode_json
from pytest_idclassify.client._iam import IamTokenSource
from pytest_idclassify.client._masking import mask_headers
from pytest_idclassify.client._outcome import Attempt, Outcome, SentRequest
from pytest_idclassify.client._reading import ReadLimits, aread_bounded, read_bounded
from pytest_idclassify.client._retry import RETRYABLE_ERRORS, RetryPolicy
from pytest_idclassify.errors import CallTimeoutError, TransportError
from pytest_idclassify.redaction import default_policy, redact_logs, redact_mapping, redact_text, redact_url

logger = logging.getLogger("pytest_idclassify.client")
# The client's own log and httpx's (URLs, headers) pass through the redaction policy first.
redact_logs()

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
# What an attempt may read off the wire beyond max_response_bytes: the status line and headers
# (h11 refuses a head above 16 KiB) of the answer and of an answer the authentication retried.
_HEAD_ALLOWANCE = 64 * 1024
_NOT_GIVEN: Any = object()


@lru_cache(maxsize=4)
def _tls_context(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    # Loading the CA bundle is most of what building a client costs: once per process and bundle.
    return httpx.create_ssl_context()


def _verify(transport: object) -> ssl.SSLContext | bool:
    """What a new client verifies TLS with: httpx's default context (it honours SSL_CERT_FILE/DIR), shared."""
    if transport is not None:
        return True  # the given transport verifies as it was built to; no context to load
    return _tls_context(os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))


# Transports that call an app in this process: no socket, so no wall-clock deadline (see attempt_deadline).
_IN_PROCESS = (SyncASGITransport, httpx.ASGITransport, httpx.WSGITransport, httpx.MockTransport)

# httpx's own "use the client's auth" sentinel type; only private in name.
AuthArg = httpx.Auth | None | UseClientDefault


def _user_agent() -> str:
    try:
        version = metadata.version("pytest-idclassify")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    return f"pytest-idclassify/{version} httpx/{httpx.__version__}"


USER_AGENT = _user_agent()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def read_limits(config: ClientConfig) -> ReadLimits:
    """The bounds every answer to a client of ``config`` is read within (its URL redacted for messages)."""
    return ReadLimits(config.max_response_bytes, config.max_decoded_bytes, config.max_json_depth,
                      redact_url(config.url))  # fmt: skip


def auth_from_config(
    config: ClientConfig,
    *,
    iam_transport: httpx.BaseTransport | None = None,
    async_iam_transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.Auth | None:
    """Build the :class:`httpx.Auth` that ``config.auth`` asks for (``None`` for ``"none"``)."""
    # ClientConfig has already checked that the settings each mode needs are present.
    if config.auth == "aksk":
        return AkSkAuth(config.access_key or "", config.secret_key or "", config.security_token)
    if config.auth == "token":
        if config.token:
            return TokenAuth(config.token)
        source = IamTokenSource(
            config.resolved_iam_endpoint or "",
            user=config.iam_user or "",
            password=config.iam_password or "",
            domain=config.iam_domain or "",
            project_id=config.project_id,
            timeout=config.timeout,
            transport=iam_transport,
            async_transport=async_iam_transport,
        )
        return TokenAuth(source=source, limits=read_limits(config))
    return None


def classification_body(
    *, data: str | None = None, url: str | None = None, alarm: bool | None = None, **extra: Any
) -> dict[str, Any]:
    """Return the request body with ``None`` fields left out, as the official SDK sends it."""
    body: dict[str, Any] = {"data": data, "url": url, "alarm": alarm, **extra}
    return {key: value for key, value in body.items() if value is not None}


class _Core:
    """What both clients share: settings, request building, retry decisions and logging."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        budget: CallBudget | None,
        retry: RetryPolicy | None,
        rng: random.Random | None,
        now: Callable[[], datetime],
    ) -> None:
        self.config = config
        # Whatever this client may print or a recorder may write, the process-wide policy hides.
        default_policy().add_config(config)
        self.budget = (
            budget
            if budget is not None
            else (CallBudget(config.call_budget) if config.call_budget is not None else None)
        )
        self.retry = retry if retry is not None else RetryPolicy(config.max_retries, config.max_retry_time)
        self._rng = rng if rng is not None else random.Random()
        self._now = now
        self.timeout = httpx.Timeout(config.timeout, connect=config.connect_timeout)
        #: whether calls go to an in-process app (set by the client once its transport is known).
        self.in_process = False
        self.limits = read_limits(config)

    def call_deadline(self) -> float:
        """The ``time.monotonic()`` by which a call starting now must end (``call_timeout``)."""
        return time.monotonic() + self.config.call_timeout

    def attempt_deadline(self, call_deadline: float) -> float:
        """The ``time.monotonic()`` by which an attempt starting now must end (``timeout``, within the call's).

        An in-process app (ASGI, a mock) has no deadline, as httpx gives it none: nothing drips
        through a socket, and a slow answer is the app's own work, not a server stalling.
        """
        if self.in_process:
            return math.inf
        return min(time.monotonic() + self.config.timeout, call_deadline)

    def attempt(
        self, http: httpx.Client, request: httpx.Request, auth: AuthArg, call_deadline: float
    ) -> httpx.Response:
        """Send one attempt and read its answer within the size caps and the attempt's deadline."""
        until = self.attempt_deadline(call_deadline)
        limits = self.limits
        # The wire budget holds where something reads the whole answer first (vcrpy recording).
        with deadline(until), wire_budget(limits.max_response_bytes + _HEAD_ALLOWANCE, self.too_large_on_the_wire):
            response = http.send(request, auth=auth, stream=True)
            read_bounded(response, limits, until)
        return response

    def too_large_on_the_wire(self) -> Exception:
        """The error for an attempt that read more than ``max_response_bytes`` (plus its head) off the wire."""
        return self.limits.too_large("on the wire", self.limits.max_response_bytes, "max_response_bytes",
                                     "IDCLASSIFY_MAX_RESPONSE_BYTES")  # fmt: skip

    async def aattempt(
        self, http: httpx.AsyncClient, request: httpx.Request, auth: AuthArg, call_deadline: float
    ) -> httpx.Response:
        """The asynchronous twin of :meth:`attempt` (the deadline is a task timeout)."""
        until = self.attempt_deadline(call_deadline)

        async def attempt() -> httpx.Response:
            with wire_budget(self.limits.max_response_bytes + _HEAD_ALLOWANCE, self.too_large_on_the_wire):
                response = await http.send(request, auth=auth, stream=True)
                await aread_bounded(response, self.limits, until)
            return response

        try:
            if until == math.inf:
                return await attempt()
            return await asyncio.wait_for(attempt(), timeout=max(0.0, until - time.monotonic()))
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout(
                "no time left for this attempt (IDCLASSIFY_TIMEOUT) or call (IDCLASSIFY_CALL_TIMEOUT)", request=request
            ) from None

    def headers(self, extra: Mapping[str, str] | None, enterprise_project_id: str | None) -> dict[str, str]:
        headers = {"Content-Type": JSON_CONTENT_TYPE, "User-Agent": USER_AGENT}
        if self.config.auth == "aksk":
            # The official SDK sends (and signs) the project id in a header with AK/SK.
            headers["X-Project-Id"] = self.config.project_id
        enterprise = enterprise_project_id or self.config.enterprise_project_id
        if enterprise:
            headers["Enterprise-Project-Id"] = enterprise
        headers.update(extra or {})
        return headers

    @staticmethod
    def content(json_body: Any, content: bytes | None) -> bytes:
        if content is not None:
            if json_body is not _NOT_GIVEN:
                raise TypeError("pass either json= or content=, not both")
            return content
        if json_body is _NOT_GIVEN:
            raise TypeError("pass json= (any JSON value) or content= (raw bytes)")
        return encode_json(json_body)

    def spend(self, request: httpx.Request) -> None:
        if self.budget is not None:
            self.budget.spend(f"{request.method} {request.url.path}")
        if not logger.isEnabledFor(logging.DEBUG):
            return  # what the line would show is costly to build: the body is parsed and redacted
        logger.debug(
            "sending %s %s headers=%s body=%s",
            request.method,
            redact_url(str(request.url)),
            mask_headers(request.headers),
            redact_text(repr(redact_mapping(SentRequest.from_httpx(request).summary()))),
        )

    def next_wait(
        self, retry: int, waited: float, response: httpx.Response | None, call_deadline: float = math.inf
    ) -> float | None:
        wait = self.retry.next_wait(retry=retry, waited=waited, response=response, rng=self._rng, now=self._now)
        if wait is not None and time.monotonic() + wait >= call_deadline:
            logger.info("not retrying: call_timeout (%s s) would pass", self.config.call_timeout)
            return None
        if wait is not None and self.budget is not None and self.budget.remaining == 0:
            logger.info("not retrying: the call budget (%d) is spent", self.budget.max_calls)
            return None
        if wait is not None:
            cause = f"status {response.status_code}" if response is not None else "a connection error"
            logger.info("retry %d after %s in %.3f s", retry + 1, cause, wait)
        return wait

    def unreachable(self, exc: Exception, attempts: int, waits: list[float]) -> TransportError:
        if isinstance(exc, httpx.TimeoutException):
            return CallTimeoutError(
                f"{self.limits.url} did not answer in time after {attempts} attempt(s) (waited {sum(waits):.2f} s "
                f"between them): {type(exc).__name__}: {redact_text(str(exc))}; timeout={self.config.timeout} s per "
                f"attempt and call_timeout={self.config.call_timeout} s per call are wall-clock totals: raise "
                "IDCLASSIFY_TIMEOUT / IDCLASSIFY_CALL_TIMEOUT, or check the target"
            )
        return TransportError(
            f"{self.limits.url} could not be reached after {attempts} attempt(s) (waited {sum(waits):.2f} s): "
            f"{type(exc).__name__}: {redact_text(str(exc))}; check the base URL (IDCLASSIFY_BASE_URL) and the "
            "network, or raise IDCLASSIFY_TIMEOUT / IDCLASSIFY_MAX_RETRIES",
            original=exc,
        )

    def outcome(self, response: httpx.Response, attempts: int, waits: list[float], started: float) -> Outcome:
        return Outcome.from_httpx(
            response, attempts=attempts, waits=tuple(waits), total_elapsed=time.perf_counter() - started
        )

    @staticmethod
    def note(log: list[Attempt] | None, outcome: Outcome | None, exc: Exception | None, since: float) -> None:
        """Add one attempt to the caller's log (when it keeps one)."""
        if log is not None:
            error = f"{type(exc).__name__}: {exc}" if exc is not None else None
            log.append(Attempt(outcome, error, outcome.elapsed if outcome else time.perf_counter() - since))


class _ClientBase:
    """What the sync and async clients share: their settings, their budget, a masked repr."""

    _core: _Core
    _auth: Any

    @property
    def config(self) -> ClientConfig:
        """The settings this client was built with."""
        return self._core.config

    @property
    def budget(self) -> CallBudget | None:
        """The call budget this client spends, if any."""
        return self._core.budget

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.config.url!r}, auth={self._auth!r}, budget={self.budget!r})"


class IdClassifyClient(_ClientBase):
    """A synchronous client: one pooled :class:`httpx.Client`, retries, a call budget, masked logs.

    Reaches a base URL (``config.endpoint``), an ASGI app in-process (``app=``), or any httpx
    transport (``transport=``).  Without either, httpx's own transport is used, which is what
    vcrpy patches, so cassettes record and replay calls made with this client.

    Args:
        config: where to send and as whom (see :class:`ClientConfig`).
        transport: an httpx transport to send through.
        app: an ASGI application to call in-process (takes precedence over ``transport``).
        auth: overrides the authentication ``config`` asks for (``None``: send none).
        budget: a :class:`CallBudget` to share with other clients (default: from ``config.call_budget``).
        retry: the retry policy (default: from ``config.max_retries`` and ``config.max_retry_time``).
        sleep: waits between retries; injectable to record waits in tests.
        rng: the source of backoff jitter.
        now: the current time, for ``Retry-After`` dates.
        iam_transport: the transport for IAM token requests (password flow).

    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        app: Any = None,
        auth: AuthArg = httpx.USE_CLIENT_DEFAULT,
        budget: CallBudget | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = _utcnow,
        iam_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._core = _Core(config, budget=budget, retry=retry, rng=rng, now=now)
        self._sleep = sleep
        if app is not None:
            transport = SyncASGITransport(app)
        self._core.in_process = isinstance(transport, _IN_PROCESS)
        resolved = auth_from_config(config, iam_transport=iam_transport) if isinstance(auth, UseClientDefault) else auth
        self._auth = resolved
        self._http = httpx.Client(
            transport=transport,
            verify=_verify(transport),
            auth=resolved,
            timeout=self._core.timeout,
            follow_redirects=False,
            event_hooks={"request": [self._core.spend]},
        )
        bound_client(self._http)

    def classify(
        self,
        *,
        data: str | None = None,
        url: str | None = None,
        alarm: bool | None = None,
        enterprise_project_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthArg = httpx.USE_CLIENT_DEFAULT,
    ) -> Outcome:
        """Send a classification request (``None`` fields are left out of the body)."""
        return self.post(
            json=classification_body(data=data, url=url, alarm=alarm),
            enterprise_project_id=enterprise_project_id,
            headers=headers,
            auth=auth,
        )

    def post(
        self,
        *,
        json: Any = _NOT_GIVEN,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        enterprise_project_id: str | None = None,
        auth: AuthArg = httpx.USE_CLIENT_DEFAULT,
        attempt_log: list[Attempt] | None = None,
        path: str | None = None,
    ) -> Outcome:
        """Send any body to the API: a JSON value (``json=``), or exact bytes (``content=``).

        For malformed requests on purpose: wrong types, unknown fields, invalid JSON, extra or
        overriding ``headers`` (a given ``Authorization`` or ``X-Auth-Token`` is sent unchanged),
        or ``auth=None`` to send no credentials, or ``path`` to send to another path under the
        endpoint (a wrong path on purpose; ``{project_id}`` is filled in).  Retries 429, 5xx and
        connection errors as the retry policy allows, re-signing each attempt; ``attempt_log`` gets an
        :class:`Attempt` for each one, so that no answer a retry replaced goes unseen.

        Raises:
            BudgetExceededError: before sending, when the call budget is spent.
            TransportError: when the target cannot be reached within the retries.

        """
        core = self._core
        body = core.content(json, content)
        url = core.config.url if path is None else core.config.url_for(path)
        request_headers = core.headers(headers, enterprise_project_id)
        started = time.perf_counter()
        waits: list[float] = []
        attempts = 0
        call_deadline = core.call_deadline()
        while True:
            request = self._http.build_request("POST", url, content=body, headers=request_headers)
            attempts += 1
            sent_at = time.perf_counter()
            try:
                response = core.attempt(self._http, request, auth, call_deadline)
                # An auth flow may have sent the request more than once (a token refreshed after a 401).
                attempts += len(response.history)
            except RETRYABLE_ERRORS as exc:
                core.note(attempt_log, None, exc, sent_at)
                wait = core.next_wait(attempts - 1, sum(waits), None, call_deadline)
                if wait is None:
                    raise core.unreachable(exc, attempts, waits) from None
            else:
                outcome = core.outcome(response, attempts, waits, started)
                core.note(attempt_log, outcome, None, sent_at)
                wait = core.next_wait(attempts - 1, sum(waits), response, call_deadline)
                if wait is None:
                    return outcome
            self._sleep(wait)
            waits.append(wait)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> IdClassifyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncIdClassifyClient(_ClientBase):
    """The asynchronous twin of :class:`IdClassifyClient` (one pooled :class:`httpx.AsyncClient`).

    ``app=`` goes through :class:`httpx.ASGITransport`; ``sleep`` is awaited between retries
    (``asyncio.sleep`` by default).  Other arguments as for :class:`IdClassifyClient`.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        app: Any = None,
        auth: AuthArg = httpx.USE_CLIENT_DEFAULT,
        budget: CallBudget | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = _utcnow,
        iam_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._core = _Core(config, budget=budget, retry=retry, rng=rng, now=now)
        self._sleep = sleep
        if app is not None:
            transport = httpx.ASGITransport(app=app)
        self._core.in_process = isinstance(transport, _IN_PROCESS)
        resolved = (
            auth_from_config(config, async_iam_transport=iam_transport) if isinstance(auth, UseClientDefault) else auth
        )
        self._auth = resolved
        self._http = httpx.AsyncClient(
            transport=transport,
            verify=_verify(transport),
            auth=resolved,
            timeout=self._core.timeout,
            follow_redirects=False,
            event_hooks={"request": [self._spend]},
        )
        bound_async_client(self._http)

    async def _spend(self, request: httpx.Request) -> None:
        self._core.spend(request)

    async def classify(
        self,
        *,
        data: str | None = None,
        url: str | None = None,
        alarm: bool | None = None,
        enterprise_project_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthArg = httpx.USE_CLIENT_DEFAULT,
    ) -> Outcome:
        """Send a classification request (``None`` fields are left out of the body)."""
        return await self.post(
            json=classification_body(data=data, url=url, alarm=alarm),
            enterprise_project_id=enterprise_project_id,
            headers=headers,
            auth=auth,
        )

    async def post(
        self,
        *,
        json: Any = _NOT_GIVEN,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        enterprise_project_id: str | None = None,
        auth: AuthArg = httpx.USE_CLIENT_DEFAULT,
        attempt_log: list[Attempt] | None = None,
        path: str | None = None,
    ) -> Outcome:
        """Send any body to the API; see :meth:`IdClassifyClient.post`."""
        core = self._core
        body = core.content(json, content)
        url = core.config.url if path is None else core.config.url_for(path)
        request_headers = core.headers(headers, enterprise_project_id)
        started = time.perf_counter()
        waits: list[float] = []
        attempts = 0
        call_deadline = core.call_deadline()
        while True:
            request = self._http.build_request("POST", url, content=body, headers=request_headers)
            attempts += 1
            sent_at = time.perf_counter()
            try:
                response = await core.aattempt(self._http, request, auth, call_deadline)
                # An auth flow may have sent the request more than once (a token refreshed after a 401).
                attempts += len(response.history)
            except RETRYABLE_ERRORS as exc:
                core.note(attempt_log, None, exc, sent_at)
                wait = core.next_wait(attempts - 1, sum(waits), None, call_deadline)
                if wait is None:
                    raise core.unreachable(exc, attempts, waits) from None
            else:
                outcome = core.outcome(response, attempts, waits, started)
                core.note(attempt_log, outcome, None, sent_at)
                wait = core.next_wait(attempts - 1, sum(waits), response, call_deadline)
                if wait is None:
                    return outcome
            await self._sleep(wait)
            waits.append(wait)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncIdClassifyClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
