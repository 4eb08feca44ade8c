"""``idclassify verify`` end to end: replay against the embedded emulator, and two workers against one.

Whole processes, timed side by side in one run (wall clock):

* ``idclassify verify`` (the embedded emulator, serial), twice: their spread shows how noisy the
  machine is;
* ``idclassify verify --target replay`` (the shipped cassettes), twice: the first run may have to
  render each image once to note its digest in the image cache, the second is a warm cache;
* ``idclassify verify -n 2`` (two pytest-xdist workers).

Ratios: replay (warm) / emulator (goal <= 0.4), by the CPU time the processes used (the wall
times are printed beside: on a loaded machine they are mostly time spent waiting for a CPU);
``-n 2`` / serial (goal <= 0.9 on 2 cores), by wall time, since that is what workers shorten.
Run: ``python benchmarks/bench_verify.py``.
"""

from __future__ import annotations

import os
import sys

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


def main() -> None:
    emulator = [timed()]
    replay = [timed("--target", "replay")]
    workers = timed("-n", "2")
    replay.append(timed("--target", "replay"))
    emulator.append(timed())
    serial_wall = sum(w for w, _ in emulator) / 2
    serial_cpu = sum(c for _, c in emulator) / 2
    spread = max(w for w, _ in emulator) / min(w for w, _ in emulator)
    report("`verify --target replay` / `verify` against the embedded emulator (CPU time)", replay[1][1] / serial_cpu,
           0.4, detail=f"replay {replay[1][1]:.1f} s CPU, {replay[1][0]:.1f} s wall (warm image cache; "
           f"{replay[0][0]:.1f} s wall before) vs emulator {serial_cpu:.1f} s CPU, {serial_wall:.1f} s wall "
           f"(two runs, wall spread {spread:.2f}x); wall ratio {replay[1][0] / serial_wall:.2f}")  # fmt: skip
    report("`verify -n 2` / serial, on 2 cores (wall time)", workers[0] / serial_wall, 0.9,
           detail=f"{workers[0]:.1f} s vs {serial_wall:.1f} s on {os.cpu_count()} CPUs (wall spread of the serial "
           f"runs {spread:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
