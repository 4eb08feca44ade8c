"""Ways to run the emulator: in-process through httpx's ASGI transport, on a port in a thread, or from env."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

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
    return create_app(EmulatorSettings.load(config_file=config, environ=os.environ))


def asgi_transport(settings: EmulatorSettings | None = None) -> httpx.ASGITransport:
    """Return an httpx transport that serves requests from a fresh emulator in this process (async clients)."""
    return httpx.ASGITransport(app=create_app(settings))


@contextmanager
def serve(settings: EmulatorSettings | None = None, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the emulator with uvicorn in a background thread; yield its base URL, stop it on exit."""
    from pytest_idclassify._serve import serve_in_thread

    with serve_in_thread(create_app(settings), host=host, port=port) as base_url:
        yield base_url
