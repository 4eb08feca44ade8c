"""The client against hostile servers: how long each case takes and how much memory it costs.

Each case runs the real client in a fresh interpreter against a raw-socket server on 127.0.0.1
(tests/hostile_servers.py).  Figures are side by side with the baseline measured in the same run:
a small conforming answer (time and peak RSS growth over a warmed-up client).  Drip cases are
also shown against the configured timeout they must not outlast; they spend seconds waiting on the
server's timers, so they run side by side, after the cases that work have run one at a time.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_client_hostile.py
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_servers import hostile_server, run_client_case

CASES: list[tuple[str, dict[str, object], str]] = [
    ("bomb", {}, "2 MB gzip -> 2 GiB; max_decoded_bytes=32 MiB"),
    ("endless", {}, "endless chunked; max_response_bytes=8 MiB"),
    ("huge", {}, "Content-Length 10 GB; refused from the header"),
    ("huge-unannounced", {}, "10 GB, no length; max_response_bytes=8 MiB"),
    ("drip-head", {"timeout": 5.0, "max_retries": 0}, "1 byte / 4 s in the headers; timeout=5 s"),
    ("drip-body", {"timeout": 5.0, "max_retries": 0}, "1 byte / 4 s in the body; timeout=5 s"),
    ("drip-head", {"timeout": 5.0, "max_retries": 5, "call_timeout": 6.0}, "drip, 5 retries; call_timeout=6 s"),
    ("deep", {}, "200 KB of [[[...]]]; max_json_depth=100"),
]


MODES = ("sync", "async")


def _waits(settings: dict[str, object]) -> bool:
    """Whether a case spends its time waiting out a timeout rather than working."""
    return "timeout" in settings or "call_timeout" in settings


def main() -> None:
    with hostile_server() as url:
        baseline = run_client_case(url, "ok", "sync", {}, 120)
        base_time = float(str(baseline["elapsed"]))
        base_growth = float(str(baseline["growth_mb"]))
        print(f"baseline (a small answer): {base_time:.3f} s, peak RSS +{base_growth:.1f} MB")
        print(f"{'case':<44} {'mode':<6} {'error':<22} {'s':>7} {'x base':>8} {'MB':>7}  vs timeout")
        runs = [(behaviour, settings, label, mode) for behaviour, settings, label in CASES for mode in MODES]
        # The cases that work, whose times are compared with the baseline, run one at a time; then the
        # drip cases, which sleep on the server's timers for seconds each, all run side by side.
        results = {index: run_client_case(url, behaviour, mode, settings, 300)
                   for index, (behaviour, settings, _, mode) in enumerate(runs) if not _waits(settings)}  # fmt: skip
        waiting_runs = [index for index, run in enumerate(runs) if _waits(run[1])]
        with ThreadPoolExecutor(max_workers=len(waiting_runs)) as pool:
            waiting = {index: pool.submit(run_client_case, url, runs[index][0], runs[index][3], runs[index][1], 300)
                       for index in waiting_runs}  # fmt: skip
            results.update((index, future.result()) for index, future in waiting.items())
        for index, (_, settings, label, mode) in enumerate(runs):
            result = results[index]
            elapsed = float(str(result["elapsed"]))
            limit = float(str(settings.get("call_timeout", settings.get("timeout", 0)) or 0))
            against = f"{elapsed / limit:.2f}x of {limit:g} s" if limit else ""
            print(f"{label:<44} {mode:<6} {result.get('error', result.get('status'))!s:<22} {elapsed:>7.2f} "
                  f"{elapsed / base_time:>8.1f} {float(str(result['growth_mb'])):>7.1f}  {against}")  # fmt: skip


if __name__ == "__main__":
    main()
