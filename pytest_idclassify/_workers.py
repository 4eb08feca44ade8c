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
that dies is replaced; one that fails during its start-up stops the whole server.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from typing import Any

_logger = logging.getLogger("uvicorn.error")

#: uvicorn's exit status for a server whose start-up (the app's lifespan) failed.
STARTUP_FAILURE = 3
#: a worker that exits with an error within this many seconds of starting is not restarted: it would fail again.
_EARLY_EXIT = 5.0
_POLL = 0.5
#: absent on Windows: there every worker accepts on the one socket, as under uvicorn's supervisor.
_REUSE_PORT: int | None = getattr(socket, "SO_REUSEPORT", None)
_STOP_WAIT = 10.0


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: a free port), with ``SO_REUSEPORT`` where there is one; not listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if _REUSE_PORT is not None:
        sock.setsockopt(socket.SOL_SOCKET, _REUSE_PORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _run_worker(config: dict[str, Any], sock: socket.socket, environment: dict[str, str]) -> None:
    import uvicorn

    os.environ.update(environment)

    uvicorn.Server(uvicorn.Config(**config)).run(sockets=[sock])


class _Worker:
    def __init__(self, context: Any, config: dict[str, Any], sock: socket.socket, environment: dict[str, str]) -> None:
        self.started = time.monotonic()
        self.process: BaseProcess = context.Process(target=_run_worker, args=(config, sock, environment), daemon=False)
        self.process.start()


def serve_workers(
    app: str, *, workers: int, host: str, port: int, environment: Mapping[str, str] | None = None, **config: Any
) -> int:
    """Run ``app`` (an import string) in ``workers`` processes until SIGINT or SIGTERM; return the exit status.

    ``config`` goes to each worker's ``uvicorn.Config`` as it would to ``uvicorn.run``; ``environment``
    is added to each worker's environment before it imports the app.  The status is 0 after a
    signal, or :data:`STARTUP_FAILURE` when a worker could not start.
    """
    first = listening_socket(host, port)
    bound = int(first.getsockname()[1])
    if _REUSE_PORT is None:
        sockets = [first] * workers
    else:
        sockets = [first, *(listening_socket(host, bound) for _ in range(workers - 1))]
    # Spawned, not forked: a worker starts from a clean interpreter, as uvicorn's own workers do.
    context = multiprocessing.get_context("spawn")
    settings = {"app": app, "host": host, "port": bound, **config}
    extra = dict(environment or {})
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool = [_Worker(context, settings, sock, extra) for sock in sockets]
    status = 0
    try:
        while not stop.wait(_POLL):
            for index, worker in enumerate(pool):
                if worker.process.is_alive():
                    continue
                code = worker.process.exitcode
                # A worker killed by a signal is replaced at once; one that exits on its own right after
                # starting (its app cannot be imported, its start-up failed) would only fail again.
                early = code is not None and code > 0 and time.monotonic() - worker.started < _EARLY_EXIT
                if code == STARTUP_FAILURE or early:
                    _logger.error("a worker process stopped during start-up (exit status %s): stopping", code)
                    status = STARTUP_FAILURE
                    stop.set()
                    break
                _logger.warning(
                    "worker process %s stopped (exit status %s): starting another", worker.process.pid, code
                )
                pool[index] = _Worker(context, settings, sockets[index], extra)
    finally:
        for worker in pool:
            if worker.process.is_alive():
                worker.process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for worker in pool:
            worker.process.join(_STOP_WAIT)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        for sock in set(sockets):
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
