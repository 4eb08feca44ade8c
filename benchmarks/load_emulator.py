"""Load run on loopback: 16 concurrent clients against ``idclassify serve --workers 2`` and its floor.

Starts the server and its floor, a Starlette app that only decodes the same JPEG
(``_decode_only.py``, uvicorn with as many workers), as subprocesses on free 127.0.0.1 ports, and
loads them in turn, round after round, so that both sides of the ratio meet the same machine.
Reports errors, unexpected statuses, p50/p99 latency, req/s and each server's peak memory (RSS
summed over the server and its workers, sampled every 50 ms); the ratio of their req/s has the
goal >= 0.7.

The ratio is measured at two picture sizes, with the same two servers, each its own row of the
table: 640 x 400, where recognition's fixed cost of several milliseconds outweighs a decode of
about one, and 3264 x 2448, a phone camera's photo, where the decode (tens of milliseconds) is
most of the work for both servers.  Neither row stands in for the other.
Run: ``python benchmarks/load_emulator.py [--requests N] [--rounds N] [--clients N] [--workers N]``.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import numpy as np
from _ratio import IDCLASSIFY, report
from PIL import Image

from pytest_idclassify._serve import free_port
from pytest_idclassify.emulator import EmulatorSettings

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"


def tree_rss(pid: int) -> int:
    """RSS in bytes of ``pid`` and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


#: the picture sizes loaded, each with its share of the requests (the larger takes longer per request)
#: and what its row of the table adds to the measure's name.
SIZES = ((640, 400, 1.0, ""), (3264, 2448, 0.125, " at 3264x2448, a phone photo's size"))


def request_body(width: int = 640, height: int = 400) -> bytes:
    """The JSON body of a request for a ``width`` x ``height`` JPEG of a specimen, alarms asked for."""
    from pytest_idclassify.images import render_scene

    scene = render_scene("hongkong_id_card", width=width, height=height)
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(scene.pixels)).save(buffer, format="JPEG", quality=90)
    return json.dumps({"data": base64.b64encode(buffer.getvalue()).decode(), "alarm": True}).encode()


async def run_load(base_url: str, body: bytes, total: int, clients: int, pid: int) -> dict[str, object]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    peak = 0
    remaining = total
    headers = {"X-Auth-Token": SETTINGS.tokens[0], "Content-Type": "application/json"}
    done = anyio.Event()

    async def sampler() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(pid))
            await anyio.sleep(0.05)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                response = await client.post(PATH, content=body, headers=headers)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        async with anyio.create_task_group() as outer:
            outer.start_soon(sampler)
            async with anyio.create_task_group() as group:
                for _ in range(clients):
                    group.start_soon(client_loop, client)
            done.set()
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "statuses": statuses,
        "errors": errors,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "elapsed": elapsed,
        "peak_rss": peak,
    }


