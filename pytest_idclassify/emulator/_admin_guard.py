"""Who may call the admin routes, and from where: a client, never a web page it did not mean to call.

The client: with an admin token, any that sends it in ``X-Idclassify-Admin-Token`` (401 otherwise);
without one, clients on this machine only (403 for others), and only requests whose ``Host`` is a
loopback name or address or the address the connection reached (403 otherwise).

Not a web page: a page the tester opens may send requests to a loopback server, and a page whose own
name its DNS server re-points at 127.0.0.1 (DNS rebinding) may even read the answers as its own
origin's.  So a request whose ``Origin`` is another origin, or whose ``Sec-Fetch-Site`` is
``cross-site`` or ``same-site``, is refused (403); a state-changing request's body must be
``Content-Type: application/json`` (415 otherwise), which a browser sends to another origin only
after a CORS preflight, and the routes grant none; the ``Host`` check above defeats the re-pointed
name.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ADMIN_TOKEN_HEADER = "X-Idclassify-Admin-Token"
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: methods that change nothing; a browser sends them to another origin without asking first.
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: the most characters of a header value an error message quotes.
_SHOWN = 100


def _loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _loopback_client(host: str | None) -> bool:
    if host in (None, "localhost", "testclient"):
        # In-process transports (httpx's ASGITransport, Starlette's TestClient) have no socket at all.
        return True
    return _loopback_address(str(host))


def _authority(value: str, scheme: str) -> tuple[str, int] | None:
    """``host[:port]`` as (host in lower case, no brackets or trailing dot; port), or None if it is not one."""
    try:
        parts = urlsplit(f"{scheme}://{value.strip()}")
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is no number, an unclosed "["
        return None
    if not host or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    return host.rstrip("."), port or _DEFAULT_PORTS.get(scheme, 0)


def _scheme(request: Request) -> str:
    return str(request.scope.get("scheme", "http"))


def _addressed_here(request: Request) -> bool:
    """Whether ``Host`` names this machine: a loopback name or address, or the address the connection reached."""
    value = request.headers.get("host")
    if value is None:
        return True  # an HTTP/1.0 client: every browser sends Host
    parsed = _authority(value, _scheme(request))
    if parsed is None:
        return False
    host = parsed[0]
    # RFC 6761: a *.localhost name is never sent to a DNS server, so no page can re-point it.
    if host == "localhost" or host.endswith(".localhost") or _loopback_address(host):
        return True
    # A served emulator's own address (uvicorn gives the socket's), or an in-process transport's URL host.
    server = request.scope.get("server")
    if not server:
        return False
    return host == str(server[0]).lower().strip("[]")


def _from_another_origin(request: Request) -> str | None:
    """The header that shows a web page of another origin sent the request, or None."""
    # The routes serve no page: only "same-origin" or "none" (the user typed the URL) can be the tester's.
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site: {site}"
    origin = request.headers.get("origin")
    if origin is None:
        return None  # not a browser, or a browser's own navigation
    scheme = _scheme(request)
    own = _authority(request.headers.get("host", ""), scheme)
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        parts = None
    if own is None or parts is None or parts.scheme.lower() != scheme or _authority(parts.netloc, scheme) != own:
        return f"Origin: {origin[:_SHOWN]}"  # "null" too: a sandboxed page, a file
    return None


def _body_not_json(request: Request) -> str | None:
    """How a state-changing request's body is typed when it is not JSON (``none`` for untyped), else None."""
    if request.method in _SAFE_METHODS:
        return None
    has_body = request.headers.get("content-length", "0").strip() != "0" or "transfer-encoding" in request.headers
    if request.method == "DELETE" and not has_body:
        return None
    given = request.headers.get("content-type")
    if given is not None and given.partition(";")[0].strip().lower() == "application/json":
        return None
    # text/plain, the form encodings and no type at all are what a page may send anywhere unasked.
    return repr(given[:_SHOWN]) if given is not None else "none"


class AdminGuard:
    """The checks of the module docstring, made before an admin route reads its request's body."""

    def __init__(self, token: str) -> None:
        self.token = token

    def refusal(self, request: Request) -> Response | None:
        """The answer refusing ``request`` (the routes' ``{"error": ...}`` form), or None to serve it."""
        refused = self._unknown_client(request) if self.token else _not_local(request)
        if refused is not None:
            return refused
        cross = _from_another_origin(request)
        if cross is not None:
            return _refused(403, f"admin routes do not answer web pages of another origin ({cross})")
        media = _body_not_json(request)
        if media is not None:
            return _refused(415, f"admin routes take a body as Content-Type: application/json, not {media}")
        return None

    def _unknown_client(self, request: Request) -> Response | None:
        # Any Host will do (a compose service, a CI host): a page that re-points its own name at the
        # emulator cannot send a token it does not know.
        given = request.headers.get(ADMIN_TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8")):
            return _refused(401, f"send the admin token in {ADMIN_TOKEN_HEADER}")
        return None


def _not_local(request: Request) -> Response | None:
    if not _loopback_client(request.client.host if request.client else None):
        return _refused(403, "admin routes answer clients on this machine only; set admin_token to allow others")
    if not _addressed_here(request):
        host = request.headers.get("host", "")[:_SHOWN]
        why = "admin routes answer requests addressed to this machine (Host 127.0.0.1, [::1] or localhost), "
        return _refused(403, why + f"not Host {host!r}; set admin_token to call them by another name")
    return None


def _refused(status: int, why: str) -> Response:
    return JSONResponse({"error": why}, status_code=status)
