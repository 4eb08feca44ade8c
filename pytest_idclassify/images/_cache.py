"""A disk cache of rendered request images, shared by processes and pytest-xdist workers.

Specimen scenes and other pixel content cost tens of milliseconds to draw and encode, and a run
sends the same recipes every time, so their bytes are kept on disk.  An entry's key is a digest
of everything that decides the bytes: the recipe's fields, the versions of Pillow, numpy and
OpenCV, and the source of this package's image code (so an edited encoder never serves old
bytes, even at an unchanged version number).  Beside the bytes, callers may note small facts
about a recipe's image (the contract suite notes its digest, so replay needs no rendering).

Where: ``IDCLASSIFY_IMAGE_CACHE`` (a folder, or ``off``), else ``images`` under the user cache
folder (``~/.cache/pytest-idclassify/images`` on Linux).  Bound: ``IDCLASSIFY_IMAGE_CACHE_MAX_MB``
(default 512); past it the least recently used entries go.  ``idclassify cache clear`` empties it.
Every file is written to a temporary name and renamed into place, so a reader sees a whole entry
or none, and a damaged entry is dropped and rendered again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.images._libraries import rendering_libraries
from pytest_idclassify.images._recipe import ImageRecipe

#: the variable that moves the cache (a folder) or turns it off (``off``).
CACHE_ENV = "IDCLASSIFY_IMAGE_CACHE"
#: the variable that bounds the cache, in MiB.
CACHE_MAX_ENV = "IDCLASSIFY_IMAGE_CACHE_MAX_MB"
#: the default bound, in MiB: a few hundred specimen scenes.
DEFAULT_MAX_MB = 512
#: bump when an entry's layout changes: old entries are then simply never read again.
CACHE_FORMAT = 1
_OFF = frozenset({"off", "0", "false", "no", "none"})
_SUFFIXES = (".img", ".json")
_PACKAGE = Path(__file__).resolve().parent


def default_cache_dir() -> Path:
    """Return the cache folder used when ``IDCLASSIFY_IMAGE_CACHE`` is not set."""
    import platformdirs

    return platformdirs.user_cache_path("pytest-idclassify") / "images"


@cache
def _rendering_fingerprint() -> str:
    """Digest of what renders an image besides its recipe: library versions and this package's image code."""
    digest = hashlib.sha256(f"format {CACHE_FORMAT}\n".encode())
    digest.update(json.dumps(rendering_libraries(), sort_keys=True).encode() + b"\n")
    for source in sorted(_PACKAGE.rglob("*.py")):
        digest.update(source.relative_to(_PACKAGE).as_posix().encode() + b"\n" + source.read_bytes())
    return digest.hexdigest()


def recipe_fields(recipe: ImageRecipe) -> dict[str, Any]:
    """Return what identifies ``recipe`` whatever renders it: its fields by name."""
    return {f.name: getattr(recipe, f.name) for f in fields(recipe)}


def _needs_pixels(recipe: ImageRecipe) -> bool:
    # Flat RGB images come from the hand-written encoders in about a millisecond, whatever their
    # size: caching their (up to 14 MB) bytes would cost more disk than it saves time.
    return not (recipe.content == "flat" and recipe.mode == "rgb")


