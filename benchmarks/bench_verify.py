"""``idclassify verify`` end to end: replay against the embedded emulator, and two workers against one.

Whole processes, timed side by side in one run, in three rounds:

* ``idclassify verify --target replay`` (the shipped cassettes) once before the rounds: it may have
  to render each image once to note its digest in the image cache; the rounds replay on a warm cache;
* each round runs ``idclassify verify`` (the embedded emulator, serial), ``idclassify verify -n 2``
  (two pytest-xdist workers) and the replay again, one after another and in an order that turns
  from round to round, so that a drift in the machine's load falls on every side; each ratio is
  taken within a round, and the median of the rounds' ratios is reported.

Ratios: replay / emulator (goal <= 0.4), by the CPU time the processes used (the wall times are
printed beside: on a loaded machine they are mostly time spent waiting for a CPU); ``-n 2`` /
serial (goal <= 0.9 on 2 cores), by wall time, since that is what workers shorten.  The spread of
the serial runs' wall times shows how noisy the machine was.
Run: ``python benchmarks/bench_verify.py``.
"""

from __future__ import annotations

import os
from statistics import median

from _ratio import IDCLASSIFY, report, run_timed

COMMAND = [*IDCLASSIFY, "verify"]


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
    runs: dict[str, list[tuple[float, float]]] = {"serial": [], "workers": [], "replay": []}
    commands = {"serial": (), "workers": ("-n", "2"), "replay": ("--target", "replay")}
    order = list(commands)
    for round_ in range(ROUNDS):
        for name in order[round_ % len(order) :] + order[: round_ % len(order)]:
            runs[name].append(timed(*commands[name]))
    serial, workers, replay = runs["serial"], runs["workers"], runs["replay"]
    replay_ratio = median(r[1] / s[1] for r, s in zip(replay, serial, strict=True))
    workers_ratio = median(w[0] / s[0] for w, s in zip(workers, serial, strict=True))
    spread = max(w for w, _ in serial) / min(w for w, _ in serial)
    report("`verify --target replay` / `verify` against the embedded emulator (CPU time)", replay_ratio, 0.4,
           detail=f"median of {ROUNDS} rounds' ratios; medians: replay {median(c for _, c in replay):.1f} s CPU, "
           f"{median(w for w, _ in replay):.1f} s wall (warm image cache; {cold[0]:.1f} s wall before) vs emulator "
           f"{median(c for _, c in serial):.1f} s CPU, {median(w for w, _ in serial):.1f} s wall "
           f"(wall spread {spread:.2f}x)")  # fmt: skip
    report("`verify -n 2` / serial, on 2 cores (wall time)", workers_ratio, 0.9,
           detail=f"median of {ROUNDS} rounds' ratios; medians: {median(w for w, _ in workers):.1f} s vs "
           f"{median(w for w, _ in serial):.1f} s on {os.cpu_count()} CPUs (wall spread of the serial runs "
           f"{spread:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
