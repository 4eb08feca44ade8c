"""The reference emulator of the Auto ID Document Classification API.

An ASGI application (Starlette) that authenticates, validates in a fixed order, decodes and
recognises the image, and answers with the documented codes; it can also inject faults.  As a test
double it keeps a request journal, answers stubs, throttles per credential, and proxies to the real
service (recording cassettes) or replays them.  Build it
with :func:`create_app`, configure it with :class:`EmulatorSettings`, run it in-process with
:func:`asgi_transport` or on a port with :func:`serve` (or ``idclassify serve``).  The validation
order is written in ``pytest_idclassify/emulator/_app.py`` and ``docs/reference/emulator-settings.md``.

The application and the ways to serve it (Starlette, uvicorn, httpx) load on first use (PEP 562):
settings, faults, stubs and the journal import none of them, so a replay that only reads the
emulator's defaults pays for no web framework.
"""

from __future__ import annotations

import typing as _typing

from pytest_idclassify._lazy import lazy_exports as _lazy_exports
from pytest_idclassify.emulator._faults import FAULT_HEADER, Fault, parse_fault
from pytest_idclassify.emulator._journal import Journal, JournalEntry
from pytest_idclassify.emulator._labels import embed_label, read_label
from pytest_idclassify.emulator._settings import CONFIG_ENV, ENV_PREFIX, EmulatorSettings
from pytest_idclassify.emulator._stubs import Stub, StubBook, load_stubs

if _typing.TYPE_CHECKING:
    from pytest_idclassify.emulator._app import API_PATH, FAULT_ERROR_HEADER, create_app
    from pytest_idclassify.emulator._serving import app_from_env, asgi_transport, serve, serve_process

_LAZY = {
    **dict.fromkeys(("API_PATH", "FAULT_ERROR_HEADER", "create_app"), "pytest_idclassify.emulator._app"),
    **dict.fromkeys(
        ("app_from_env", "asgi_transport", "serve", "serve_process"), "pytest_idclassify.emulator._serving"
    ),
}

__all__ = [
    "API_PATH",
    "CONFIG_ENV",
    "ENV_PREFIX",
    "FAULT_ERROR_HEADER",
    "FAULT_HEADER",
    "EmulatorSettings",
    "Fault",
    "Journal",
    "JournalEntry",
    "Stub",
    "StubBook",
    "app_from_env",
    "asgi_transport",
    "create_app",
    "embed_label",
    "load_stubs",
    "parse_fault",
    "read_label",
    "serve",
    "serve_process",
]


# Not for type checkers, which read the imports above (see lazy_exports).
if not _typing.TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
