"""The address of the suite's URL image server: where it may listen, and when a target needs none.

Kept apart from the image server itself so that resolving the options imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import ipaddress
from urllib.parse import urlsplit

from pytest_idclassify.errors import ConfigurationError


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a URL's host, IPv6 without brackets) names this machine's loopback interface."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_image_host(text: str, where: str = "--idclassify-image-host") -> tuple[str, int]:
    """Split ``HOST[:PORT]`` (``[v6]:PORT`` or a bare IPv6 address) into host and port (0: any free port).

    Raises:
        ConfigurationError: for an empty host, a bad port, or a wildcard address (which a target
            cannot fetch from), naming ``where`` the value came from.

    """
    value = text.strip()
    bare_v6 = value.count(":") > 1 and not value.startswith("[")
    try:
        parts = urlsplit("//" + (f"[{value}]" if bare_v6 else value))
        host, port = parts.hostname or "", parts.port or 0
    except ValueError as exc:
        raise ConfigurationError(f"{where}={text!r} is not HOST[:PORT] ({exc}); e.g. 192.168.1.20:8765") from None
    if not host or parts.path or parts.query or parts.username:
        raise ConfigurationError(f"{where}={text!r} is not HOST[:PORT]; e.g. 192.168.1.20 or 192.168.1.20:8765")
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_unspecified:
            raise ConfigurationError(
                f"{where}={text!r} is a wildcard address, which no target can fetch from: give the address "
                "at which the target reaches this machine (its LAN address, or the container host's address)"
            )
    return host, port


def check_listenable(host: str, port: int, where: str = "--idclassify-image-host") -> None:
    """Bind ``host:port`` for a moment, so that an address not of this machine is a usage error at start-up.

    Raises:
        ConfigurationError: naming ``where``, when the address cannot be bound.

    """
    from pytest_idclassify._serve import bound_port

    try:
        bound_port(host, port)
    except OSError as exc:
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise ConfigurationError(
            f"{where}: the URL image server cannot listen on {shown} ({exc.strerror or exc}); give an address "
            "of this machine that the target reaches, and a free port or none"
        ) from None
