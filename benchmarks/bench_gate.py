"""The gate profile against the in-process emulator: total time, and the suite's own cost per request.

Two measurements in one run:

* end to end: ``pytest --pyargs pytest_idclassify.contract -q`` in a subprocess, wall time
  (target: at most 60 s on a 2-core machine);
* programmatic: every gate case through ``open_target`` and ``check_case``, with the emulator's
  ASGI app wrapped in a timer, so the wall time splits into the emulator's service time and the
  suite's overhead (rendering images, base64, the client, validation), reported per request and
  as a ratio to the service time.

Run: ``python benchmarks/bench_gate.py [--end-to-end]`` (the end-to-end run is also what
``bench_verify.py`` times, so run_all.py leaves it out here).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

from _ratio import report

from pytest_idclassify.cases import gate_cases
from pytest_idclassify.suite import SuiteConfig, check_case, open_target

TARGET_SECONDS = 60.0


class ServiceTimer:
    """An ASGI wrapper that adds up the time the wrapped app spends on each HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seconds = 0.0
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds += time.perf_counter() - started
            self.requests += 1


def end_to_end() -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "pytest_idclassify.contract", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    seconds = time.perf_counter() - started
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:])
    return seconds, done.returncode


def programmatic() -> None:
    config = SuiteConfig()
    started = time.perf_counter()
    cases = gate_cases(seed=config.seed, sample=config.sample)
    built = time.perf_counter() - started
    with open_target(config) as target:
        timer = ServiceTimer(target.app)
        target.app = timer  # clients are built on first use, so every call goes through the timer
        started = time.perf_counter()
        violations = 0
        for case in cases:
            verdict = check_case(case, [target.send(call) for call in case.calls])
            violations += len(verdict.violations)
        total = time.perf_counter() - started
    overhead = total - timer.seconds
    print(f"programmatic: {len(cases)} cases, {timer.requests} requests, {violations} violations")
    print(f"  building the cases          {built:8.3f} s")
    print(f"  sending and checking        {total:8.3f} s")
    service = timer.seconds / timer.requests * 1000
    print(f"  emulator service time       {timer.seconds:8.3f} s  ({service:.1f} ms/request)")
    print(f"  suite overhead              {overhead:8.3f} s  ({overhead / timer.requests * 1000:.1f} ms/request)")
    print(f"  overhead / service time     {overhead / timer.seconds:8.2f}")
    report("suite overhead per request / emulator service time (bench_gate)", overhead / timer.seconds, 0.25,
           detail=f"{overhead / timer.requests * 1000:.1f} ms overhead vs {service:.1f} ms service per request, "
           f"{timer.requests} requests")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end-to-end", action="store_true", help="also time pytest over the contract suite")
    args = parser.parse_args()
    if args.end_to_end:
        seconds, code = end_to_end()
        verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
        print(f"end to end: pytest --pyargs pytest_idclassify.contract took {seconds:.1f} s (exit {code}); "
              f"{verdict} the {TARGET_SECONDS:.0f} s target, ratio {seconds / TARGET_SECONDS:.2f}")  # fmt: skip
    programmatic()


if __name__ == "__main__":
    main()
