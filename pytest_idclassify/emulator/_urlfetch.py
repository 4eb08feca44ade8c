"""Fetching a ``url`` input: http/https only, hosts on an allow-list only, bounded in time, size and redirects.

The allow-list is checked against the URL's literal host, never against what a name resolves to:
a name is fetched only if it is listed by name, so the emulator cannot be turned into a relay to
other machines by a DNS record that points elsewhere.  Every redirect hop is checked again.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urljoin

import anyio
import httpx

from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.errors import ConfigurationError

_IMAGE_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
_REDIRECTS = {301, 302, 303, 307, 308}

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
                names.add(text.rstrip("."))
        return cls(frozenset(names), tuple(networks), any_host)

    def allows(self, host: str) -> bool:
        """Whether ``host`` (as written in the URL, brackets removed) may be fetched."""
        if self.any_host:
            return True
        host = host.strip("[]").lower().rstrip(".")
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return host in self.names
        return any(address in network for network in self.networks)


def check_url(url: str, allow: AllowList, *, refused_code: str, raw_code: str) -> httpx.URL:
    """Refuse a URL with raw non-ASCII characters, another scheme or a host not allowed."""
    if not url.isascii():
        raise Refusal(raw_code, reason="url has raw non-ASCII characters; percent-encode them as UTF-8")
    if any(ch.isspace() or ord(ch) < 0x20 or ch == "\x7f" for ch in url):
        raise Refusal(raw_code, reason="url has whitespace or control characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise Refusal(refused_code, reason="url cannot be parsed") from None
    if parsed.scheme not in {"http", "https"}:
        raise Refusal(refused_code, reason=f"scheme {parsed.scheme!r} is not http or https")
    if not parsed.host:
        raise Refusal(refused_code, reason="url has no host")
    if not allow.allows(parsed.host):
        raise Refusal(refused_code, reason=f"host {parsed.host!r} is not on the allow-list")
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
    try:
        with anyio.fail_after(timeout):
            async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout) as client:
                for _hop in range(max_redirects + 1):
                    async with client.stream("GET", target, headers={"Accept-Encoding": "identity"}) as response:
                        if response.status_code in _REDIRECTS and "location" in response.headers:
                            location = urljoin(str(target), response.headers["location"])
                            target = check_url(location, allow, refused_code=refused_code, raw_code=raw_code)
                            continue
                        return await _read_image(response, max_bytes=max_bytes, failed_code=failed_code)
                raise Refusal(failed_code, reason=f"more than {max_redirects} redirects")
    except TimeoutError:
        raise Refusal(failed_code, reason=f"download took longer than {timeout} s") from None
    except httpx.HTTPError as exc:
        raise Refusal(failed_code, reason=f"download failed: {type(exc).__name__}") from None


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
