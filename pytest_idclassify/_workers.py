"""Serve an ASGI app from several uvicorn worker processes, each accepting on a listening socket of its own.

``uvicorn.run(workers=N)`` shares one listening socket among its workers, with two costs measured
on loopback (``benchmarks/load_emulator.py``: 16 kept-alive clients, 2 workers): the worker that
wakes first accepts every pending connection, so one process served all the requests while the
other stayed idle; and the socket, bound without naming its protocol, leaves Nagle's algorithm on
for every connection it accepts (asyncio only turns it off for a socket that says ``IPPROTO_TCP``),
so an answer written in two parts waits for the client's delayed acknowledgement.

Here each worker gets its own socket, bound with ``SO_REUSEPORT`` so that the kernel spreads new
connections across them, and created as ``IPPROTO_TCP`` so that asyncio sets ``TCP_NODELAY`` on
each connection.  The kernel lets only processes of the same user share such a port.  A worker
that exits by itself before it serves stops the whole server; any other that stops is replaced.

A worker whose event loop stops running (a handler that blocks it, a deadlock) would hold the
connections the kernel hashes to its socket for good.  Each worker's loop counts a heartbeat in
shared memory, from a task of its own; the supervisor replaces a serving worker whose count has
not moved for the worker timeout, and stops the server when a worker has not started serving by
the start-up deadline.  Both are measured on the supervisor's monotonic clock, so a step of the
wall clock changes nothing, and a supervisor that finds it was not running itself for a while (the
whole server paused, a machine suspended) gives every worker that time back before judging it.
Work on other threads (recognition) does not stop the count; a worker held in a debugger does.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from typing import Any

_logger = logging.getLogger("uvicorn.error")

#: uvicorn's exit status for a server whose start-up (the app's lifespan) failed; also this
#: supervisor's, when a worker stops before it has started serving.
STARTUP_FAILURE = 3
#: seconds a serving worker's event loop may count no heartbeat before it is replaced (0: never).
DEFAULT_WORKER_TIMEOUT = 30.0
#: seconds a worker may take from its start to serving (importing the app, its start-up) before the server stops.
DEFAULT_START_TIMEOUT = 120.0
_POLL = 0.5
_STOP_WAIT = 10.0
#: Linux spreads connections over sockets sharing a port with SO_REUSEPORT; other systems (macOS,
#: the BSDs) hand them all to one, and Windows has no such option: there the workers share one socket.
_REUSE_PORT: int | None = getattr(socket, "SO_REUSEPORT", None) if sys.platform.startswith("linux") else None


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port), with ``SO_REUSEPORT`` on Linux; not listening yet."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if _REUSE_PORT is not None:
        sock.setsockopt(socket.SOL_SOCKET, _REUSE_PORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def beat_period(timeout: float) -> float:
    """How often a worker counts a heartbeat: a tenth of the timeout, at most once a second."""
    return min(1.0, timeout / 10) if timeout > 0 else 1.0


async def _count_beats(beats: Any, period: float) -> None:
    """Add one to ``beats`` every ``period`` seconds, for as long as this event loop runs its tasks."""
    while True:
        beats.value += 1
        await asyncio.sleep(period)


def _run_worker(
    config: dict[str, Any], sock: socket.socket, environment: dict[str, str], ready: Any, beats: Any, period: float
) -> None:
    import uvicorn

    os.environ.update(environment)
    server = uvicorn.Server(uvicorn.Config(**config))
    serve = server.serve

    async def serve_beating(sockets: list[socket.socket] | None = None) -> None:
        # A task of its own on the server's loop: it beats while the loop runs anything at all,
        # through start-up, serving and a graceful shutdown's draining alike.
        beating = asyncio.get_running_loop().create_task(_count_beats(beats, period))
        try:
            await serve(sockets=sockets)
        finally:
            beating.cancel()

    server.serve = serve_beating  # type: ignore[method-assign]  # Server.run awaits self.serve

    def report_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready.value = 1

    threading.Thread(target=report_ready, daemon=True).start()
    server.run(sockets=[sock])


class _Worker:
    """One worker process, whether it has said it is serving, and when its heartbeat last moved."""

    def __init__(
        self, context: Any, config: dict[str, Any], sock: socket.socket, environment: dict[str, str], period: float
    ) -> None:
        # Both plain shared memory, without a lock: a worker killed while holding one (the OOM killer,
        # a kill from outside) would leave the supervisor waiting on it for good.
        self.ready = context.RawValue("b", 0)
        self.beats = context.RawValue("Q", 0)
        self.started_at = self.beat_at = time.monotonic()
        self._seen = 0
        self._serving = False
        self.killed = False
        self.process: BaseProcess = context.Process(
            target=_run_worker, args=(config, sock, environment, self.ready, self.beats, period), daemon=False
        )
        self.process.start()

    def silence(self, now: float) -> float | None:
        """Read the heartbeat at ``now``: seconds since a read saw it move, once the worker serves; None before.

        Silence is counted from the supervisor's own reads, never from a time the worker wrote.
        """
        count = int(self.beats.value)
        if count != self._seen:
            self._seen, self.beat_at = count, now
        if not self._serving and self.ready.value:
            self._serving, self.beat_at = True, now  # judged from when it said it serves
        return now - self.beat_at if self._serving else None

    def give_back(self, seconds: float) -> None:
        """Add ``seconds`` to every allowance, for a time the supervisor itself did not run."""
        self.started_at += seconds
        self.beat_at += seconds


def serve_workers(
    app: str,
    *,
    workers: int,
    host: str,
    port: int,
    environment: Mapping[str, str] | None = None,
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
    start_timeout: float = DEFAULT_START_TIMEOUT,
    **config: Any,
) -> int:
    """Run ``app`` (an import string) in ``workers`` processes until SIGINT or SIGTERM; return the exit status.

    ``config`` goes to each worker's ``uvicorn.Config`` as it would to ``uvicorn.run``; ``environment``
    is added to each worker's environment before it imports the app.  A worker that exits by itself
    before it serves (its app cannot be imported, its start-up failed), or that has not started
    serving ``start_timeout`` seconds after it was started, would only fail again, so the server
    stops; any other that stops (killed by a signal, or after serving) is replaced, and so is one
    whose event loop has counted no heartbeat for ``worker_timeout`` seconds.  A timeout of 0 turns
    its check off.  The status is 0 after a signal, or :data:`STARTUP_FAILURE`.
    """
    import uvicorn

    uvicorn.Config(app, log_level=config.get("log_level"))  # this process logs as its workers do
    # Spawned, not forked: a worker starts from a clean interpreter, as uvicorn's own workers do.
    context = multiprocessing.get_context("spawn")
    extra = dict(environment or {})
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    sockets: list[socket.socket] = []
    pool: list[_Worker] = []
    status = 0
    try:
        sockets.append(listening_socket(host, port))
        bound = int(sockets[0].getsockname()[1])
        while len(sockets) < workers:
            sockets.append(listening_socket(host, bound) if _REUSE_PORT is not None else sockets[0])
        settings = {"app": app, "host": host, "port": bound, **config}
        period = beat_period(worker_timeout)
        pool.extend(_Worker(context, settings, sock, extra, period) for sock in sockets)
        polled = time.monotonic()
        while not stop.wait(_POLL):
            now = time.monotonic()
            _give_back_a_pause(pool, now - polled, worker_timeout)
            polled = now
            for index, worker in enumerate(pool):
                if worker.process.is_alive():
                    if _overdue(worker, now, worker_timeout, start_timeout):
                        status = STARTUP_FAILURE
                        stop.set()
                        break
                    continue
                code = worker.process.exitcode
                # A worker that exits by itself before serving (its app cannot be imported, its start-up
                # failed) would fail again; one killed by a signal, or one that served, starts again.
                if not worker.ready.value and code is not None and code >= 0:
                    _logger.error("a worker stopped before it served (%s): stopping", _ending(code))
                    status = STARTUP_FAILURE
                    stop.set()
                    break
                # Replaced on its socket: meanwhile the kernel keeps the connections it hashes there waiting.
                _logger.warning("worker %s stopped (%s): starting another", worker.process.pid, _ending(code))
                pool[index] = _Worker(context, settings, sockets[index], extra, period)
    finally:
        _stop_all(pool)
        for sock in set(sockets):
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _ending(code: int | None) -> str:
    """How a worker process ended, in words: ``exit status 1``, ``killed by SIGKILL``."""
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _give_back_a_pause(pool: list[_Worker], gap: float, worker_timeout: float) -> None:
    """Give every worker back the time the supervisor was not running, when the poll came that late.

    A poll comes about :data:`_POLL` seconds after the last one.  One that comes far later means
    this process was not running (the whole server paused with Ctrl-Z or ``docker pause``, the
    machine suspended or starved), and its workers most likely were not either: their silence over
    that time says nothing about them.
    """
    if gap > _POLL + max(1.0, worker_timeout / 4):
        for worker in pool:
            worker.give_back(gap - _POLL)


def _overdue(worker: _Worker, now: float, worker_timeout: float, start_timeout: float) -> bool:
    """Kill a worker whose loop is stuck; True when one has not started serving in time (stop the server)."""
    if worker.killed:
        return False  # the next poll that finds it gone starts another
    silence = worker.silence(now)
    if silence is None:
        if start_timeout <= 0 or now - worker.started_at <= start_timeout:
            return False
        _logger.error(
            "worker %s did not start serving within %g s (does importing the app or its start-up hang?): stopping",
            worker.process.pid, start_timeout,
        )  # fmt: skip
        return True
    if 0 < worker_timeout < silence:
        # Killed, not asked: a loop that runs nothing cannot run uvicorn's graceful shutdown either.
        # Not waited for either (a poll that waited would look like a pause): a later poll finds it
        # gone and starts another on its socket.
        _logger.error(
            "worker %s: its event loop has been stuck for %.1f s (the worker timeout is %g s): replacing it",
            worker.process.pid, silence, worker_timeout,
        )  # fmt: skip
        worker.process.kill()
        worker.killed = True
    return False


def _stop_all(pool: list[_Worker]) -> None:
    """Ask every worker to stop (uvicorn shuts down gracefully on SIGTERM); kill those still up after the wait."""
    for worker in pool:
        if worker.process.is_alive():
            worker.process.terminate()
    deadline = time.monotonic() + _STOP_WAIT
    for worker in pool:
        worker.process.join(max(0.0, deadline - time.monotonic()))
    for worker in pool:
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
