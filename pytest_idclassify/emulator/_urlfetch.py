"""Fetching a ``url`` input: http/https only, hosts on an allow-list only, bounded in time, size and redirects.

The allow-list is checked against the URL's literal host, never against what a name resolves to:
a name is fetched only if it is listed by name, exactly as written (``localhost.`` is not
``localhost``, ``127.0.0.1.`` is a name, not an address), so a name not on the list never reaches a
resolver and the emulator cannot be turned into a relay by a DNS record that points elsewhere.
Every redirect hop is checked again.  docs/reference/security.md states the rules.

Downloads share one httpx transport (connection pool) per event loop (in a server: one per
process), with one SSL context for the process, instead of building a client and a context for
every URL.  Redirects are handled here, hop by hop, so a malformed ``Location`` is the URL's fault.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
import weakref
from dataclasses import dataclass
from functools import cache
from urllib.parse import urljoin, urlsplit

import anyio
import httpx

from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.errors import ConfigurationError

_IMAGE_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
_REDIRECTS = {301, 302, 303, 307, 308}
#: the longest ``url`` (or redirect ``Location``) read; browsers and gateways stop at a few kB.
MAX_URL_LENGTH = 8192
_PORT = re.compile(r"[0-9]{1,5}")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AllowList:
    """Hosts a URL may name: exact host names, IP networks, or ``*`` for any host."""

    names: frozenset[str]
    networks: tuple[IPNetwork, ...]
    any_host: bool = False

    @classmethod
    def parse(cls, entries: tuple[str, ...]) -> AllowList:
        """Parse ``url_allow`` entries (``localhost``, ``127.0.0.0/8``, ``::1``, ``*``)."""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        any_host = False
        for entry in entries:
            text = entry.strip().lower()
            if text == "*":
                any_host = True
                continue
            try:
                networks.append(ipaddress.ip_network(text.strip("[]"), strict=False))
            except ValueError:
                if not text or "/" in text or ":" in text:
                    raise ConfigurationError(
                        f"url_allow entry {entry!r} is neither a host name nor an IP network; "
                        "use e.g. 'localhost', '127.0.0.0/8', '::1' or '*'"
                    ) from None
                # Kept as written: a trailing dot is another name to a resolver, so it is another entry here.
                names.add(text)
        return cls(frozenset(names), tuple(networks), any_host)

    def allows(self, host: str) -> bool:
        """Whether ``host`` (as written in the URL, brackets removed, case folded) may be fetched.

        An IP address is matched against the networks; anything else is a name and must be listed
        exactly, so ``localhost.``, ``127.0.0.1.`` or ``0x7f.1`` match nothing unless listed so.
        """
        if self.any_host:
            return True
        host = host.strip("[]").lower()
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return host in self.names
        return any(address in network for network in self.networks)


def _port_text(url: str) -> str:
    """The port of ``url`` as written (empty if none); ``ValueError`` for an authority that cannot be split."""
    authority = urlsplit(url).netloc.rpartition("@")[2]
    if authority.startswith("["):
        rest = authority.partition("]")[2]
        if rest and not rest.startswith(":"):
            raise ValueError(f"text after the IPv6 address: {rest!r}")
        return rest[1:]
    return authority.partition(":")[2]


def check_url(url: str, allow: AllowList, *, refused_code: str, raw_code: str) -> httpx.URL:
    """Refuse a URL with raw non-ASCII characters, another scheme or a host not allowed."""
    if not url.isascii():
        raise Refusal(raw_code, reason="url has raw non-ASCII characters; percent-encode them as UTF-8")
    if any(ch.isspace() or ord(ch) < 0x20 or ch == "\x7f" for ch in url):
        raise Refusal(raw_code, reason="url has whitespace or control characters")
    if len(url) > MAX_URL_LENGTH:
        raise Refusal(refused_code, reason=f"url has {len(url)} characters, over {MAX_URL_LENGTH}")
    try:
        parsed = httpx.URL(url)
        port = _port_text(url)
    # IDNA errors are UnicodeError, a ValueError; httpx raises InvalidURL for the rest.
    except (httpx.InvalidURL, ValueError, TypeError):
        raise Refusal(refused_code, reason="url cannot be parsed") from None
    if port and not (_PORT.fullmatch(port) and 1 <= int(port) <= 65535):
        raise Refusal(refused_code, reason=f"port {port[:20]!r} is not a number within 1..65535")
    if parsed.scheme not in {"http", "https"}:
        raise Refusal(refused_code, reason=f"scheme {parsed.scheme!r} is not http or https")
    # The host as written (IDNA-encoded), never a decoded or normalised form of it.
    host = parsed.raw_host.decode("ascii", "replace")
    if not host:
        raise Refusal(refused_code, reason="url has no host")
    if not allow.allows(host):
        raise Refusal(refused_code, reason=f"host {host[:100]!r} is not on the allow-list")
    try:
        parsed.host  # noqa: B018 - decoding it is the check: an A-label that is not valid IDNA is refused here
    except ValueError:
        raise Refusal(refused_code, reason="url host is not valid IDNA") from None
    return parsed


async def fetch_image(
    url: str,
    *,
    allow: AllowList,
    timeout: float,
    max_bytes: int,
    max_redirects: int,
    refused_code: str,
    raw_code: str,
    failed_code: str,
) -> bytes:
    """Download the image at ``url`` or raise the :class:`Refusal` the settings name."""
    target = check_url(url, allow, refused_code=refused_code, raw_code=raw_code)
    transport = fetch_transport()
    extensions = {"timeout": httpx.Timeout(timeout).as_dict()}
    try:
        with anyio.fail_after(timeout):
            for _hop in range(max_redirects + 1):
                request = httpx.Request("GET", target, headers={"Accept-Encoding": "identity"}, extensions=extensions)
                response = await transport.handle_async_request(request)
                try:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        target = _redirect_target(target, response.headers["location"], allow, refused_code)
                        continue
                    return await _read_image(response, max_bytes=max_bytes, failed_code=failed_code)
                finally:
                    await response.aclose()
            raise Refusal(failed_code, reason=f"more than {max_redirects} redirects")
    except TimeoutError:
        raise Refusal(failed_code, reason=f"download took longer than {timeout} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # InvalidURL and ValueError (IDNA, a port out of range) from a URL that passed the checks above
        # are still the URL's fault, never the emulator's.
        raise Refusal(failed_code, reason=f"download failed: {type(exc).__name__}") from None


def _redirect_target(current: httpx.URL, location: str, allow: AllowList, refused_code: str) -> httpx.URL:
    """Resolve a ``Location`` against the current URL and check it like the first URL; malformed is refused.

    Every fault of a ``Location`` is refused with ``refused_code``, raw characters too: the image's
    host wrote it, not the client, whose own URL passed.
    """
    try:
        joined = urljoin(str(current), location)
    except ValueError:
        raise Refusal(refused_code, reason="the redirect's Location cannot be parsed") from None
    return check_url(joined, allow, refused_code=refused_code, raw_code=refused_code)


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle is most of what building a client costs: do it once per process.
    return httpx.create_ssl_context()


_transports: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncHTTPTransport] = (
    weakref.WeakKeyDictionary()
)


def fetch_transport() -> httpx.AsyncHTTPTransport:
    """The download transport of the running event loop, built once (a server runs one loop per process).

    It keeps no idle connection (a download is one request to a host chosen by a client), so a loop
    that ends leaves no socket behind, and it reads no proxy settings from the environment.
    """
    loop = asyncio.get_running_loop()
    transport = _transports.get(loop)
    if transport is None:
        transport = httpx.AsyncHTTPTransport(verify=_ssl_context(), limits=httpx.Limits(max_keepalive_connections=0))
        _transports[loop] = transport
    return transport


async def _read_image(response: httpx.Response, *, max_bytes: int, failed_code: str) -> bytes:
    if response.status_code != 200:
        raise Refusal(failed_code, reason=f"the server answered {response.status_code}")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and not content_type.startswith(_IMAGE_TYPES):
        raise Refusal(failed_code, reason=f"content type {content_type!r} is not an image")
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise Refusal(failed_code, reason=f"image of {declared} bytes is over the {max_bytes}-byte cap")
    data = bytearray()
    async for chunk in response.aiter_raw():
        if len(data) + len(chunk) > max_bytes:
            raise Refusal(failed_code, reason=f"image is over the {max_bytes}-byte cap")
        data += chunk
    return bytes(data)
