"""The emulator's resource bounds under the inputs that used to break them, each with its baseline from the same run.

- decoding memory: the peak a fresh process adds answering an 8192 x 8192 16-bit grey TIFF, a CMYK
  TIFF and a flat PNG, against the picture's 8-bit RGB raster (targets: the 16-bit TIFF <= +600 MB,
  every one about 2x its raster);
- decoding work: a progressive JPEG of one tiny scan repeated 20,000 times, against an ordinary
  progressive JPEG of the same size (target: answered within 3 s);
- bodies in flight: 100 connections each sending 12 MiB of a body they never finish, against the
  server at rest (targets: <= +800 MB, normal requests answered within 1 s, a fifth of the budget wait:
  a request near its end has the waiting attackers furthest from theirs refused to make room);
- URL fetches: the shared download client against a new client (and SSL context) per fetch.

Run: ``python benchmarks/bench_bounds.py`` (about 30 s).
"""

from __future__ import annotations

import base64
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import hostile_images  # noqa: E402
from _ratio import IDCLASSIFY  # noqa: E402

from pytest_idclassify.emulator import EmulatorSettings, create_app  # noqa: E402

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
TOKEN = SETTINGS.tokens[0]
MIB = 1024 * 1024
#: the most a normal request may take during the attack: well under the budget wait, so it did not wait for room.
_LOADED_LIMIT = 1.0
RASTER = 8192 * 8192 * 3


def decoding_memory() -> bool:
    ok = True
    cases = [
        ("16-bit grey TIFF", hostile_images.tiff("I;16"), 600 * MIB),
        ("CMYK TIFF", hostile_images.tiff("CMYK"), int(2.5 * RASTER)),
        ("flat PNG", hostile_images.flat_png(), int(2.5 * RASTER)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        peaks = hostile_images.recognition_peaks([image for _, image, _ in cases], tmp)
        for (name, image, limit), (outcome, peak) in zip(cases, peaks, strict=True):
            good = peak <= limit
            ok &= good
            print(
                f"decode 8192x8192 {name} ({len(image) / 1024:.0f} kB): answered {outcome}, "
                f"peak +{peak / MIB:.0f} MiB, "
                f"{peak / RASTER:.2f}x its 8-bit raster (target <= {limit / MIB:.0f} MiB) {'OK' if good else 'OVER'}"
            )
    return ok


def _answer_time(image: bytes) -> tuple[float, str]:
    app = create_app(SETTINGS)
    body = {"data": base64.b64encode(image).decode()}

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
            return await client.post(PATH, json=body, headers={"X-Auth-Token": TOKEN}, timeout=600)

    started = time.perf_counter()
    response = anyio.run(go)
    return time.perf_counter() - started, str(response.json().get("error_code", response.status_code))


def decoding_work() -> bool:
    hostile = hostile_images.many_scan_jpeg(4096, 20_000)
    buffer = io.BytesIO()
    Image.new("L", (4096, 4096), 128).save(buffer, format="JPEG", progressive=True, quality=90)
    base, base_outcome = _answer_time(buffer.getvalue())
    spent, outcome = _answer_time(hostile)
    good = spent <= 3.0
    print(
        f"many-scan progressive JPEG 4096x4096 ({len(hostile) / 1024:.0f} kB, 20,000 scans): answered {outcome} "
        f"in {spent:.2f} s; an ordinary progressive one of the same size ({base_outcome}) {base:.2f} s; "
        f"ratio {spent / base:.2f} (target: within 3 s) {'OK' if good else 'OVER'}"
    )
    return good


def _kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def _specimen() -> str:
    from pytest_idclassify.images import render_scene

    scene = render_scene("id_card", width=1280, height=800)
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(scene.pixels)).save(buffer, format="JPEG", quality=90)
    return base64.b64encode(buffer.getvalue()).decode()


def _latencies(client: httpx.Client, image: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.post(PATH, json={"data": image}, headers={"X-Auth-Token": TOKEN})
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return times


def bodies_in_flight() -> bool:
    from pytest_idclassify._serve import free_port

    port = free_port()
    env = {**os.environ, "IDCLASSIFY_EMULATOR_BODY_TIMEOUT": "120"}
    command = [*IDCLASSIFY, "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socks: list[socket.socket] = []
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        image = _specimen()
        with httpx.Client(base_url=url, timeout=60) as client:
            _latencies(client, image, 2)
            quiet = _latencies(client, image, 5)
            base = _kib(server.pid, "VmRSS")
            started = time.perf_counter()
            head = (
                f"POST {PATH} HTTP/1.1\r\nHost: e\r\nX-Auth-Token: {TOKEN}\r\nContent-Length: {12 * MIB}\r\n\r\n"
            ).encode()
            socks, sent = hostile_images.stall_bodies(url, head, 100, 12 * MIB)
            stalled = time.perf_counter() - started
            loaded = _latencies(client, image, 5)
        grown = (_kib(server.pid, "VmHWM") - base) * 1024
    finally:
        for sock in socks:
            sock.close()
        server.terminate()
        server.wait(timeout=30)
    good = grown <= 800 * MIB and max(loaded) <= _LOADED_LIMIT
    print(
        f"100 unfinished 12 MiB bodies ({sent / MIB:.0f} MiB taken in {stalled:.1f} s): "
        f"server +{grown / MIB:.0f} MiB (target <= 800); "
        f"normal request median {statistics.median(loaded) * 1000:.0f} ms, max {max(loaded) * 1000:.0f} ms, "
        f"at rest {statistics.median(quiet) * 1000:.0f} ms, "
        f"ratio {statistics.median(loaded) / statistics.median(quiet):.2f} "
        f"(target: each within {_LOADED_LIMIT:g} s) {'OK' if good else 'OVER'}"
    )
    return good


def url_fetches() -> bool:
    from pytest_idclassify._serve import serve_in_thread
    from pytest_idclassify.emulator._urlfetch import AllowList, fetch_image

    png = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(png, format="PNG")
    data = png.getvalue()

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"image/png")]})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": data})  # type: ignore[operator]

    allow = AllowList.parse(("127.0.0.0/8",))
    codes = {"refused_code": "ModelArts.4601", "raw_code": "AIS.0101", "failed_code": "ModelArts.4603"}
    count = 30
    with serve_in_thread(app) as url:

        async def shared() -> None:
            for _ in range(count):
                await fetch_image(url + "/a.png", allow=allow, timeout=5, max_bytes=MIB, max_redirects=0, **codes)

        async def fresh() -> None:
            for _ in range(count):
                async with httpx.AsyncClient(trust_env=False) as client:
                    (await client.get(url + "/a.png")).raise_for_status()

        anyio.run(shared)
        started = time.perf_counter()
        anyio.run(shared)
        shared_time = (time.perf_counter() - started) / count
        started = time.perf_counter()
        anyio.run(fresh)
        fresh_time = (time.perf_counter() - started) / count
    print(
        f"URL fetch: shared client {shared_time * 1000:.2f} ms, a new client per fetch {fresh_time * 1000:.2f} ms, "
        f"ratio {shared_time / fresh_time:.2f}"
    )
    return True


def main() -> None:
    ok = decoding_memory()
    ok &= decoding_work()
    ok &= bodies_in_flight()
    ok &= url_fetches()
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
