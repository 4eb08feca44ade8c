"""Where URL cases' images are served from: the suite's own image server, or a user's upload hook.

The image server is a small Starlette app that serves each registered image under a path that
may hold Chinese characters, and misbehaves on request (redirect, slow, 500, 404, wrong content
type), so every URL clause runs offline.  It listens on 127.0.0.1 for the embedded emulator and
for any target on loopback, or on the address ``--idclassify-image-host`` names for a target on
another machine.  A public service cannot reach either: for it, the user names a public base URL
and an upload hook instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from pytest_idclassify._serve import free_port
from pytest_idclassify.cases import ImageSource, UrlImage
from pytest_idclassify.errors import ConfigurationError, UploadHookError
from pytest_idclassify.suite._images import rendered, url_digest

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

#: how long a "slow" answer stalls, at most, before sending the image, unless the fetcher gives up
#: first: longer than the emulator's fetch timeout that the suite configures (see
#: pytest_idclassify.suite._target.EMULATOR_FETCH_TIMEOUT).  Served targets get a longer stall.
SLOW_SECONDS = 2.5
#: how often a stalling answer looks whether the fetcher has hung up.
_DISCONNECT_POLL = 0.05

_CONTENT_TYPES = {b"\xff\xd8": "image/jpeg", b"\x89P": "image/png", b"BM": "image/bmp", b"II": "image/tiff",
                  b"MM": "image/tiff", b"GI": "image/gif", b"RI": "image/webp"}  # fmt: skip


def content_type_of(content: bytes) -> str:
    """The image MIME type for a file's magic bytes (``application/octet-stream`` when unknown)."""
    return _CONTENT_TYPES.get(content[:2], "application/octet-stream")


class UrlHost(Protocol):
    """Turns a :class:`UrlImage` into a URL the target can fetch."""

    def url_for(self, image: UrlImage) -> str:
        """Make the image reachable and return its URL exactly as the request will carry it."""


def _unique_path(image: UrlImage) -> str:
    return f"/img/{url_digest(image)}/{image.path.lstrip('/')}"


def _content(source: ImageSource | None) -> bytes:
    return rendered(source) if source is not None else b""


class LoopbackImageServer:
    """Serves registered images with the behaviours URL cases ask for, on 127.0.0.1 or a given address.

    Args:
        host: the address to bind and to put in the URLs: 127.0.0.1 by default, or an address of
            this machine that the target can reach.
        port: the port to bind (0: a free one).
        slow_seconds: how long a "slow" answer stalls at most, while the fetcher stays connected.

    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, slow_seconds: float = SLOW_SECONDS) -> None:
        # What each path serves: the image (rendered when first fetched) and how to misbehave.
        self._files: dict[str, tuple[ImageSource | None, str]] = {}
        self._lock = threading.Lock()
        self.host, self.port, self.slow_seconds = host, port, slow_seconds
        self.base_url = ""
        self._folder: Path | None = None

    async def _serve(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import RedirectResponse, Response

        # Starlette hands us the percent-decoded path, so raw and encoded spellings meet here.
        path = "/" + request.path_params["path"]
        with self._lock:
            entry = self._files.get(path)
        if entry is None:
            return Response("no such image", status_code=404, media_type="text/plain")
        source, behaviour = entry
        if behaviour == "redirect":
            return RedirectResponse(self.base_url + quote(path.replace("/img/", "/img-target/", 1)), status_code=302)
        if behaviour == "redirect-to-file":
            # To a real image on this machine's disk: a fetcher on it that follows any scheme reads and serves it.
            content = await run_in_threadpool(_content, source)
            return Response(status_code=302, headers={"Location": self._on_disk(path, content).as_uri()})
        if behaviour == "slow" and await self._stall(request):
            return Response(b"", status_code=499)  # the fetcher hung up: nobody reads this
        if behaviour == "wrong-type":
            return Response(b"<html><body>not an image</body></html>", media_type="text/html")
        content = await run_in_threadpool(_content, source)
        # A failed download still carries a good image: a fetcher that ignores the status serves it, and shows.
        status = {"fail": 500, "missing": 404}.get(behaviour, 200)
        return Response(content, status_code=status, media_type=content_type_of(content))

    def _on_disk(self, path: str, content: bytes) -> Path:
        """Write ``content`` under this server's own temporary folder (removed when it stops)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="idclassify-url-"))
        target = self._folder / hashlib.sha256(path.encode()).hexdigest()[:16]
        if not target.exists():
            # Whole or not at all, each writer on a file of its own: a fetcher may read it meanwhile.
            handle, partial = tempfile.mkstemp(dir=self._folder, suffix=".partial")
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(partial, target)
        return target

    async def _stall(self, request: Request) -> bool:
        """Wait ``slow_seconds``, or less when the fetcher hangs up first (then ``True``)."""
        # A served target's fetch timeout is unknown: stall long, but end as soon as it gives up.
        deadline = time.monotonic() + self.slow_seconds
        while time.monotonic() < deadline:
            if await request.is_disconnected():
                return True
            await asyncio.sleep(min(_DISCONNECT_POLL, max(0.0, deadline - time.monotonic())))
        return False

    def url_for(self, image: UrlImage) -> str:
        """Register the image and return its URL (raw non-ASCII path when ``image.raw``).

        The path holds a digest of the image, noted in the image cache, so a replay names the
        recorded URL without rendering anything; the image is rendered (through the cache) when fetched.
        """
        path = _unique_path(image)
        with self._lock:
            if image.behaviour == "redirect":
                self._files[path.replace("/img/", "/img-target/", 1)] = (image.image, "ok")
            self._files[path] = (image.image, image.behaviour)
        if image.behaviour == "unreachable":
            shown = f"[{self.host}]" if ":" in self.host else self.host
            return f"http://{shown}:{free_port(self.host)}{quote(path)}"
        return self.base_url + (path if image.raw else quote(path))

    @contextlib.contextmanager
    def running(self) -> Iterator[LoopbackImageServer]:
        """Serve on the host and port given (127.0.0.1, a free port by default) for the duration of the block.

        Raises:
            ConfigurationError: when the address cannot be bound (not this machine's, or the port taken).

        """
        from starlette.applications import Starlette
        from starlette.routing import Route

        from pytest_idclassify._serve import serve_in_thread
        from pytest_idclassify.errors import TransportError

        app = Starlette(routes=[Route("/{path:path}", self._serve)])
        with contextlib.ExitStack() as stack:
            stack.callback(self._remove_folder)
            try:
                self.base_url = stack.enter_context(serve_in_thread(app, host=self.host, port=self.port))
            except TransportError as exc:
                raise ConfigurationError(
                    f"the URL image server cannot listen on {self.host}:{self.port} ({exc}); give "
                    "--idclassify-image-host an address of this machine, and a free port or none"
                ) from None
            yield self

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