@dataclass(frozen=True)
class ImageCache:
    """Rendered images (and facts noted about them) on disk under ``root``, bounded by ``max_bytes``.

    ``root=None`` is a cache that keeps nothing: every image is rendered.
    """

    root: Path | None
    max_bytes: int = DEFAULT_MAX_MB * 2**20
    # The bytes this process believes the folder holds: counted by one scan, then by what it writes,
    # so a write scans the folder only when the bound may have been passed (other processes' writes
    # are seen at the next scan).  A one-item list: the cache itself is frozen.
    _believed: list[int] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ImageCache:
        """Build the cache ``IDCLASSIFY_IMAGE_CACHE`` and ``IDCLASSIFY_IMAGE_CACHE_MAX_MB`` describe.

        Raises:
            ConfigurationError: the bound is not a whole number of MiB >= 0.

        """
        environ = os.environ if environ is None else environ
        where = environ.get(CACHE_ENV, "").strip()
        raw_max = environ.get(CACHE_MAX_ENV, "").strip() or str(DEFAULT_MAX_MB)
        try:
            max_mb = int(raw_max)
            if max_mb < 0:
                raise ValueError(raw_max)
        except ValueError:
            raise ConfigurationError(
                f"{CACHE_MAX_ENV}={raw_max!r} is not a size; set a whole number of MiB (0 keeps nothing), "
                f"e.g. {CACHE_MAX_ENV}={DEFAULT_MAX_MB}"
            ) from None
        if where.lower() in _OFF or max_mb == 0:
            return cls(None, 0)
        return cls(Path(where).expanduser() if where else default_cache_dir(), max_mb * 2**20)

    def key(self, recipe: ImageRecipe) -> str:
        """Return the entry name of ``recipe``: a digest of its fields and of what renders it."""
        text = json.dumps([_rendering_fingerprint(), recipe_fields(recipe)], sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _path(self, key: str, suffix: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}{suffix}"

    def render(self, recipe: ImageRecipe) -> bytes:
        """Return ``recipe.render()``: from the cache when a process rendered it before, else rendered and kept."""
        if self.root is None or not _needs_pixels(recipe):
            return recipe.render()
        path = self._path(self.key(recipe), ".img")
        kept = self._read(path)
        if kept is not None:
            return kept
        data = recipe.render()
        self._write(path, data)
        return data

    def noted(self, recipe: ImageRecipe, name: str) -> Any:
        """Return the fact noted under ``name`` for ``recipe``'s image, or ``None`` when there is none."""
        if self.root is None:
            return None
        raw = self._read(self._path(self.key(recipe), ".json"))
        if raw is None:
            return None
        try:
            return json.loads(raw).get(name)
        except (ValueError, AttributeError):  # a damaged entry is treated as absent and rewritten
            return None

    def note(self, recipe: ImageRecipe, name: str, value: Any) -> None:
        """Keep a JSON-able fact about ``recipe``'s image under ``name`` (e.g. its digest)."""
        if self.root is None:
            return
        path = self._path(self.key(recipe), ".json")
        facts: dict[str, Any] = {}
        raw = self._read(path)
        if raw is not None:
            try:
                loaded = json.loads(raw)
                facts = loaded if isinstance(loaded, dict) else {}
            except ValueError:
                facts = {}
        facts[name] = value
        self._write(path, json.dumps(facts, sort_keys=True).encode("utf-8"))

    def _read(self, path: Path) -> bytes | None:
        try:
            data = path.read_bytes()
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return data

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return  # a cache that cannot be written (read-only, full disk) only costs renders
        if self._believed and self._believed[0] + len(data) <= self.max_bytes:
            self._believed[0] += len(data)  # an overwrite counts twice: the next scan comes early, never late
            return
        self._evict()

    def entries(self) -> list[Path]:
        """Return every entry file (images and noted facts)."""
        if self.root is None or not self.root.is_dir():
            return []
        return [p for p in self.root.glob("*/*") if p.suffix in _SUFFIXES and not p.name.startswith(".")]

    def usage(self) -> tuple[int, int]:
        """Return (entry files, bytes) the cache holds."""
        sizes = []
        for path in self.entries():
            try:
                sizes.append(path.stat().st_size)
            except OSError:
                continue
        return len(sizes), sum(sizes)

    def _evict(self) -> None:
        stats = []
        for path in self.entries():
            try:
                stat = path.stat()
            except OSError:
                continue
            stats.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in stats)
        if total > self.max_bytes:
            # Down to 80% of the bound, least recently used first, so eviction does not run on every write.
            for _, size, path in sorted(stats, key=lambda item: item[0]):
                if total <= self.max_bytes * 0.8:
                    break
                path.unlink(missing_ok=True)
                total -= size
        self._believed[:] = [total]

    def clear(self) -> tuple[int, int]:
        """Delete every entry (and stale temporary files); return (files, bytes) removed."""
        self._believed.clear()  # the next write counts the folder again
        if self.root is None or not self.root.is_dir():
            return 0, 0
        files = removed = 0
        for path in self.root.glob("*/*"):
            if path.suffix in _SUFFIXES or path.name.endswith(".tmp"):
                try:
                    size = path.stat().st_size
                    path.unlink()
                except OSError:
                    continue
                files, removed = files + 1, removed + size
        for folder in self.root.glob("*"):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return files, removed


#: the variables that decide which cache the environment describes: the cache's own, and those
#: the user cache folder is found by (on Linux and macOS, and on Windows).
_SETTINGS = (CACHE_ENV, CACHE_MAX_ENV, "XDG_CACHE_HOME", "HOME", "LOCALAPPDATA", "USERPROFILE")


@cache
def _shared(settings: tuple[str | None, ...]) -> ImageCache:
    environ = {name: value for name, value in zip(_SETTINGS, settings, strict=True) if value is not None}
    return ImageCache.from_env(environ)


def image_cache() -> ImageCache:
    """Return the cache the environment describes (built once per distinct setting).

    Every rendered image asks for it: finding the user cache folder anew each time would cost a
    quarter of a millisecond.  A setting refused (:class:`ConfigurationError`) is refused every time.
    """
    return _shared(tuple(os.environ.get(name) for name in _SETTINGS))
