"""One line per measured ratio, for run_all.py's final table: ``@@ratio {json}``."""

from __future__ import annotations

import compileall
import functools
import json
import resource
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest_idclassify
from pytest_idclassify.cli import program

PREFIX = "@@ratio "
IDCLASSIFY = program()


def report(measure: str, ratio: float, goal: float, *, at_least: bool = False, detail: str = "") -> None:
    """Print a ratio of the performance table: its value, the goal (at most, or ``at_least``) and how it was got."""
    met = ratio >= goal if at_least else ratio <= goal
    line = {"measure": measure, "ratio": round(ratio, 3), "goal": goal, "at_least": at_least, "met": met}
    print(PREFIX + json.dumps({**line, "detail": detail}), flush=True)


@functools.cache
def write_bytecode() -> None:
    """Compile the package's modules whose bytecode is missing or stale, as installing the package does.

    A whole-process figure stands for a user's process, which reads the bytecode that pip wrote at
    install (or its first import wrote). With PYTHONDONTWRITEBYTECODE set and an editable install,
    every process timed would instead compile some hundred modules from source (0.13 s of compiling
    in a profile of a 1.2 s replay; ``idclassify image`` took 73 ms of CPU at best, 57 ms with bytecode).
    """
    compileall.compile_dir(str(Path(pytest_idclassify.__file__).parent), quiet=1)


def run_timed(command: list[str], **kwargs: Any) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a whole process; return its wall time, the CPU time (user + system) of it and its children, and it.

    On a shared machine the wall time of a short process is mostly waiting for a CPU; the CPU time
    it used is the steadier side-by-side figure, so whole-process ratios report both.  The
    package's bytecode is written first (:func:`write_bytecode`).
    """
    write_bytecode()
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
