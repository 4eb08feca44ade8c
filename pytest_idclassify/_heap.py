"""The cyclic garbage collector in the short processes of ``idclassify verify``.

A verify process builds its modules, classes, catalogue and collected cases once and keeps them to
its end, yet CPython's cyclic collector walks every one of them at each full collection, and pytest
runs two more when it unconfigures.  Measured on 2 cores, collections took about 8% of a serial
``verify``'s CPU and 12% of a replay's, nearly all of it spent re-walking those start-up objects.

So ``verify`` holds the collector off while it imports and configures pytest, and each process of
the run (the one ``verify`` started, and every pytest-xdist worker) moves what is alive once the
session has started, and again once the cases are collected, into the permanent generation
(:func:`gc.freeze`), where the collector no longer looks.  Objects created by the tests
themselves are collected as usual.  Nothing changes in a user's own pytest session.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held_off() -> Iterator[None]:
    """Hold the cyclic collector off while a verify process starts, and restore its state at the end.

    Reference counting still frees memory meanwhile; :func:`settle` lets the collector run again
    once the session has started.  A run that ends before that (a usage error) leaves the
    collector as it found it, which matters when ``verify`` is called within another process.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def settle() -> None:
    """Keep every object alive now out of future collections, and let the collector run again."""
    gc.freeze()
    gc.enable()
