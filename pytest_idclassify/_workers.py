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
"""

from __future__ import annotations

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


def _run_worker(config: dict[str, Any], sock: socket.socket, environment: dict[str, str], ready: Any) -> None:
    import uvicorn

    os.environ.update(environment)
    server = uvicorn.Server(uvicorn.Config(**config))

    def report_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready.set()

    threading.Thread(target=report_ready, daemon=True).start()
    server.run(sockets=[sock])


class _Worker:
    """One worker process, and whether it has said it is serving."""

    def __init__(self, context: Any, config: dict[str, Any], sock: socket.socket, environment: dict[str, str]) -> None:
        self.ready = context.Event()
        self.process: BaseProcess = context.Process(
            target=_run_worker, args=(config, sock, environment, self.ready), daemon=False
        )
        self.process.start()


def serve_workers(
    app: str, *, workers: int, host: str, port: int, environment: Mapping[str, str] | None = None, **config: Any
) -> int:
    """Run ``app`` (an import string) in ``workers`` processes until SIGINT or SIGTERM; return the exit status.

    ``config`` goes to each worker's ``uvicorn.Config`` as it would to ``uvicorn.run``; ``environment``
    is added to each worker's environment before it imports the app.  A worker that exits by itself
    before it serves (its app cannot be imported, its start-up failed) would only fail again, so the
    server stops; any other that stops (killed by a signal, or after serving) is replaced.  The
    status is 0 after a signal, or :data:`STARTUP_FAILURE`.
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
        pool.extend(_Worker(context, settings, sock, extra) for sock in sockets)
        while not stop.wait(_POLL):
            for index, worker in enumerate(pool):
                if worker.process.is_alive():
                    continue
                code = worker.process.exitcode
                # A worker that exits by itself before serving (its app cannot be imported, its start-up
                # failed) would fail again; one killed by a signal, or one that served, starts again.
                if not worker.ready.is_set() and code is not None and code >= 0:
                    _logger.error("a worker stopped before it served (exit status %s): stopping", code)
                    status = STARTUP_FAILURE
                    stop.set()
                    break
                # Replaced on its socket: meanwhile the kernel keeps the connections it hashes there waiting.
                _logger.warning("worker %s stopped (exit status %s): starting another", worker.process.pid, code)
                pool[index] = _Worker(context, settings, sockets[index], extra)
    finally:
        _stop_all(pool)
        for sock in set(sockets):
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


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
