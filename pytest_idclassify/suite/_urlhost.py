"""Where URL cases' images are served from: the suite's own loopback server, or a user's upload hook.

The loopback server is a small Starlette app that serves each registered image under a path that
may hold Chinese characters, and misbehaves on request (redirect, slow, 500, 404, wrong content
type), so every URL clause runs offline against the emulator.  A live service cannot reach
loopback: for it, the user names a public base URL and an upload hook instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Protocol
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pytest_idclassify._serve import free_port
from pytest_idclassify.cases import UrlImage
from pytest_idclassify.errors import ConfigurationError

#: how long a "slow" answer waits before sending the image: longer than the emulator's fetch timeout
#: that the suite configures (see pytest_idclassify.suite._target.EMULATOR_FETCH_TIMEOUT).
SLOW_SECONDS = 2.5

_CONTENT_TYPES = {b"\xff\xd8": "image/jpeg", b"\x89P": "image/png", b"BM": "image/bmp", b"II": "image/tiff",
                  b"MM": "image/tiff", b"GI": "image/gif", b"RI": "image/webp"}  # fmt: skip


def content_type_of(content: bytes) -> str:
    """The image MIME type for a file's magic bytes (``application/octet-stream`` when unknown)."""
    return _CONTENT_TYPES.get(content[:2], "application/octet-stream")


class UrlHost(Protocol):
    """Turns a :class:`UrlImage` into a URL the target can fetch."""

    def url_for(self, image: UrlImage) -> str:
        """Make the image reachable and return its URL exactly as the request will carry it."""


def _unique_path(image: UrlImage, content: bytes) -> str:
    digest = hashlib.sha256(content + image.behaviour.encode()).hexdigest()[:12]
    return f"/img/{digest}/{image.path.lstrip('/')}"


class LoopbackImageServer:
    """Serves registered images on 127.0.0.1 with the behaviours URL cases ask for."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self.base_url = ""
        self.app = Starlette(routes=[Route("/{path:path}", self._serve)])

    async def _serve(self, request: Request) -> Response:
        # Starlette hands us the percent-decoded path, so raw and encoded spellings meet here.
        path = "/" + request.path_params["path"]
        with self._lock:
            entry = self._files.get(path)
        if entry is None:
            return Response("no such image", status_code=404, media_type="text/plain")
        content, behaviour = entry
        if behaviour == "redirect":
            return RedirectResponse(self.base_url + quote(path.replace("/img/", "/img-target/", 1)), status_code=302)
        if behaviour == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        if behaviour == "fail":
            return Response("internal error", status_code=500, media_type="text/plain")
        if behaviour == "wrong-type":
            return Response(b"<html><body>not an image</body></html>", media_type="text/html")
        return Response(content, media_type=content_type_of(content))

    def url_for(self, image: UrlImage) -> str:
        """Register the image and return its URL (raw non-ASCII path when ``image.raw``)."""
        content = image.image.render() if image.image is not None else b""
        path = _unique_path(image, content)
        with self._lock:
            if image.behaviour == "redirect":
                self._files[path.replace("/img/", "/img-target/", 1)] = (content, "ok")
            if image.behaviour != "missing":
                self._files[path] = (content, image.behaviour)
        if image.behaviour == "unreachable":
            return f"http://127.0.0.1:{free_port()}{quote(path)}"
        return self.base_url + (path if image.raw else quote(path))

    @contextlib.contextmanager
    def running(self) -> Iterator[LoopbackImageServer]:
        """Serve on a free 127.0.0.1 port for the duration of the block."""
        from pytest_idclassify._serve import serve_in_thread

        with serve_in_thread(self.app) as base_url:
            self.base_url = base_url
            yield self


class UploadHookHost:
    """For live services: an upload hook puts each image where the public base URL serves it."""

    def __init__(self, public_base_url: str, hook: Callable[[str, bytes, str], str]) -> None:
        self.public_base_url = public_base_url.rstrip("/")
        self._hook = hook

    @classmethod
    def from_spec(cls, public_base_url: str, spec: str) -> UploadHookHost:
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
        return cls(public_base_url, hook)

    @staticmethod
    def can_serve(image: UrlImage) -> bool:
        """Whether an upload can stand for ``image``: a well-behaved URL, percent-encoded as uploads are."""
        return image.behaviour == "ok" and not image.raw

    def url_for(self, image: UrlImage) -> str:
        """Upload the image with the hook and return the URL it answers."""
        if not self.can_serve(image):
            raise ConfigurationError(f"an upload hook cannot make a URL that behaves {image.behaviour!r}")
        content = image.image.render() if image.image is not None else b""
        url: str = self._hook(_unique_path(image, content), content, content_type_of(content))
        return url