class UploadHookHost:
    """For live services: an upload hook puts each image where the public base URL serves it.

    An upload stands only for a well-behaved URL; ``fallback`` (the suite's own image server,
    when the target can reach it) serves the rest.
    """

    def __init__(
        self,
        public_base_url: str,
        hook: Callable[[str, bytes, str], str],
        fallback: UrlHost | None = None,
        *,
        spec: str | None = None,
    ) -> None:
        self.public_base_url = public_base_url.rstrip("/")
        self._hook = hook
        self.fallback = fallback
        #: how the hook was named (``module:function``), for the message when it fails.
        self.spec = spec or f"{hook.__module__}:{getattr(hook, '__qualname__', type(hook).__name__)}"

    @classmethod
    def from_spec(cls, public_base_url: str, spec: str, fallback: UrlHost | None = None) -> UploadHookHost:
        """Load ``module:function`` as the hook; a bad spec is a :class:`ConfigurationError`."""
        module_name, _, attr = spec.partition(":")
        try:
            hook = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ConfigurationError(
                f"--idclassify-upload-hook={spec!r} cannot be loaded ({exc}); give 'module:function' importable here"
            ) from None
        if not callable(hook):
            raise ConfigurationError(f"--idclassify-upload-hook={spec!r} is not callable")
        return cls(public_base_url, hook, fallback, spec=spec)

    @staticmethod
    def can_serve(image: UrlImage) -> bool:
        """Whether an upload can stand for ``image``: a well-behaved URL, percent-encoded as uploads are."""
        return image.behaviour == "ok" and not image.raw

    def url_for(self, image: UrlImage) -> str:
        """Upload the image with the hook and return the URL it answers."""
        if not self.can_serve(image) and self.fallback is not None:
            return self.fallback.url_for(image)
        if not self.can_serve(image):
            raise ConfigurationError(f"an upload hook cannot make a URL that behaves {image.behaviour!r}")
        content = _content(image.image)
        path = _unique_path(image)
        try:
            url = self._hook(path, content, content_type_of(content))
        except Exception as exc:  # the user's code: whatever it raises is its fault, not the target's
            from pytest_idclassify.redaction import redact_text

            raise UploadHookError(f"the upload hook {self.spec!r} raised {type(exc).__name__} on {path}: "
                                  f"{redact_text(str(exc))}: fix the hook, then run again") from exc  # fmt: skip
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            shown = repr(url)[:80]
            raise UploadHookError(f"the upload hook {self.spec!r} returned {shown} for {path}, not the image's "
                                  "public http(s) URL: make it return the URL it uploaded to")  # fmt: skip
        return url
