"""Per-request service time of the emulator against its floor, measured side by side in one run.

The floor is what any server must do with the same request: base64-decode ``data`` and decode the
JPEG.  Targets: a 1280x800 specimen with ``alarm: true`` at most 10x its floor (median); a 7 MB JPEG
at most 1.3x its floor with alarms (analysed on a copy shrunk once, all but the screen patch) and
without (decoded at reduced scale).  The 7 MB rows go to run_all.py's final table.
Run: ``python benchmarks/bench_emulator.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import statistics
import time
from collections.abc import Callable

import anyio
import cv2
import httpx
import numpy as np
from _ratio import report
from PIL import Image

from pytest_idclassify.emulator import EmulatorSettings, create_app

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
HEADERS = {"X-Auth-Token": SETTINGS.tokens[0], "Content-Type": "application/json"}


def specimen_jpeg() -> bytes:
    from pytest_idclassify.images import render_scene

    scene = render_scene("passport", width=1280, height=800)
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(scene.pixels)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def seven_mb_jpeg() -> bytes:
    """A photograph-sized JPEG of about 7 MB: a specimen scaled up, with sensor-like noise."""
    from pytest_idclassify.images import render_scene

    scene = np.asarray(render_scene("id_card", width=1280, height=800).pixels)
    big = cv2.resize(scene, (4000, 2500), interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(1).normal(0, 18, big.shape)
    noisy = np.clip(big.astype(np.float64) + noise, 0, 255).astype(np.uint8)
    for quality in (97, 95, 92, 90, 85):
        buffer = io.BytesIO()
        Image.fromarray(noisy).save(buffer, format="JPEG", quality=quality)
        if buffer.tell() <= 7 * 1024 * 1024:
            return buffer.getvalue()
    return buffer.getvalue()


def floor(body: bytes) -> None:
    data = json.loads(body)["data"]
    raw = base64.b64decode(data, validate=True)
    decoded = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None


def _once(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def timed_side_by_side(
    measured: Callable[[], object], baseline: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    """Time ``measured`` and ``baseline`` alternately, so a change in the machine's load falls on both."""
    measured(), baseline()  # warm-up: imports, caches, thread pool
    pairs = [(_once(measured), _once(baseline)) for _ in range(repeat)]
    return [m for m, _ in pairs], [b for _, b in pairs]


def measure(name: str, image: bytes, repeat: int, target: float, *, alarm: bool = True, table: bool = False) -> bool:
    """Time the emulator's service of ``image`` against its floor; print the line, and the table row if ``table``."""
    body = json.dumps({"data": base64.b64encode(image).decode(), "alarm": alarm}).encode()
    app = create_app(SETTINGS)
    statuses: set[int] = set()

    async def one() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            response = await client.post(PATH, content=body, headers=HEADERS)
            statuses.add(response.status_code)

    service, base = timed_side_by_side(lambda: anyio.run(one), lambda: floor(body), repeat)
    ratio = statistics.median(service) / statistics.median(base)
    print(
        f"{name}: {len(image) / 2**20:.2f} MiB, statuses {sorted(statuses)}; "
        f"median service {statistics.median(service) * 1000:.1f} ms, floor {statistics.median(base) * 1000:.1f} ms, "
        f"ratio {ratio:.2f} (target <= {target:g}) {'OK' if ratio <= target else 'OVER'}"
    )
    if table:
        report(
            f"emulator service / base64 + full decode, {name} (bench_emulator)",
            ratio,
            target,
            detail=f"median {statistics.median(service) * 1000:.1f} ms vs {statistics.median(base) * 1000:.1f} ms, "
            f"{len(image) / 2**20:.2f} MiB",
        )
    return ratio <= target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    ok = measure("1280x800 specimen, alarm=true", specimen_jpeg(), args.repeat, 10)
    big = seven_mb_jpeg()
    # With alarms only the screen patch needs full resolution: the rest works on a copy shrunk once.
    ok &= measure("7 MB JPEG, alarm=true", big, max(3, args.repeat * 2 // 3), 1.3, table=True)
    # Without alarms nothing needs full resolution: the JPEG is decoded at half scale (reduced_decode_side).
    ok &= measure("7 MB JPEG, alarm=false", big, max(3, args.repeat * 2 // 3), 1.3, alarm=False, table=True)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
