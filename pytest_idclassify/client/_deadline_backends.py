"""The httpcore network backends that bound a call's sockets by its deadline and byte budget.

Imported by :mod:`._deadline` only for a client with an HTTP transport, which has imported httpcore
already: see there for why.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from pytest_idclassify.client._deadline import _bounded_timeout, _spend_wire


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never outlast the call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, _bounded_timeout(timeout, httpcore.ReadTimeout))
        _spend_wire(len(data))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded_timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded_timeout(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, with every stream it opens bounded by the call's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _bounded_timeout(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded_timeout(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_unix_socket(path, bounded, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncBudgetStream(httpcore.AsyncNetworkStream):
    """An async network stream whose reads count against the attempt's byte budget (its deadline is a task timeout)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        _spend_wire(len(data))
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncBudgetStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncBudgetBackend(httpcore.AsyncNetworkBackend):
    """httpcore's async network backend, with every stream it opens counting against the byte budget."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncBudgetStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncBudgetStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _wrap_backend(transport: object, backend_kind: type, wrapper: type) -> None:
    """Wrap the network backend of ``transport``'s httpcore pool in ``wrapper`` (once).

    httpx builds its httpcore pool without a way to pass a network backend; the pool reads this
    attribute for every new connection, so wrapping it once covers them all (proxies included).
    """
    pool: Any = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, backend_kind) and not isinstance(backend, wrapper):
        pool._network_backend = wrapper(backend)


def _bound_sync_transport(transport: httpx.HTTPTransport) -> None:
    """Make ``transport``'s connections honour the call's deadline and byte budget."""
    _wrap_backend(transport, httpcore.NetworkBackend, _DeadlineBackend)


def _bound_async_transport(transport: httpx.AsyncHTTPTransport) -> None:
    """Make ``transport``'s connections count their reads against the call's byte budget."""
    _wrap_backend(transport, httpcore.AsyncNetworkBackend, _AsyncBudgetBackend)
