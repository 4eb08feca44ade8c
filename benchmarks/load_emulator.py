"""Load run on loopback: 16 concurrent clients against ``idclassify serve --workers 2`` and its floor.

Starts the server as a subprocess on a free 127.0.0.1 port, stops it afterwards, and reports
errors, unexpected statuses, p50/p99 latency, req/s and the server's peak memory (RSS summed over
the server and its workers, sampled every 50 ms).  The same load then goes, in the same run, to
the floor: a Starlette app that only decodes the same JPEG (``_decode_only.py``, uvicorn with as
many workers); the ratio of their req/s has the goal >= 0.7.
Run: ``python benchmarks/load_emulator.py [--requests N] [--clients N] [--workers N]``.
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
from _ratio import report
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


def request_body() -> bytes:
    from pytest_idclassify.images import render_scene

    scene = render_scene("hongkong_id_card", width=640, height=400)
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


def _serve_and_load(command: list[str], body: bytes, args: argparse.Namespace) -> tuple[dict[str, object], int, int]:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                              cwd=Path(__file__).parent)  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base_url + "/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"the server did not start: {' '.join(command)}") from None
                time.sleep(0.2)
        expected = httpx.post(base_url + PATH, content=body, headers={"X-Auth-Token": SETTINGS.tokens[0]},
                              timeout=60).status_code  # fmt: skip
        idle = tree_rss(server.pid)
        result = anyio.run(run_load, base_url, body, args.requests, args.clients, server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return result, expected, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    body = request_body()
    emulator = [sys.executable, "-c", "from pytest_idclassify.cli import main; main()", "serve",
                "--host", "127.0.0.1", "--port", "{port}", "--workers", str(args.workers)]  # fmt: skip
    floor = [sys.executable, "-m", "uvicorn", "_decode_only:app", "--host", "127.0.0.1", "--port", "{port}",
             "--workers", str(args.workers), "--log-level", "warning"]  # fmt: skip
    rates, bad = {}, False
    for name, command in (("emulator", emulator), ("decode-only floor", floor)):
        result, expected, idle = _serve_and_load(command, body, args)
        statuses = result["statuses"]
        assert isinstance(statuses, dict)
        unexpected = {s: n for s, n in statuses.items() if s != expected}
        rates[name] = args.requests / float(result["elapsed"])  # type: ignore[arg-type]
        print(
            f"{name}: {args.requests} requests, {args.clients} clients, {args.workers} workers, body "
            f"{len(body) / 1024:.0f} KiB: statuses {statuses} (expected {expected}), errors {len(result['errors'])}, "  # type: ignore[arg-type]
            f"unexpected {unexpected}; p50 {float(result['p50']) * 1000:.1f} ms, "  # type: ignore[arg-type]
            f"p99 {float(result['p99']) * 1000:.1f} ms, {rates[name]:.0f} req/s; "  # type: ignore[arg-type]
            f"server RSS idle {idle / 2**20:.0f} MiB, peak {int(result['peak_rss']) / 2**20:.0f} MiB"  # type: ignore[call-overload]
        )
        bad |= bool(result["errors"] or unexpected)
    report(
        f"emulator req/s (`serve --workers {args.workers}`, {args.clients} clients) / a Starlette app that only "
        "decodes the same JPEG",
        rates["emulator"] / rates["decode-only floor"],
        0.7,
        at_least=True,
        detail=f"{rates['emulator']:.0f} vs {rates['decode-only floor']:.0f} req/s, 640x400 JPEG, alarm true",
    )
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
