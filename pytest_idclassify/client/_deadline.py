"""Wall-clock deadlines and byte budgets for a call: every socket read and write stops when it is spent.

httpx's timeouts apply to each read, so a server that sends one byte every few seconds never
trips them.  The sync transport here wraps httpcore's network streams so each read and write is
given at most the time left before the deadline of the call in progress (a context variable set
around the call), whether the server drips its status line, its headers or its body.

The wrappers themselves live in :mod:`._deadline_backends`, imported only for a client that has an
HTTP transport: httpx imports httpcore on building one, and a client that never opens a socket
(in-process, replay) need not pay for httpcore's import (and, through it, trio's, wherever trio is
installed).
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from typing import Any

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


def _spend_wire(count: int) -> None:
    """Count ``count`` bytes read off a socket against the current :func:`wire_budget` (if any)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.spend(count)


def _bounded_timeout(timeout: float | None, exc: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before the current deadline; ``exc`` raised when none is left."""
    left = time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise exc("no time left for this attempt (IDCLASSIFY_TIMEOUT) or call (IDCLASSIFY_CALL_TIMEOUT)")
    return left if timeout is None else min(timeout, left)


def bound_by_deadline(transport: object) -> None:
    """Make an httpx HTTP transport's connections honour :func:`deadline` (other transports are left as they are)."""
    if isinstance(transport, httpx.HTTPTransport):
        from pytest_idclassify.client._deadline_backends import _bound_sync_transport

        _bound_sync_transport(transport)


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
        if isinstance(transport, httpx.AsyncHTTPTransport):
            from pytest_idclassify.client._deadline_backends import _bound_async_transport

            _bound_async_transport(transport)
