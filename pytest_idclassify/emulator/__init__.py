"""The reference emulator of the Auto ID Document Classification API.

An ASGI application (Starlette) that authenticates, validates in a fixed order, decodes and
recognises the image, and answers with the documented codes; it can also inject faults.  As a test
double it keeps a request journal, answers stubs, throttles per credential, and proxies to the real
service (recording cassettes) or replays them.  Build it
with :func:`create_app`, configure it with :class:`EmulatorSettings`, run it in-process with
:func:`asgi_transport` or on a port with :func:`serve` (or ``idclassify serve``).  The validation
order is written in ``pytest_idclassify/emulator/_app.py`` and ``docs/reference/emulator-settings.md``.
"""

from __future__ import annotations

from pytest_idclassify.emulator._app import API_PATH, FAULT_ERROR_HEADER, create_app
from pytest_idclassify.emulator._faults import FAULT_HEADER, Fault, parse_fault
from pytest_idclassify.emulator._journal import Journal, JournalEntry
from pytest_idclassify.emulator._labels import embed_label, read_label
from pytest_idclassify.emulator._serving import app_from_env, asgi_transport, serve, serve_process
from pytest_idclassify.emulator._settings import CONFIG_ENV, ENV_PREFIX, EmulatorSettings
from pytest_idclassify.emulator._stubs import Stub, StubBook, load_stubs

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
