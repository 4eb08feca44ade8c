"""``idclassify verify`` end to end: replay against the embedded emulator, and two workers against one.

Whole processes, timed side by side in one run, in three rounds:

* ``idclassify verify --target replay`` (the shipped cassettes) once before the rounds: it may have
  to render each image once to note its digest in the image cache; the rounds replay on a warm cache;
* each round runs ``idclassify verify`` (the embedded emulator, serial), ``idclassify verify -n 2``
  (two pytest-xdist workers) and the replay again, one after another, so that a drift in the
  machine's load falls on every side; each ratio is taken between the medians of the rounds.

Ratios: replay / emulator (goal <= 0.4), by the CPU time the processes used (the wall times are
printed beside: on a loaded machine they are mostly time spent waiting for a CPU); ``-n 2`` /
serial (goal <= 0.9 on 2 cores), by wall time, since that is what workers shorten.  The spread of
the serial runs' wall times shows how noisy the machine was.
Run: ``python benchmarks/bench_verify.py``.
"""

from __future__ import annotations

import os
import sys
from statistics import median

from _ratio import report, run_timed

COMMAND = [sys.executable, "-c", "from pytest_idclassify.cli import main; main()", "verify"]


def timed(*extra: str) -> tuple[float, float]:
    wall, cpu, done = run_timed([*COMMAND, *extra], env={**os.environ, "PYTHONWARNINGS": "ignore"})
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    shown = " ".join(extra) or "(emulator)"
    print(f"  verify {shown:<20} {wall:6.1f} s wall {cpu:6.1f} s CPU  exit {done.returncode}  {last}")
    if done.returncode:
        raise SystemExit(f"verify {' '.join(extra)} failed")
    return wall, cpu


ROUNDS = 3


def main() -> None:
    cold = timed("--target", "replay")
    emulator, workers, replay = [], [], []
    for _ in range(ROUNDS):
        emulator.append(timed())
        workers.append(timed("-n", "2"))
        replay.append(timed("--target", "replay"))
    serial_wall, serial_cpu = median(w for w, _ in emulator), median(c for _, c in emulator)
    replay_wall, replay_cpu = median(w for w, _ in replay), median(c for _, c in replay)
    workers_wall = median(w for w, _ in workers)
    spread = max(w for w, _ in emulator) / min(w for w, _ in emulator)
    report("`verify --target replay` / `verify` against the embedded emulator (CPU time)", replay_cpu / serial_cpu,
           0.4, detail=f"medians of {ROUNDS} rounds: replay {replay_cpu:.1f} s CPU, {replay_wall:.1f} s wall (warm "
           f"image cache; {cold[0]:.1f} s wall before) vs emulator {serial_cpu:.1f} s CPU, {serial_wall:.1f} s wall "
           f"(wall spread {spread:.2f}x); wall ratio {replay_wall / serial_wall:.2f}")  # fmt: skip
    report("`verify -n 2` / serial, on 2 cores (wall time)", workers_wall / serial_wall, 0.9,
           detail=f"medians of {ROUNDS} rounds: {workers_wall:.1f} s vs {serial_wall:.1f} s on {os.cpu_count()} CPUs "
           f"(wall spread of the serial runs {spread:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
