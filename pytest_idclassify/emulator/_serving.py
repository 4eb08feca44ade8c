"""Ways to run the emulator: in-process (ASGI transport), on a port in a thread or in its own process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from pytest_idclassify.emulator._app import create_app
from pytest_idclassify.emulator._settings import CONFIG_ENV, EmulatorSettings


def app_from_env() -> Starlette:
    """Build the app from ``IDCLASSIFY_EMULATOR_*`` variables and the file named by ``IDCLASSIFY_EMULATOR_CONFIG``.

    This is the factory ``uvicorn --factory pytest_idclassify.emulator:app_from_env`` calls in each
    worker process, which is how ``idclassify serve --workers N`` passes its settings on.
    """
    config = os.environ.get(CONFIG_ENV) or None
    from pytest_idclassify.redaction import redact_logs

    redact_logs(learn=False)  # a worker process logs on its own loggers, filtered in this process too
    return create_app(EmulatorSettings.load(config_file=config, environ=os.environ))


def asgi_transport(settings: EmulatorSettings | None = None) -> httpx.ASGITransport:
    """Return an httpx transport that serves requests from a fresh emulator in this process (async clients)."""
    return httpx.ASGITransport(app=create_app(settings))


@contextmanager
def serve(settings: EmulatorSettings | None = None, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the emulator with uvicorn in a background thread; yield its base URL, stop it on exit.

    The server applies the settings' connection bounds (``header_timeout``, ``keep_alive_timeout``).
    """
    from pytest_idclassify._serve import serve_in_thread

    settings = settings if settings is not None else EmulatorSettings()
    with serve_in_thread(create_app(settings), host=host, port=port, **uvicorn_options(settings)) as base_url:
        yield base_url


def uvicorn_options(settings: EmulatorSettings, *, in_this_process: bool = True) -> dict[str, Any]:
    """The ``uvicorn.Config`` options that apply ``settings``' connection bounds.

    A server in this process gets a protocol class carrying its ``header_timeout``; worker processes
    import the protocol by name and read the setting from the environment, as they read the rest.
    """
    from pytest_idclassify.emulator._protocol import PROTOCOL_PATH, HeadTimeoutProtocol

    protocol: Any = PROTOCOL_PATH
    if in_this_process:
        protocol = HeadTimeoutProtocol.with_header_timeout(settings.header_timeout)
    return {"http": protocol, "timeout_keep_alive": settings.keep_alive_timeout}


#: how long a server process may take to accept connections before it counts as failed.
_PROCESS_STARTUP = 60.0


@contextmanager
def serve_process(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """Run ``idclassify serve`` in its own process group; yield its base URL once it accepts connections.

    A separate process keeps the emulator's own outgoing calls (URL downloads) out of anything that
    patches the caller's HTTP client, such as a cassette being recorded.  ``env`` adds
    ``IDCLASSIFY_EMULATOR_*`` settings and ``args`` more flags of ``idclassify serve``.  The process is
    stopped on exit.

    Raises:
        ConfigurationError: the server exits or does not accept connections within a minute.

    """
    from pytest_idclassify._serve import free_port
    from pytest_idclassify.cli import program
    from pytest_idclassify.errors import ConfigurationError

    port = port or free_port(host)
    command = [*program(), "serve", "--host", host, "--port", str(port), "--workers", str(workers), *args]
    # A file, not a pipe: a chatty server cannot fill it and stall, and it is there to quote on failure.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                                   stderr=log, start_new_session=True)  # fmt: skip
        try:
            deadline = time.monotonic() + _PROCESS_STARTUP
            while True:
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        detail = log.read().decode("utf-8", "replace")[-2000:]
                        raise ConfigurationError(
                            f"`idclassify serve` on {host}:{port} did not start: {detail}"
                        ) from None
                    time.sleep(0.1)
            yield f"http://{host}:{port}"
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
