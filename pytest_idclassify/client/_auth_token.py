"""Token authentication (``X-Auth-Token``) as an :class:`httpx.Auth`."""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Generator

import httpx

from pytest_idclassify.client._iam import IamTokenSource
from pytest_idclassify.client._masking import mask_secret
from pytest_idclassify.client._reading import ReadLimits, aread_bounded, read_bounded
from pytest_idclassify.errors import ConfigurationError

HEADER = "X-Auth-Token"


class TokenAuth(httpx.Auth):
    """Send an IAM token in ``X-Auth-Token``: a fixed one, or one fetched (and cached) from IAM.

    With a token source, a ``401`` answer drops the cached token and the request is sent once more
    with a fresh one (the token may have been revoked before its expiry).  A request that already
    carries ``X-Auth-Token`` is sent as it is, so a wrong token can be sent on purpose.

    Args:
        token: a fixed token (``IDCLASSIFY_TOKEN``).
        source: fetches tokens with a password identity (see :class:`IamTokenSource`).
        limits: the bounds a refused (401) answer is read within before the retry with a fresh token
            (the client passes its own; without them httpx reads that answer whole).

    """

    requires_request_body = True

    def __init__(
        self, token: str | None = None, *, source: IamTokenSource | None = None, limits: ReadLimits | None = None
    ) -> None:
        if (token is None) == (source is None):
            raise ConfigurationError(
                "TokenAuth needs exactly one of token= (IDCLASSIFY_TOKEN) or source= (an IamTokenSource)"
            )
        if token is not None and not token.strip():
            raise ConfigurationError("TokenAuth got an empty token: set IDCLASSIFY_TOKEN to an IAM token")
        self._token = token
        self._source = source
        self._limits = limits

    def __repr__(self) -> str:
        if self._token is not None:
            return f"TokenAuth(token={mask_secret(self._token)!r})"
        return f"TokenAuth(source={self._source!r})"

    def _require_source(self) -> IamTokenSource:
        if self._source is None:  # unreachable: __init__ demands a token or a source
            raise ConfigurationError("TokenAuth has neither a token nor a token source")
        return self._source

    def _prepared(self, request: httpx.Request, token: str) -> bool:
        if HEADER.lower() in request.headers:
            return False
        request.headers[HEADER] = token
        return True

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Attach the token; with a source, retry once with a fresh token after a 401."""
        token = self._token if self._token is not None else self._require_source().token()
        ours = self._prepared(request, token)
        response = yield request
        if ours and self._source is not None and response.status_code == 401:
            if self._limits is not None:
                # httpx reads this answer whole before the retry: read it within the client's bounds first.
                read_bounded(response, self._limits, math.inf)
            self._source.invalidate(token)
            request.headers[HEADER] = self._source.token()
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Attach the token; with a source, retry once with a fresh token after a 401."""
        token = self._token if self._token is not None else await self._require_source().atoken()
        ours = self._prepared(request, token)
        response = yield request
        if ours and self._source is not None and response.status_code == 401:
            if self._limits is not None:
                await aread_bounded(response, self._limits, math.inf)
            self._source.invalidate(token)
            request.headers[HEADER] = await self._source.atoken()
            yield request
