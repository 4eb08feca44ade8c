"""Run every benchmark, one after another, each in its own process: python benchmarks/run_all.py [NAME...].

Each benchmark measures what it compares side by side in the same run and prints the ratio, so
the figures stay meaningful on a noisy, shared machine. Names select a subset (e.g. `images gate`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in ("run_all.py", "__init__.py"))
    if selected:
        scripts = [p for p in scripts if any(name in p.stem for name in selected)]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"--- {script.name}: exit {code} in {time.perf_counter() - started:.1f} s", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
