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

When ``verify`` runs inside a longer-lived process (click's ``CliRunner``, a harness calling the
command), the run gives back what it froze when it ends, so the finished session's objects can be
collected; only the ``idclassify`` program itself, whose process ends with the run, skips that
(its exit would pay for one more walk of everything, about 0.17 s of a replay's 1-2 s).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_whole_program = False


def whole_program() -> None:
    """Say that this process ends when the command does, so what a run froze need not be given back."""
    global _whole_program
    _whole_program = True


@contextmanager
def held_off() -> Iterator[None]:
    """Hold the cyclic collector off while a verify process starts; restore the collector at the end.

    Reference counting still frees memory meanwhile; :func:`settle` lets the collector run again
    once the session has started.  At the end the collector is enabled or disabled as it was found
    and, unless this is the whole program, what the run froze is unfrozen (not when the process had
    frozen objects of its own before: unfreezing gives back everything).
    """
    was_enabled, was_frozen = gc.isenabled(), gc.get_freeze_count()
    gc.disable()
    try:
        yield
    finally:
        if not _whole_program and not was_frozen:
            gc.unfreeze()
        if was_enabled:
            gc.enable()
        else:
            gc.disable()


def settle() -> None:
    """Keep every object alive now out of future collections, and let the collector run again.

    What is frozen includes any cyclic garbage made while the collector was held off.
    """
    gc.freeze()
    gc.enable()
