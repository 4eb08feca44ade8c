"""How many threads of this process run a function at once, counted while clients keep a server busy.

The count is kept by a wrapper put where the server looks the function up: it calls the real function
unchanged, so the server's behaviour is the one under test. (Reading other threads' stacks through
``sys._current_frames()`` and ``f_back`` is not safe while those threads run: CPython 3.11 can hand back
a freed frame.)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


class Overlap:
    """The number of threads inside a function now, and the most there have been at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        """Count one more thread inside."""
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        """Count one thread fewer inside."""
        with self._lock:
            self.now -= 1


@contextmanager
def overlap_of(module: ModuleType, name: str) -> Iterator[Overlap]:
    """Count the threads inside ``module.name`` at once while the block runs; the function is restored after."""
    original: Callable[..., Any] = getattr(module, name)
    overlap = Overlap()

    @functools.wraps(original)
    def counted(*args: Any, **kwargs: Any) -> Any:
        overlap.enter()
        try:
            return original(*args, **kwargs)
        finally:
            overlap.leave()

    setattr(module, name, counted)
    try:
        yield overlap
    finally:
        setattr(module, name, original)


def run_clients(client: Callable[[], None], clients: int = 6) -> None:
    """Run ``clients`` threads of ``client`` at once, to their end."""
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
