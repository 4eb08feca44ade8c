"""Cost of the recognition engine against the floor of decoding the same picture, measured side by side.

Run: ``PYTHONPATH=. python benchmarks/bench_vision.py [repeats]``.  Prints median times and the ratio
analyse / decode for a 1280 x 800 JPEG specimen, with and without alarms.
"""

from __future__ import annotations

import base64
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

import cv2

from pytest_idclassify.emulator._vision import analyse, decode_image
from pytest_idclassify.emulator._vision._templates import templates
from pytest_idclassify.images._specimens import DOCUMENT_TYPES, render_scene


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def _decode_text(text: bytes) -> object:
    return decode_image(base64.b64decode(text))


def main(repeats: int = 5) -> None:
    templates()  # built once at start-up, as the server does; not part of a request's cost
    print(f"{'type':<24} {'decode ms':>9} {'b64+dec ms':>10} {'analyse ms':>10} {'+alarms ms':>10} {'ratio':>6}")
    ratios = []
    for doc_type in DOCUMENT_TYPES:
        scene = render_scene(doc_type, seed=1, degradations={"blur": 0.2})
        bgr = cv2.cvtColor(scene.pixels, cv2.COLOR_RGB2BGR)
        ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        data = encoded.tobytes()
        text = base64.b64encode(data)
        pixels = decode_image(data)
        decode = _median_ms(partial(decode_image, data), repeats)
        floor = _median_ms(partial(_decode_text, text), repeats)
        plain = _median_ms(partial(analyse, pixels, with_alarms=False), repeats)
        alarms = _median_ms(partial(analyse, pixels, with_alarms=True), repeats)
        ratio = alarms / decode
        ratios.append(ratio)
        print(f"{doc_type:<24} {decode:9.2f} {floor:10.2f} {plain:10.2f} {alarms:10.2f} {ratio:6.2f}")
    print(f"median ratio analyse(with alarms) / JPEG decode: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
