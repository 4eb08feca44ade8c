"""How fast a first-contact mistake is refused, against pytest's own start-up.

Each mistake runs `idclassify verify` to its one-line refusal; the baseline is `pytest --help` in
the same environment (pytest with every installed plugin loaded and configured, no case run),
timed once in the same run, between the mistakes' rounds. The ratio says what the front door adds to the start-up: a
probe at most, never a run of cases.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from _ratio import IDCLASSIFY

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.emulator._settings import DEFAULT_PROJECT_ID, DEFAULT_TOKEN

VERIFY = [*IDCLASSIFY, "verify"]
PYTEST = [sys.executable, "-m", "pytest"]
ROUNDS = 3


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seconds(args: list[str], env: dict[str, str], cwd: str, command: list[str] = VERIFY) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, check=False)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDCLASSIFY_", "CLOUD_SDK_"))}
    token = {**env, "IDCLASSIFY_TOKEN": DEFAULT_TOKEN}
    with serve_in_thread(create_app(EmulatorSettings())) as url, tempfile.TemporaryDirectory() as cwd:
        mistakes = {
            "no credentials": (["--base-url", url, "--project-id", DEFAULT_PROJECT_ID], env),
            "nothing listens": (["--base-url", f"http://127.0.0.1:{_closed_port()}", "--project-id", "p"], token),
            "wrong project id": (["--base-url", url, "--project-id", "f" * 32], token),
            "TLS to plain HTTP": (["--base-url", url.replace("http:", "https:"), "--project-id", "p"], token),
        }
        base = 0.0
        timings: dict[str, list[float]] = {name: [] for name in mistakes}
        for round_ in range(ROUNDS):
            # The baseline, seconds long where every installed plugin loads, is timed in the middle
            # round alone: it is several times what it is compared with, and a second timing of it
            # would move the ratios less than the machine's noise does.
            if round_ == ROUNDS // 2:
                base = _seconds(["--help", "-p", "no:cacheprovider"], env, cwd, PYTEST)[0]
            for name, (args, environ) in mistakes.items():
                seconds, code = _seconds(args, environ, cwd)
                assert code != 0, name
                timings[name].append(seconds)
    print(f"pytest --help (start-up baseline): {base:.2f} s (timed once, in round {ROUNDS // 2 + 1} of {ROUNDS})")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:<20} refused in {median:.2f} s  = {median / base:.2f}x the start-up")


if __name__ == "__main__":
    main()
