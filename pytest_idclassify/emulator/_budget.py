"""One budget of bytes for the request bodies a worker process holds at once, and reading a body within it.

A request takes room for its body as the bytes arrive, and keeps it until it is answered, since its
body and then its decoded image stay in memory until then.  Room is taken for bytes received, not
for the ``Content-Length`` a head declares: a connection that declares megabytes and sends nothing
costs nothing, so idle heads cannot fill the budget and keep every other client out.  A request
whose next bytes do not fit waits for room, up to ``body_budget_wait`` seconds, then is refused with
429 ModelArts.4401 (a documented "too many concurrent requests" answer that clients retry).  Room
goes to the waiter nearest the end of its body that fits, so a small request is not held up behind a
large one.  A waiter that finds no room, whenever it starts waiting or room comes free, has waiters
further from their end refused at once (the same 429) if the room they hold is enough, and is
handed that room: a budget full of requests that all wait for more would otherwise stand still
until their waits ran out.  A request that holds room but is not waiting for more is never refused
for another's sake.  Only an authenticated request reaches the budget.
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
class _Request:
    """One request's place in the budget: the length its head declares and the room it holds."""

    #: the ``Content-Length``, or the budget's capacity for a body of unknown length (served last).
    declared: int
    held: int = 0


@dataclass(eq=False)
class _Waiter:
    """A request waiting for ``size`` more bytes of room."""

    request: _Request
    size: int
    granted: anyio.Event = field(default_factory=anyio.Event)
    #: refused, its room handed to a request nearer its end.
    evicted: bool = False

    @property
    def remaining(self) -> int:
        """Bytes its body has still to bring, these included."""
        return max(self.request.declared - self.request.held, self.size)


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

    def _fits(self, waiter: _Waiter) -> bool:
        return self._held + waiter.size <= self.capacity

    def _grant(self, waiter: _Waiter) -> None:
        self._held += waiter.size
        waiter.request.held += waiter.size

    def _evict_for(self, waiter: _Waiter) -> list[_Waiter]:
        """Refuse the waiters furthest from their end, if the room they hold makes ``waiter`` fit; who was refused.

        Only waiters with more of their body still to come than ``waiter`` are taken, so two
        requests never refuse each other, and their room is handed over at once, before any other
        request can take it.
        """
        shortfall = self._held + waiter.size - self.capacity
        further = [w for w in self._waiters if w.request.held and w.remaining > waiter.remaining]
        further.sort(key=lambda w: w.remaining, reverse=True)
        chosen, freed = [], 0
        for other in further:
            if freed >= shortfall:
                break
            chosen.append(other)
            freed += other.request.held
        if freed < shortfall:
            return []
        for other in chosen:
            self._held -= other.request.held
            other.request.held = 0
            other.evicted = True
            self._waiters.remove(other)
        return chosen

    def _rebalance(self) -> None:
        """Grant room to waiters, nearest their end first, refusing waiters further from theirs where that makes room.

        Runs whenever a request starts waiting or room is given back; called with the lock held.
        """
        woken: list[_Waiter] = []
        evicting = True
        for waiter in sorted(self._waiters, key=lambda w: w.remaining):
            if waiter.evicted:
                continue
            if not self._fits(waiter) and evicting:
                evicted = self._evict_for(waiter)
                # Waiters further from their end have fewer to take from: stop refusing for this pass.
                evicting = bool(evicted)
                woken += evicted
            if self._fits(waiter):
                self._grant(waiter)
                self._waiters.remove(waiter)
                woken.append(waiter)
        for each in woken:
            each.granted.set()

    def _give_back(self, request: _Request) -> None:
        with self._lock:
            self._held -= request.held
            request.held = 0
            self._rebalance()

    async def _reserve(self, waiter: _Waiter, *, wait: float, retry_after: int) -> None:
        """Take ``waiter.size`` bytes, waiting up to ``wait`` seconds for room, or refuse with 429."""
        with self._lock:
            if self._fits(waiter):
                self._grant(waiter)
                return
            self._waiters.append(waiter)
            self._rebalance()
        try:
            with anyio.move_on_after(wait):
                await waiter.granted.wait()
        finally:
            # Run out or cancelled while waiting: leave the queue (room granted is the request's to give back).
            with self._lock:
                waited_out = waiter in self._waiters
                if waited_out:
                    self._waiters.remove(waiter)
        if waiter.evicted or waited_out:
            reason = (
                "its room was handed to a request nearer its end"
                if waiter.evicted
                else f"no room for {waiter.size} bytes in the {self.capacity}-byte body budget within {wait} s"
            )
            raise Refusal(BUDGET_CODE, headers={"Retry-After": str(retry_after), "Connection": "close"}, reason=reason)

    @asynccontextmanager
    async def account(self, *, wait: float, retry_after: int, declared: int | None = None) -> AsyncIterator[TakeRoom]:
        """Yield a function that takes room for more bytes (or refuses with 429); all of it is given back after.

        ``declared`` is the body's ``Content-Length``: a request nearer its end is served first.
        """
        request = _Request(self.capacity if declared is None else declared)

        async def take(size: int) -> None:
            size = min(size, self.capacity - request.held)
            if size > 0:
                await self._reserve(_Waiter(request, size), wait=wait, retry_after=retry_after)

        try:
            yield take
        finally:
            if request.held:
                self._give_back(request)


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