def one_at_a_time(base_url: str, body: bytes, count: int = 30) -> float:
    """Median seconds a request takes for one kept-alive client sending them one after another."""
    headers = {"X-Auth-Token": SETTINGS.tokens[0], "Content-Type": "application/json"}
    with httpx.Client(base_url=base_url, timeout=60) as client:
        client.post(PATH, content=body, headers=headers)
        latencies = []
        for _ in range(count):
            started = time.perf_counter()
            client.post(PATH, content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
    return statistics.median(latencies)


class _Server:
    """A server subprocess on a free loopback port, started and waited for; stopped by :meth:`stop`."""

    def __init__(self, command: list[str], body: bytes) -> None:
        port = free_port()
        self.command = [part.replace("{port}", str(port)) for part in command]
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=Path(__file__).parent)  # fmt: skip
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.base_url + "/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise SystemExit(f"the server did not start: {' '.join(self.command)}") from None
                time.sleep(0.2)
        self.expected = httpx.post(self.base_url + PATH, content=body, headers={"X-Auth-Token": SETTINGS.tokens[0]},
                                   timeout=60).status_code  # fmt: skip
        self.idle_rss = tree_rss(self.process.pid)

    def stop(self) -> None:
        """Stop the server and its workers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def _summary(name: str, rounds: list[dict[str, object]], server: _Server, per_round: int, body: bytes,
             args: argparse.Namespace, alone: float) -> tuple[float, bool]:  # fmt: skip
    """Print one server's figures at one size; return its req/s and whether anything went wrong."""
    statuses: dict[int, int] = {}
    for result in rounds:
        for status, count in result["statuses"].items():  # type: ignore[attr-defined]
            statuses[status] = statuses.get(status, 0) + count
    errors = sum(len(result["errors"]) for result in rounds)  # type: ignore[arg-type]
    unexpected = {s: n for s, n in statuses.items() if s != server.expected}
    total = per_round * len(rounds)
    rate = total / sum(float(result["elapsed"]) for result in rounds)  # type: ignore[arg-type]
    p50 = statistics.median(float(result["p50"]) for result in rounds)  # type: ignore[arg-type]
    p99 = max(float(result["p99"]) for result in rounds)  # type: ignore[arg-type]
    peak = max(int(result["peak_rss"]) for result in rounds)  # type: ignore[call-overload]
    print(
        f"{name}: {total} requests in {len(rounds)} rounds, {args.clients} clients, {args.workers} workers, "
        f"body {len(body) / 1024:.0f} KiB: statuses {statuses} (expected {server.expected}), errors {errors}, "
        f"unexpected {unexpected}; p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, {rate:.0f} req/s; "
        f"server RSS idle {server.idle_rss / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB; "
        f"one client, one request at a time: median {alone * 1000:.1f} ms"
    )
    return rate, bool(errors or unexpected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--requests",
        type=int,
        default=480,
        help="640x400 requests to each server, over all rounds (an eighth as many at 3264x2448)",
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds, each loading one server then the other")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bodies = [request_body(width, height) for width, height, _, _ in SIZES]
    emulator = [*IDCLASSIFY, "serve",
                "--host", "127.0.0.1", "--port", "{port}", "--workers", str(args.workers)]  # fmt: skip
    # The floor is served as `idclassify serve` serves the emulator: same workers, same sockets.
    floor = [sys.executable, "-c", "import sys; from pytest_idclassify._workers import serve_workers; "
             "sys.exit(serve_workers('_decode_only:app', workers=int(sys.argv[1]), host='127.0.0.1', "
             "port=int(sys.argv[2]), log_level='warning'))", str(args.workers), "{port}"]  # fmt: skip
    names = ("emulator", "decode-only floor")
    servers: dict[str, _Server] = {}
    bad = False
    try:
        for name, command in zip(names, (emulator, floor), strict=True):
            servers[name] = _Server(command, bodies[0])
        for (width, height, share, at), body in zip(SIZES, bodies, strict=True):
            per_round = max(args.clients, round(args.requests * share) // args.rounds)
            results: dict[str, list[dict[str, object]]] = {name: [] for name in names}
            # Both servers stay up and take turns, round after round: a shared machine's load drifts over
            # seconds, and alternating spreads that drift over both sides of the ratio alike.
            for _ in range(args.rounds):
                for name in names:
                    server = servers[name]
                    results[name].append(anyio.run(run_load, server.base_url, body, per_round, args.clients,
                                                   server.process.pid))  # fmt: skip
            rates = {}
            for name in names:
                alone = one_at_a_time(servers[name].base_url, body, count=max(10, round(30 * share)))
                rates[name], failed = _summary(name, results[name], servers[name], per_round, body, args, alone)
                bad |= failed
            report(
                f"emulator req/s (`serve --workers {args.workers}`, {args.clients} clients) / a Starlette app that "
                f"only decodes the same JPEG{at}",
                rates["emulator"] / rates["decode-only floor"],
                0.7,
                at_least=True,
                detail=f"{rates['emulator']:.0f} vs {rates['decode-only floor']:.0f} req/s, {width}x{height} JPEG "
                f"({len(body) / 2**20:.2f} MiB body), alarm true",
            )
    finally:
        for server in servers.values():
            server.stop()
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
