"""AK/SK request signing (``SDK-HMAC-SHA256``) as an :class:`httpx.Auth`."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime, timezone

import httpx

from pytest_idclassify.client import _canonical as c
from pytest_idclassify.client._masking import mask_secret
from pytest_idclassify.errors import SigningError

# Headers that proxies and HTTP stacks add, drop or rewrite on the way: signing them would make a
# signature fragile without protecting anything the API reads.  The official SDK never sets them.
_UNSIGNED = frozenset(
    {
        "authorization",
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "expect",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AkSkAuth(httpx.Auth):
    """Sign each request with an access key and secret key, exactly as the official SDK does.

    Adds ``X-Sdk-Date`` (unless the request already carries one, which lets a test send a stale
    date on purpose) and ``X-Security-Token`` for temporary credentials, then signs every header
    the caller set (``content-type``, ``host``, ``user-agent``, ``x-project-id``, ``x-sdk-date``,
    ``enterprise-project-id``, ``x-security-token``, and any extra header), leaving out the
    transport headers (``accept*``, ``connection``, ``content-length``...) and, like the SDK, any
    name with an underscore.  The body is hashed as the exact bytes sent.  A request that already
    has an ``Authorization`` header is sent as it is, so malformed signatures can be sent on purpose.

    Each attempt is signed afresh, so a retried POST carries a new ``X-Sdk-Date``.

    Args:
        access_key: the AK.
        secret_key: the SK.
        security_token: the security token of temporary credentials, or ``None``.
        clock: returns the current time (aware UTC); injectable for tests.

    """

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        security_token: str | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if not access_key:
            raise SigningError("AkSkAuth needs an access key: set CLOUD_SDK_AK (or pass access_key=)")
        if not secret_key:
            raise SigningError("AkSkAuth needs a secret key: set CLOUD_SDK_SK (or pass secret_key=)")
        self._ak = access_key
        self._sk = secret_key
        self._security_token = security_token or None
        self._clock = clock

    @property
    def access_key(self) -> str:
        """The access key (AK) requests are signed with."""
        return self._ak

    def __repr__(self) -> str:
        token = f", security_token={mask_secret(self._security_token)!r}" if self._security_token else ""
        return f"AkSkAuth(access_key={mask_secret(self._ak)!r}, secret_key={mask_secret(self._sk)!r}{token})"

    @staticmethod
    def signed_header_names(request: httpx.Request) -> list[str]:
        """Return the lowercase names of the headers that :meth:`sign` signs in ``request``, sorted."""
        names = {name.lower() for name in request.headers}
        return sorted(name for name in names if name not in _UNSIGNED and "_" not in name)

    def canonical_request(self, request: httpx.Request) -> str:
        """Return the canonical request of an already-dated ``request`` (for debugging and tests)."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        signed = self.signed_header_names(request)
        return c.canonical_request(
            request.method,
            request.url.path,
            request.url.params.multi_items(),
            headers,
            signed,
            c.payload_hash(request.content, headers),
        )

    def sign(self, request: httpx.Request) -> httpx.Request:
        """Add the date, security token and ``Authorization`` headers to ``request`` in place."""
        if "authorization" in request.headers:
            return request
        if c.DATE_HEADER not in request.headers:
            request.headers["X-Sdk-Date"] = c.format_sdk_date(self._clock())
        sdk_date = request.headers[c.DATE_HEADER]
        try:
            c.parse_sdk_date(sdk_date)
        except ValueError:
            raise SigningError(
                f"X-Sdk-Date {sdk_date!r} is not in the form YYYYMMDDTHHMMSSZ; remove the header to let the "
                "signer date the request, or give it in that form"
            ) from None
        if self._security_token is not None:
            request.headers["X-Security-Token"] = self._security_token
        canonical = self.canonical_request(request)
        sig = c.signature(self._sk, c.string_to_sign(canonical, sdk_date))
        request.headers["Authorization"] = c.authorization(self._ak, self.signed_header_names(request), sig)
        return request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request and send it."""
        yield self.sign(request)
