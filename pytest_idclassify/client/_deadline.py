"""Wall-clock deadlines and byte budgets for a call: every socket read and write stops when it is spent.

httpx's timeouts apply to each read, so a server that sends one byte every few seconds never
trips them.  The sync transport here wraps httpcore's network streams so each read and write is
given at most the time left before the deadline of the call in progress (a context variable set
around the call), whether the server drips its status line, its headers or its body.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("idclassify_deadline", default=None)


class _WireBudget:
    """The bytes an attempt may still read off the wire, and the error raised past them."""

    def __init__(self, limit: int, error: Callable[[], Exception]) -> None:
        self.left = limit
        self.error = error

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise self.error()


_BUDGET: contextvars.ContextVar[_WireBudget | None] = contextvars.ContextVar("idclassify_wire_budget", default=None)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Bound every socket operation of this thread (or task) by ``at`` (a ``time.monotonic()`` value)."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


@contextlib.contextmanager
def wire_budget(limit: int, error: Callable[[], Exception]) -> Iterator[None]:
    """Bound the bytes this thread reads off its sockets to ``limit``: past it, ``error()`` is raised.

    A cap on the wire itself, under anything that reads a whole answer before the client's own
    bounded reading sees it (vcrpy recording a cassette, httpx reading an answer it retries).
    """
    token = _BUDGET.set(_WireBudget(limit, error))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def time_left() -> float | None:
    """Seconds before the current deadline (``None`` outside :func:`deadline`; ``0.0`` when past)."""
    at = _DEADLINE.get()
    return None if at is None else max(0.0, at - time.monotonic())


def _bounded(timeout: float | None, exc: type[Exception]) -> float | None:
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise exc("no time left for this attempt (IDCLASSIFY_TIMEOUT) or call (IDCLASSIFY_CALL_TIMEOUT)")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose reads and writes never outlast the call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))
        _spend(len(data))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
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
            host, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout), socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _spend(count: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(count)


class _AsyncBudgetStream(httpcore.AsyncNetworkStream):
    """An async network stream whose reads count against the attempt's byte budget (its deadline is a task timeout)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        _spend(len(data))
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


def _wrap_backend(transport: object, kind: type, backend_kind: type, wrapper: type) -> None:
    """Wrap the network backend of ``transport``'s httpcore pool in ``wrapper`` (once; other transports untouched).

    httpx builds its httpcore pool without a way to pass a network backend; the pool reads this
    attribute for every new connection, so wrapping it once covers them all (proxies included).
    """
    pool: Any = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(transport, kind) and isinstance(backend, backend_kind) and not isinstance(backend, wrapper):
        pool._network_backend = wrapper(backend)


def bound_by_deadline(transport: object) -> None:
    """Make an httpx HTTP transport's connections honour :func:`deadline` (other transports are left as they are)."""
    _wrap_backend(transport, httpx.HTTPTransport, httpcore.NetworkBackend, _DeadlineBackend)


def bound_client(client: httpx.Client) -> None:
    """Apply :func:`bound_by_deadline` to a client's transport and to each transport it mounts (proxies)."""
    inner: Any = client
    bound_by_deadline(inner._transport)
    for mounted in inner._mounts.values():
        bound_by_deadline(mounted)


def bound_async_client(client: httpx.AsyncClient) -> None:
    """Make an async client's HTTP transports (its own and mounted ones) count reads against :func:`wire_budget`."""
    inner: Any = client
    for transport in (inner._transport, *inner._mounts.values()):
        _wrap_backend(transport, httpx.AsyncHTTPTransport, httpcore.AsyncNetworkBackend, _AsyncBudgetBackend)
