"""The ``idclassify_emulator`` fixture's object: the reference emulator in-process or on a port."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from pytest_idclassify.client import ClientConfig, IdClassifyClient

#: every handle alive in this process: the plugin puts each one's stubs back after every test,
#: whichever fixture (the plugin's or a project's own) made it.
_LIVE: weakref.WeakSet[EmulatorHandle] = weakref.WeakSet()


def live_handles() -> list[EmulatorHandle]:
    """The emulator handles alive in this process, in no particular order."""
    return list(_LIVE)


class EmulatorHandle:
    """One reference emulator app with its settings; clients in-process, or a real port on demand.

    ``requests`` is the emulator's journal (what it was sent and answered, redacted), ``stubs`` its
    stubs; :meth:`stub` adds one.  Both are shared by every client and port of this handle.
    """

    def __init__(self, settings: Any = None) -> None:
        from pytest_idclassify.emulator import EmulatorSettings, create_app

        self.settings = settings if settings is not None else EmulatorSettings()
        self.app = create_app(self.settings)
        self._clients: list[IdClassifyClient] = []
        _LIVE.add(self)

    @property
    def requests(self) -> Any:
        """The request journal: ``.assert_count(n, **fields)``, ``.assert_received(...)``, ``.last``, ``.clear()``."""
        return self.app.state.journal

    @property
    def stubs(self) -> Any:
        """The emulator's stubs, in matching order (``.add``, ``.remove``, ``.clear``)."""
        return self.app.state.stubs

    def stub(self, name: str, *, answer: Mapping[str, Any], **match: Any) -> Any:
        """Add a stub: ``match`` conditions (``image_sha256``, ``label``, ``url``, ``header``) and its ``answer``.

        ``answer`` is ``{"result": {...}}`` or ``{"error": "AIS.0105"}``; it is checked against the
        contract at once (:class:`~pytest_idclassify.errors.StubError` names the clause it breaks).
        """
        return self.stubs.add({"name": name, "match": match, "answer": dict(answer)})

    def config(self, endpoint: str = "http://emulator.invalid", **changes: Any) -> ClientConfig:
        """A client configuration with the emulator's project id and fake token (``changes`` override)."""
        values: dict[str, Any] = {"endpoint": endpoint, "project_id": self.settings.project_id, "auth": "token",
                                  "token": self.settings.tokens[0], "max_retries": 0}  # fmt: skip
        if self.settings.credentials:
            values["access_key"], values["secret_key"] = self.settings.credentials[0]
        return ClientConfig(**{**values, **changes})

    def client(self, **changes: Any) -> IdClassifyClient:
        """A client calling the emulator in-process (no socket), closed with the fixture."""
        client = IdClassifyClient(self.config(**changes), app=self.app)
        self._clients.append(client)
        return client

    @contextlib.contextmanager
    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve this emulator on a real port for the block; yield its base URL."""
        from pytest_idclassify._serve import serve_in_thread

        with serve_in_thread(self.app, host=host, port=port) as url:
            yield url

    def close(self) -> None:
        """Close every client handed out."""
        for client in self._clients:
            client.close()
