"""Drive an ASGI application from synchronous code through :class:`httpx.ASGITransport`."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import anyio.from_thread


class SyncASGITransport(httpx.BaseTransport):
    """A synchronous transport that hands each request to an ASGI app in-process.

    ``httpx.ASGITransport`` only works with async clients; this runs it on an event loop in a
    background thread (an anyio blocking portal, started on first use and stopped by
    :meth:`close`), so the sync client reaches the same app the same way as the async one.
    """

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._stack = contextlib.ExitStack()
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._lock = threading.Lock()

    def _get_portal(self) -> anyio.from_thread.BlockingPortal:
        # anyio's thread portal is imported on first use: a client that never calls an app
        # in-process (replay, a served target) need not load it.
        import anyio.from_thread

        with self._lock:
            if self._portal is None:
                self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
            return self._portal

    async def _send(self, request: httpx.Request) -> tuple[int, list[tuple[bytes, bytes]], bytes, dict[str, Any]]:
        response = await self._inner.handle_async_request(request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        return response.status_code, response.headers.raw, content, dict(response.extensions)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the app and return its complete response."""
        # Read whole, a request's stream is a ByteStream, which is async-iterable too: the app reads
        # the same request, with no copy of its body or headers.
        request.read()
        status, headers, content, extensions = self._get_portal().call(self._send, request)
        # A stream (not content=) so httpx reads and closes it, which is what records `elapsed`.
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), extensions=extensions)

    def close(self) -> None:
        """Stop the background event loop."""
        with self._lock:
            self._stack.close()
            self._portal = None
