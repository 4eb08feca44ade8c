"""The HTTP/1.1 protocol the emulator is served with: uvicorn's h11 protocol plus a deadline for each request head.

uvicorn closes a kept-alive connection that stays idle (``timeout_keep_alive``), but not one that
sends nothing after connecting, nor one that sends half a request head and stops: each would hold a
socket and its buffers forever.  This protocol gives every request head ``header_timeout`` seconds,
counted from the connection's start or the end of the previous answer; past it the connection is
closed.  Once the head is in, the app's own ``body_timeout`` bounds the body.
"""

from __future__ import annotations

import asyncio
import os
from functools import cache
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

#: the import string ``uvicorn.run(http=...)`` takes, for worker processes that import it afresh.
PROTOCOL_PATH = "pytest_idclassify.emulator._protocol:HeadTimeoutProtocol"


@cache
def _configured_header_timeout() -> float:
    # Worker processes of `idclassify serve` get their settings from the environment, as the app does.
    from pytest_idclassify.emulator._settings import CONFIG_ENV, EmulatorSettings

    settings = EmulatorSettings.load(config_file=os.environ.get(CONFIG_ENV) or None, environ=os.environ)
    return settings.header_timeout


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head does not arrive in ``header_timeout`` s."""

    #: seconds for each request head; ``None`` reads the ``header_timeout`` setting from the environment.
    header_timeout: ClassVar[float | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._waiting_after: object = None

    @classmethod
    def with_header_timeout(cls, seconds: float) -> type[HeadTimeoutProtocol]:
        """A subclass with its own deadline, for a server in this process built from explicit settings."""
        return type(cls.__name__, (cls,), {"header_timeout": float(seconds)})

    def _deadline(self) -> float:
        return self.header_timeout if self.header_timeout is not None else _configured_header_timeout()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        # The cycle current when the timer is armed: a new one appears once the next head is parsed.
        self._waiting_after = self.cycle
        self._head_timer = self.loop.call_later(self._deadline(), self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.cycle is self._waiting_after and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the connection and the deadline for its first request head."""
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        """Feed h11; once a new request's head is parsed, its deadline is met."""
        super().data_received(data)
        if self._head_timer is not None and self.cycle is not self._waiting_after:
            self._disarm_head_timer()

    def on_response_complete(self) -> None:
        """Finish the answer, then give the next request on this connection its own deadline."""
        finished = self.cycle
        super().on_response_complete()
        # A pipelined request already parsed has met its deadline; otherwise the next head is awaited.
        if not self.transport.is_closing() and self.cycle is finished:
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline with the connection."""
        self._disarm_head_timer()
        super().connection_lost(exc)
