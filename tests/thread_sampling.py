"""How many threads of this process run a function at once, sampled while clients keep a server busy."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType


def threads_in(function: str, filename: str) -> int:
    """How many threads are inside ``function`` of ``filename`` right now, read from their stacks."""
    count = 0
    for frame in sys._current_frames().values():
        current: FrameType | None = frame
        while current is not None:
            if current.f_code.co_name == function and current.f_code.co_filename.endswith(filename):
                count += 1
                break
            current = current.f_back
    return count


def samples_while(count: Callable[[], int], client: Callable[[], None], clients: int = 6) -> list[int]:
    """Run ``clients`` threads of ``client`` to their end, sampling ``count()`` every half millisecond meanwhile."""
    seen: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen.append(count())
            stop.wait(0.0005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()
    return seen
