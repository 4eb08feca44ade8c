"""Cost of the recognition engine, each figure against a baseline measured side by side in the same run.

Run: ``PYTHONPATH=. python benchmarks/bench_vision.py [repeats]``.  Prints, for 1280 x 800 JPEG specimens:

- analyse / JPEG decode, with and without alarms (the engine against its decode floor);
- scoring the nine templates in one vectorised step / the 18 separate ``distance()`` calls it replaces;
- a request's recognition time with vectorised scoring / with the 18 calls (before and after);
- the first request's template cost: reading the shipped templates / drawing them from the specimens;
- localisation with the desk's colour model / with the brightness threshold alone (what the model costs),
  and a request's recognition with / without it.
"""

from __future__ import annotations

import base64
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import cv2

from pytest_idclassify.emulator._vision import _engine, analyse, decode_image
from pytest_idclassify.emulator._vision._classify import ASPECT_WEIGHT, Match, _confidence, classify
from pytest_idclassify.emulator._vision._descriptor import Descriptor, describe, distance
from pytest_idclassify.emulator._vision._localise import find, locate
from pytest_idclassify.emulator._vision._templates import TEMPLATE_FILE, Template, draw_cards, read_cards, templates
from pytest_idclassify.images._cards import _render
from pytest_idclassify.images._specimens import DOCUMENT_TYPES, render_scene


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000.0


def _paired_ms(first: Callable[[], object], second: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median times of two works run in alternation, so that a change in the machine's load hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for samples, work in zip(times, (first, second), strict=True):
            start = time.perf_counter()
            work()
            samples.append(time.perf_counter() - start)
    return statistics.median(times[0]) * 1000.0, statistics.median(times[1]) * 1000.0


def _decode_text(text: bytes) -> object:
    return decode_image(base64.b64decode(text))


def classify_one_by_one(observed: Descriptor, aspect: float) -> Match:
    """The baseline: each template scored on its own, both layouts renormalised in every call (18 calls)."""
    flipped = observed.rotated()
    scored: list[tuple[float, bool, Template]] = []
    for template in templates():
        penalty = ASPECT_WEIGHT * math.log(max(aspect, 1e-3) / template.aspect) ** 2
        upright = distance(observed, template.descriptor) + penalty
        turned = distance(flipped, template.descriptor) + penalty
        scored.append((upright, False, template) if upright <= turned else (turned, True, template))
    scored.sort(key=lambda item: item[0])
    best, rotated, template = scored[0]
    return Match(template, rotated, best, scored[1][0], _confidence(best, scored[1][0]))


@contextmanager
def _engine_classifier(chosen: Callable[[Descriptor, float], Match]) -> Iterator[None]:
    # The baseline runs the same engine with the former scorer swapped in, for a same-run ratio.
    saved = _engine.classify
    _engine.classify = chosen  # type: ignore[assignment]
    try:
        yield
    finally:
        _engine.classify = saved  # type: ignore[assignment]


def _before(pixels: object) -> object:
    with _engine_classifier(classify_one_by_one):
        return analyse(pixels, with_alarms=True)  # type: ignore[arg-type]


def _bright_only(grey: object, colour: object = None) -> object:
    return find(grey)  # type: ignore[arg-type]


def _without_desk_model(pixels: object) -> object:
    saved = _engine.find
    _engine.find = _bright_only  # type: ignore[assignment]
    try:
        return analyse(pixels, with_alarms=True)  # type: ignore[arg-type]
    finally:
        _engine.find = saved  # type: ignore[assignment]


def _read_templates() -> object:
    return [describe(card) for _, card in read_cards(TEMPLATE_FILE).values()]


def _draw_templates() -> object:
    _render._draw.cache_clear()  # a fresh process has drawn no card yet
    return [describe(card) for _, card in draw_cards().values()]


def main(repeats: int = 3) -> None:
    templates()  # read once per process, as the server does
    names = ("decode", "b64+dec", "analyse", "+alarms", "ratio", "score 1", "score18")
    print(f"{'type':<24} " + " ".join(f"{name:>7}" for name in names) + "   (ms)")
    ratios, scoring, requests, locating, desk_requests = [], [], [], [], []
    for doc_type in DOCUMENT_TYPES:
        scene = render_scene(doc_type, seed=1, degradations={"blur": 0.2})
        ok, encoded = cv2.imencode(
            ".jpg", cv2.cvtColor(scene.pixels, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
        )
        assert ok
        data = encoded.tobytes()
        pixels = decode_image(data)
        decode = _median_ms(partial(decode_image, data), repeats)
        floor = _median_ms(partial(_decode_text, base64.b64encode(data)), repeats)
        plain = _median_ms(partial(analyse, pixels, with_alarms=False), repeats)
        alarms = _median_ms(partial(analyse, pixels, with_alarms=True), repeats)
        descriptor = templates()[0].descriptor
        vectorised, separate = _paired_ms(
            partial(classify, descriptor, 1.5), partial(classify_one_by_one, descriptor, 1.5), repeats * 4
        )
        after, before = _paired_ms(partial(analyse, pixels, with_alarms=True), partial(_before, pixels), repeats)
        grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
        with_desk, bright_only = _paired_ms(partial(find, grey, pixels), partial(locate, grey), repeats)
        locating.append(with_desk / bright_only)
        with_model, without_model = _paired_ms(
            partial(analyse, pixels, with_alarms=True), partial(_without_desk_model, pixels), repeats
        )
        desk_requests.append(with_model / without_model)
        ratios.append(alarms / decode)
        scoring.append(vectorised / separate)
        requests.append(after / before)
        row = f"{doc_type:<24} {decode:7.2f} {floor:7.2f} {plain:7.2f} {alarms:7.2f} {alarms / decode:6.2f}"
        print(f"{row} {vectorised:7.3f} {separate:7.3f}")
    print(f"median ratio analyse(with alarms) / JPEG decode: {statistics.median(ratios):.2f}")
    print(f"median ratio scoring nine templates at once / 18 distance() calls: {statistics.median(scoring):.2f}")
    print(
        f"median ratio request recognition, vectorised / 18 calls (after / before): {statistics.median(requests):.2f}"
    )
    desk_cost = statistics.median(locating)
    print(f"median ratio localisation with the desk model / brightness threshold alone: {desk_cost:.2f}")
    desk_request = statistics.median(desk_requests)
    print(f"median ratio request recognition with the desk model / without it: {desk_request:.2f}")
    read, drawn = _paired_ms(_read_templates, _draw_templates, 3)
    print(f"first request's templates: read {read:.1f} ms / drawn {drawn:.1f} ms = {read / drawn:.3f}")
    pooled, single = _cpu_per_pool()
    print(f"CPU of one 640x400 recognition with alarms: {pooled:.1f} ms with OpenCV's default pool of "
          f"{cv2.getNumThreads()} threads, {single:.1f} ms with one thread ({single / pooled:.2f})")  # fmt: skip


def _cpu_per_pool(rounds: int = 40) -> tuple[float, float]:
    """CPU milliseconds of one recognition with OpenCV's default pool and with one thread, alternating."""
    pixels = render_scene("hongkong_id_card", width=640, height=400).pixels
    default = cv2.getNumThreads()
    cpu: dict[int, list[float]] = {default: [], 1: []}
    for _ in range(rounds):
        for threads in (default, 1):
            cv2.setNumThreads(threads)
            start = time.process_time()
            analyse(pixels, with_alarms=True)
            cpu[threads].append((time.process_time() - start) * 1000)
    cv2.setNumThreads(default)
    return statistics.median(cpu[default]), statistics.median(cpu[1])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
