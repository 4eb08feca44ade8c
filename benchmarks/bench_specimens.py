"""Specimen scene rendering, timed per document type and per degradation, with a Pillow baseline.

Each figure is the median of several renders of a 1280 x 800 scene.  "fresh" renders use a new seed
every time (the flat card is drawn anew); "cached" renders repeat a seed, so the flat card comes
from the cache.  The baseline is a plain Pillow drawing of the same size (a rounded rectangle,
a few boxes and lines of default-font text on a flat background, converted to a NumPy array),
measured in the same run; the ratio is ours / baseline.  The budget is 150 ms per scene.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_specimens.py
"""

from __future__ import annotations

import functools
import itertools
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from pytest_idclassify.images._specimens import DEGRADATIONS, DOCUMENT_TYPES, render_scene

WIDTH, HEIGHT = 1280, 800
BUDGET_MS = 150.0
_seeds = itertools.count(1000)


def median_ms(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def pillow_baseline() -> np.ndarray:
    image = Image.new("RGB", (WIDTH, HEIGHT), (70, 70, 76))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((240, 150, 1040, 655), radius=30, fill=(232, 226, 240))
    draw.rectangle((260, 170, 1020, 260), fill=(80, 40, 120))
    draw.rectangle((280, 290, 480, 560), fill=(150, 156, 166))
    draw.ellipse((330, 320, 430, 440), fill=(52, 54, 62))
    for row in range(6):
        draw.text((520, 300 + 40 * row), f"SPECIMEN FIELD {row} 0123456789", fill=(30, 30, 40))
    return np.asarray(image)


def fresh(doc_type: str, degradations: dict[str, float]) -> object:
    return render_scene(doc_type, seed=next(_seeds), degradations=degradations)


def main() -> None:
    baseline = median_ms(pillow_baseline, repeat=15)
    print(f"baseline: plain Pillow draw {WIDTH}x{HEIGHT}: {baseline:7.2f} ms")
    print(f"{'scene':40s} {'ms':>8s} {'x Pillow':>9s}  budget {BUDGET_MS:.0f} ms")
    worst = 0.0

    def report(label: str, ms: float) -> None:
        nonlocal worst
        worst = max(worst, ms)
        flag = "" if ms <= BUDGET_MS else "  OVER BUDGET"
        print(f"{label:40s} {ms:8.1f} {ms / baseline:9.1f}{flag}")

    for doc_type in DOCUMENT_TYPES:
        report(f"{doc_type} fresh", median_ms(functools.partial(fresh, doc_type, {})))
        render_scene(doc_type, seed=1)
        report(f"{doc_type} cached", median_ms(functools.partial(render_scene, doc_type, seed=1)))
    for name in DEGRADATIONS:
        for severity in (0.5, 1.0):
            render_scene("passport", seed=1, degradations={name: severity})
            ms = median_ms(functools.partial(render_scene, "passport", seed=1, degradations={name: severity}))
            report(f"passport (cached card) + {name} {severity}", ms)
    everything = dict.fromkeys(DEGRADATIONS, 0.6)
    report(
        "id_card (fresh card) + all seven at 0.6",
        median_ms(functools.partial(fresh, "id_card", everything)),
    )
    print(f"worst: {worst:.1f} ms ({'within' if worst <= BUDGET_MS else 'over'} the {BUDGET_MS:.0f} ms budget)")


if __name__ == "__main__":
    main()
