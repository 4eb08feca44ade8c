"""``idclassify cache``: where the rendered-image cache is, how full, and emptying it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pytest_idclassify.errors import IdClassifyError

if TYPE_CHECKING:
    from pytest_idclassify.images._cache import ImageCache


def _cache() -> ImageCache:
    from pytest_idclassify.images._cache import ImageCache

    try:
        return ImageCache.from_env()
    except IdClassifyError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def cache() -> None:
    """Inspect (info) or empty (clear) the disk cache of rendered request images.

    It lives under the user cache folder unless IDCLASSIFY_IMAGE_CACHE names another (or is "off");
    IDCLASSIFY_IMAGE_CACHE_MAX_MB bounds it (default 512).
    """


@cache.command()
def info() -> None:
    """Print the cache's folder, bound and contents."""
    found = _cache()
    if found.root is None:
        click.echo("image cache: off (IDCLASSIFY_IMAGE_CACHE)")
        return
    files, size = found.usage()
    click.echo(f"image cache: {found.root}")
    click.echo(f"bound:       {found.max_bytes / 2**20:.0f} MiB")
    click.echo(f"holds:       {files} file(s), {size / 2**20:.1f} MiB")


@cache.command()
def clear() -> None:
    """Delete every cached image and noted digest (they are rendered again when next needed)."""
    found = _cache()
    if found.root is None:
        click.echo("image cache: off (IDCLASSIFY_IMAGE_CACHE); nothing to clear")
        return
    files, size = found.clear()
    click.echo(f"removed {files} file(s), {size / 2**20:.1f} MiB from {found.root}")
