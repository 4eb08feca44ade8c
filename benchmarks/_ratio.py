"""One line per measured ratio, for run_all.py's final table: ``@@ratio {json}``."""

from __future__ import annotations

import json
import resource
import subprocess
import time
from collections.abc import Callable
from typing import Any

from pytest_idclassify.cli import program

PREFIX = "@@ratio "
IDCLASSIFY = program()


def report(measure: str, ratio: float, goal: float, *, at_least: bool = False, detail: str = "") -> None:
    """Print a ratio of the performance table: its value, the goal (at most, or ``at_least``) and how it was got."""
    met = ratio >= goal if at_least else ratio <= goal
    line = {"measure": measure, "ratio": round(ratio, 3), "goal": goal, "at_least": at_least, "met": met}
    print(PREFIX + json.dumps({**line, "detail": detail}), flush=True)


def run_timed(command: list[str], **kwargs: Any) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a whole process; return its wall time, the CPU time (user + system) of it and its children, and it.

    On a shared machine the wall time of a short process is mostly waiting for a CPU; the CPU time
    it used is the steadier side-by-side figure, so whole-process ratios report both.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def best_of(func: Callable[[], object], repeat: int = 3, number: int = 1) -> float:
    """The least time one call of ``func`` took, over ``repeat`` rounds of ``number`` calls each."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best
