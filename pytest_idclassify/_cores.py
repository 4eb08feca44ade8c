"""How many threads OpenCV may use in a process that shares the machine with others like it.

OpenCV sizes its thread pool to every core of the machine.  When pytest-xdist workers (or server
worker processes) each run the emulator side by side, every pool claims every core, and the
threads of one process spend CPU waiting for the others': on two cores, two workers with two
threads each used about a quarter more CPU for the same requests than with one each.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

#: the variable OpenCV reads for its pool's size when it is first imported (a user's value is kept).
OPENCV_THREADS_ENV = "OPENCV_FOR_THREADS_NUM"


def usable_cpus() -> int:
    """How many CPUs this process may run on (its affinity where the platform says), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def threads_per_process(processes: int, cpus: int | None = None) -> int:
    """OpenCV threads for each of ``processes`` running side by side: the usable CPUs shared out, at least 1."""
    return max(1, (cpus if cpus is not None else usable_cpus()) // max(1, processes))


def share_cores(processes: int, environ: MutableMapping[str, str] | None = None) -> None:
    """Give OpenCV in this process its share of the cores when ``processes`` processes run side by side.

    Nothing changes for one process, nor when the user set ``OPENCV_FOR_THREADS_NUM`` themselves.
    """
    env = os.environ if environ is None else environ
    if processes < 2 or OPENCV_THREADS_ENV in env:
        return
    threads = threads_per_process(processes)
    env[OPENCV_THREADS_ENV] = str(threads)
    if "cv2" in sys.modules:  # already imported: the variable is read no more
        sys.modules["cv2"].setNumThreads(threads)
