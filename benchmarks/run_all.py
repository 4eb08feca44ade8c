"""Run every benchmark, one after another, each in its own process: python benchmarks/run_all.py [NAME...].

Each benchmark measures what it compares side by side in the same run and prints the ratio, so
the figures stay meaningful on a noisy, shared machine. Names select a subset (e.g. `images gate`).
At the end, one table lists every ratio of the performance goals with its goal and whether it
was met, the whole run's time (goal: at most 3 minutes on 2 cores), and the machine's load
average before and after, to show how noisy the figures are.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _ratio import PREFIX, write_bytecode  # noqa: E402

WHOLE_RUN_GOAL_S = 180.0


def _run(script: Path) -> tuple[int, list[dict[str, object]]]:
    ratios = []
    with subprocess.Popen([sys.executable, str(script)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith(PREFIX):
                ratios.append(json.loads(line[len(PREFIX) :]))
            else:
                print(line, end="", flush=True)
    return child.returncode, ratios


def _table(rows: list[dict[str, object]]) -> None:
    print(f"\n{'measure':<74} {'ratio':>8}  {'goal':>7}  result")
    for row in rows:
        goal = f"{'>=' if row['at_least'] else '<='} {row['goal']:g}"
        print(f"{row['measure']:<74} {row['ratio']:>8.3g}  {goal:>7}  {'met' if row['met'] else 'NOT MET'}")
        if row.get("detail"):
            print(f"    {row['detail']}")


def main(selected: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run_all.py" and not p.name.startswith("_"))
    if selected:
        scripts = [p for p in scripts if any(name in p.stem for name in selected)]
    write_bytecode()  # for every benchmark's whole processes, bench_preflight's among them
    load_before = os.getloadavg()
    started_all = time.perf_counter()
    failed, rows = [], []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        code, ratios = _run(script)
        rows += ratios
        print(f"--- {script.name}: exit {code} in {time.perf_counter() - started:.1f} s", flush=True)
        if code:
            failed.append(script.name)
    whole = time.perf_counter() - started_all
    load_after = os.getloadavg()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = children.ru_utime + children.ru_stime
    if not selected:
        rows.append({"measure": "python benchmarks/run_all.py, whole (s / 180 s)", "ratio": whole / WHOLE_RUN_GOAL_S,
                     "goal": 1.0, "at_least": False, "met": whole <= WHOLE_RUN_GOAL_S,
                     "detail": f"{whole:.0f} s wall, {cpu:.0f} s of CPU in the benchmarks' processes, on "
                     f"{os.cpu_count()} CPUs"})  # fmt: skip
    _table(rows)
    print(
        f"\nload average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on {os.cpu_count()} CPUs: "
        "figures are side-by-side ratios, but a load above the CPU count makes every one of them noisier"
    )
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
