"""One budget of bytes for the request bodies a worker process holds at once, and reading a body within it.

A request takes room for its body as the bytes arrive, and keeps it until it is answered, since its
body and then its decoded image stay in memory until then.  Room is taken for bytes received, not
for the ``Content-Length`` a head declares: a connection that declares megabytes and sends nothing
costs nothing, so idle heads cannot fill the budget and keep every other client out.  A request
whose next bytes do not fit waits for room, up to ``body_budget_wait`` seconds, then is refused with
429 ModelArts.4401 (a documented "too many concurrent requests" answer that clients retry).  Room
goes to the waiter nearest the end of its body that fits, so a small request is not held up behind a
large one.  When the budget is full of requests that all wait for more room, none could move until
their waits ran out: a request nearer its end then has the waiters furthest from theirs refused at
once (the same 429), and takes the room they held.  Only an authenticated request reaches the budget.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
from starlette.requests import Request

from pytest_idclassify.emulator._answers import Refusal

#: the code of a request refused for want of room in the budget.
BUDGET_CODE = "ModelArts.4401"
#: the code of a body that did not arrive within ``body_timeout`` (shorter than it claimed to be).
BODY_TIMEOUT_CODE = "ModelArts.4104"
_LENGTH = re.compile(r"[0-9]+")
#: the most digits a length is read as a number from; a longer one is more than any limit.
_LENGTH_DIGITS = 18

#: what :meth:`BodyBudget.account` yields: take room for this many more bytes, or raise the 429.
TakeRoom = Callable[[int], Awaitable[None]]


@dataclass(eq=False)
class _Waiter:
    """A request waiting for room: what it asks, what it holds, and how far it is from its end."""

    size: int
    held: int
    #: bytes its body has still to bring, these included (the budget's capacity when no length is declared).
    remaining: int
    granted: anyio.Event = field(default_factory=anyio.Event)
    #: refused to make room for a request nearer its end.
    evicted: bool = False


class BodyBudget:
    """A byte budget shared by the requests of one app (one worker process serves one app)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._held = 0
        self._waiters: list[_Waiter] = []
        self._lock = threading.Lock()

    @property
    def held(self) -> int:
        """Bytes reserved now."""
        return self._held

    def _give_back(self, size: int) -> None:
        with self._lock:
            self._held -= size
            granted = []
            for waiter in sorted(self._waiters, key=lambda w: w.remaining):
                if self._held + waiter.size <= self.capacity:
                    self._held += waiter.size
                    self._waiters.remove(waiter)
                    granted.append(waiter.granted)
        for event in granted:
            event.set()

    def _make_way(self, waiter: _Waiter) -> list[_Waiter]:
        """The waiters furthest from their end, holding enough room for ``waiter``; none if they do not suffice.

        Only waiters with more of their body still to come are taken: a full budget of requests that
        all wait for room would otherwise stand still until their waits run out.
        """
        shortfall = self._held + waiter.size - self.capacity
        chosen, freed = [], 0
        further = (w for w in self._waiters if w.held and w.remaining > waiter.remaining)
        for other in sorted(further, key=lambda w: w.remaining, reverse=True):
            if freed >= shortfall:
                break
            chosen.append(other)
            freed += other.held
        return chosen if freed >= shortfall else []

    def _withdraw(self, waiter: _Waiter) -> bool:
        """Take ``waiter`` out of the queue; False if it had been granted its room (or evicted) already."""
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                return True
            return False

    async def _reserve(self, waiter: _Waiter, *, wait: float, retry_after: int) -> None:
        """Take ``waiter.size`` bytes, waiting up to ``wait`` seconds for room, or refuse with 429."""
        with self._lock:
            if self._held + waiter.size <= self.capacity:
                self._held += waiter.size
                return
            self._waiters.append(waiter)
            evicted = self._make_way(waiter)
            for other in evicted:
                other.evicted = True
                self._waiters.remove(other)
        for other in evicted:
            other.granted.set()
        try:
            with anyio.move_on_after(wait):
                await waiter.granted.wait()
        except BaseException:
            # Cancelled while waiting: leave the queue, and give back room granted meanwhile.
            if not self._withdraw(waiter) and not waiter.evicted:
                self._give_back(waiter.size)
            raise
        if waiter.evicted or self._withdraw(waiter):
            reason = (
                "made room for a request nearer its end"
                if waiter.evicted
                else f"no room for {waiter.size} bytes in the {self.capacity}-byte body budget within {wait} s"
            )
            raise Refusal(BUDGET_CODE, headers={"Retry-After": str(retry_after), "Connection": "close"}, reason=reason)

    @asynccontextmanager
    async def account(self, *, wait: float, retry_after: int, declared: int | None = None) -> AsyncIterator[TakeRoom]:
        """Yield a function that takes room for more bytes (or refuses with 429); all of it is given back after.

        ``declared`` is the body's ``Content-Length``: a request nearer its end is served first.
        """
        held = 0

        async def take(size: int) -> None:
            nonlocal held
            size = min(size, self.capacity - held)
            if size > 0:
                remaining = self.capacity if declared is None else max(declared - held, size)
                await self._reserve(_Waiter(size, held, remaining), wait=wait, retry_after=retry_after)
                held += size

        try:
            yield take
        finally:
            if held:
                self._give_back(held)


def declared_length(request: Request) -> int | None:
    """``Content-Length`` as a number, if the request declares one in ASCII digits (else ``None``).

    A length of more digits than any body has is read as more than every limit, so that it is
    refused at once (413) rather than waited for.
    """
    declared = request.headers.get("content-length")
    if declared is None or not _LENGTH.fullmatch(digits := declared.strip()):
        return None
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _LENGTH_DIGITS else sys.maxsize


async def read_body(request: Request, *, limit: int, timeout: float, room: TakeRoom | None = None) -> bytes:
    """Read the body, refusing it past ``limit`` bytes (413) or past ``timeout`` seconds (ModelArts.4104).

    With ``room`` (a :meth:`BodyBudget.account`), room is taken for each part as it arrives.
    """
    body = bytearray()
    with anyio.move_on_after(timeout) as deadline:
        async for chunk in request.stream():
            if len(body) + len(chunk) > limit:
                raise Refusal("APIG.0201", message="Request entity too large.", reason="body over the limit")
            if room is not None:
                await room(len(chunk))
            body += chunk
    if deadline.cancelled_caught:
        raise Refusal(
            BODY_TIMEOUT_CODE,
            headers={"Connection": "close"},
            reason=f"the body was not complete after {timeout} s ({len(body)} bytes received)",
        )
    return bytes(body)
