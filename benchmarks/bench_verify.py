"""``idclassify verify`` end to end: replay against the embedded emulator, and two workers against one.

Whole processes, timed side by side in one run (wall clock):

* ``idclassify verify`` (the embedded emulator, serial), twice: their spread shows how noisy the
  machine is;
* ``idclassify verify --target replay`` (the shipped cassettes), twice: the first run may have to
  render each image once to note its digest in the image cache, the second is a warm cache;
* ``idclassify verify -n 2`` (two pytest-xdist workers).

Ratios: replay (warm) / emulator (goal <= 0.4); ``-n 2`` / serial (goal <= 0.9 on 2 cores).
Run: ``python benchmarks/bench_verify.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from _ratio import report

COMMAND = [sys.executable, "-c", "from pytest_idclassify.cli import main; main()", "verify"]


def timed(*extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([*COMMAND, *extra], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})  # fmt: skip
    seconds = time.perf_counter() - started
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    print(f"  verify {' '.join(extra) or '(emulator)':<20} {seconds:6.1f} s  exit {done.returncode}  {last}")
    if done.returncode:
        raise SystemExit(f"verify {' '.join(extra)} failed")
    return seconds


def main() -> None:
    emulator = [timed()]
    replay = [timed("--target", "replay")]
    workers = timed("-n", "2")
    replay.append(timed("--target", "replay"))
    emulator.append(timed())
    serial = sum(emulator) / len(emulator)
    spread = max(emulator) / min(emulator)
    print(f"emulator serial {emulator[0]:.1f} / {emulator[1]:.1f} s (spread {spread:.2f}x); replay cold-or-warm "
          f"{replay[0]:.1f} s, warm {replay[1]:.1f} s; -n 2 {workers:.1f} s")  # fmt: skip
    report("`verify --target replay` / `verify` against the embedded emulator", replay[1] / serial, 0.4,
           detail=f"replay {replay[1]:.1f} s (warm image cache; {replay[0]:.1f} s before) vs emulator "
           f"{serial:.1f} s (two runs, spread {spread:.2f}x)")  # fmt: skip
    report("`verify -n 2` / serial, on 2 cores", workers / serial, 0.9,
           detail=f"{workers:.1f} s vs {serial:.1f} s on {os.cpu_count()} CPUs")  # fmt: skip


if __name__ == "__main__":
    main()
