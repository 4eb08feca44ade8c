"""Serve an ASGI application with uvicorn in a background thread (tests, fixtures, the emulator)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from pytest_idclassify.errors import TransportError

# How long startup and shutdown may take before we give up waiting: generous, because a loaded CI
# machine can be slow, and only reached when something is broken.
_STARTUP_WAIT = 30.0
_SHUTDOWN_WAIT = 10.0


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port on ``host`` that nothing listens on now (bound, then released).

    Good for a server started in another process, or for a URL that must fail to connect; a
    server in this process should bind port 0 itself (:func:`serve_in_thread` does), which leaves
    no window for another program to take the port.
    """
    return bound_port(host, 0)


def bound_port(host: str, port: int) -> int:
    """Bind ``host:port`` for a moment as a server would (IPv6 when the host has a colon); return the port.

    Port 0 gives a free one.  Raises OSError when the address is not this machine's or the port is
    taken, so a caller can say so in its own words before announcing a server.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: Any, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Iterator[str]:
    """Serve ``app`` on ``host:port`` in a daemon thread; yield its base URL; stop it on exit.

    ``port=0`` binds a free port (the socket is bound before uvicorn starts, so there is no race
    between choosing the port and using it).  Startup failures are raised here, not left in the
    thread.  ``options`` go to ``uvicorn.Config`` (e.g. ``http``, ``timeout_keep_alive``).

    Raises:
        TransportError: when the server does not start.

    """
    import uvicorn  # here, not at the top: a replay imports this module for free_port, and serves nothing

    class _ThreadServer(uvicorn.Server):
        def install_signal_handlers(self) -> None:
            # Signal handlers belong to the main thread's owner (pytest, the command line), not to us.
            return None

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        detail = f"cannot bind {host}:{port}: {exc}; choose another port, or port=0 for a free one"
        raise TransportError(detail) from exc
    bound_port = sock.getsockname()[1]
    # log_config=None: uvicorn's dictConfig would close every handler of the host process (pytest's
    # --log-file among them); a server in a thread logs through the host's logging as it is.
    config = uvicorn.Config(
        app,
        **{
            "log_level": "warning",
            "ws": "none",
            "lifespan": "auto",
            "access_log": False,
            "log_config": None,
            **options,
        },
    )
    server = _ThreadServer(config)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller's thread below
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"uvicorn-{bound_port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + _STARTUP_WAIT
        while not server.started:
            if errors or not thread.is_alive():
                detail = f": {errors[0]!r}" if errors else ""
                raise TransportError(f"the server for {app!r} on {host}:{bound_port} failed to start{detail}")
            if time.monotonic() > deadline:
                detail = f"the server for {app!r} on {host}:{bound_port} did not start within {_STARTUP_WAIT} s"
                raise TransportError(detail)
            time.sleep(0.01)
        yield _url(host, bound_port)
    finally:
        server.should_exit = True
        thread.join(_SHUTDOWN_WAIT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_SHUTDOWN_WAIT)
        sock.close()
