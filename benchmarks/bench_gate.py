"""The gate profile against the in-process emulator: total time, and the suite's own cost per request.

Two measurements in one run:

* end to end: ``pytest --pyargs pytest_idclassify.contract -q`` in a subprocess, wall time
  (target: at most 60 s on a 2-core machine);
* programmatic: every gate case through ``open_target`` and ``check_case``, with the emulator's
  ASGI app wrapped in a timer, so the wall time splits into the emulator's service time and the
  suite's overhead (rendering images, base64, the client, validation), reported per request and
  as a ratio to the service time.  Two fresh processes share an image cache of their own: the
  first finds it empty, the second as a later run would (the ratio), whatever the user's holds.

Run: ``python benchmarks/bench_gate.py [--end-to-end]`` (the end-to-end run is also what
``bench_verify.py`` times, so run_all.py leaves it out here).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
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


def programmatic() -> dict[str, float]:
    """Every gate case through the suite in this process: the service time, the overhead, the request count."""
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
    return {"cases": len(cases), "requests": timer.requests, "violations": violations, "built": built,
            "total": total, "service": timer.seconds, "overhead": total - timer.seconds}  # fmt: skip


def _in_a_process(cache: str) -> dict[str, float]:
    """:func:`programmatic` in a fresh process whose image cache is ``cache`` (no image memoised in memory)."""
    done = subprocess.run([sys.executable, __file__, "--one-pass"], capture_output=True, text=True, check=True,
                          env={**os.environ, "IDCLASSIFY_IMAGE_CACHE": cache})  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _show(name: str, run: dict[str, float]) -> None:
    requests = run["requests"]
    print(f"{name}: {run['cases']:.0f} cases, {requests:.0f} requests, {run['violations']:.0f} violations")
    print(f"  building the cases          {run['built']:8.3f} s")
    print(f"  sending and checking        {run['total']:8.3f} s")
    print(f"  emulator service time       {run['service']:8.3f} s  ({run['service'] / requests * 1000:.1f} ms/request)")
    print(
        f"  suite overhead              {run['overhead']:8.3f} s  ({run['overhead'] / requests * 1000:.1f} ms/request)"
    )
    print(f"  overhead / service time     {run['overhead'] / run['service']:8.2f}")


def overhead_ratio() -> None:
    """The suite's overhead against the service time, with the image cache empty, then as a later run finds it."""
    with tempfile.TemporaryDirectory() as cache:
        cold = _in_a_process(cache)
        warm = _in_a_process(cache)
    _show("first run, empty image cache", cold)
    _show("next run, the cache it left", warm)
    per_request = warm["overhead"] / warm["requests"] * 1000
    service = warm["service"] / warm["requests"] * 1000
    report("suite overhead per request / emulator service time (bench_gate)", warm["overhead"] / warm["service"],
           0.25, detail=f"{per_request:.1f} ms overhead vs {service:.1f} ms service per request, "
           f"{warm['requests']:.0f} requests, the image cache warm (empty: "
           f"{cold['overhead'] / cold['service']:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end-to-end", action="store_true", help="also time pytest over the contract suite")
    parser.add_argument("--one-pass", action="store_true", help=argparse.SUPPRESS)  # the child of overhead_ratio
    args = parser.parse_args()
    if args.one_pass:
        print(json.dumps(programmatic()))
        return
    if args.end_to_end:
        seconds, code = end_to_end()
        verdict = "within" if seconds <= TARGET_SECONDS else "OVER"
        print(f"end to end: pytest --pyargs pytest_idclassify.contract took {seconds:.1f} s (exit {code}); "
              f"{verdict} the {TARGET_SECONDS:.0f} s target, ratio {seconds / TARGET_SECONDS:.2f}")  # fmt: skip
    overhead_ratio()


if __name__ == "__main__":
    main()
