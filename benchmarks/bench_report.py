"""The HTML report at 500 failures, and failure thumbnails, each against a baseline in the same run.

- Rendering: ``render_html`` of a 500-failure report vs ``json.dumps`` of the same report (what
  ``--idclassify-report-json`` writes); the page's size vs the JSON's.
- Thumbnails: ``_thumbnail`` (decoded at reduced size, JPEG out) vs the plain way (full decode,
  shrink, PNG out) for an 8192x8192 JPEG and a 1280x800 specimen; time and bytes.

    PYTHONPATH=. python benchmarks/bench_report.py [--failures 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import time
from collections.abc import Callable
from typing import Any

from PIL import Image

from pytest_idclassify.images import ImageRecipe
from pytest_idclassify.report import build_report, render_html
from pytest_idclassify.suite._records import THUMBNAIL_SIDE, _thumbnail

URL = "http://127.0.0.1:8000/v2/<project>/ocr/auto-id-doc-classification"


def _records(failures: int, thumbnail: str) -> list[dict[str, Any]]:
    out = []
    for index in range(failures):
        body = {"error_code": "AIS.0103", "error_msg": "Image too small. " * 40}
        calls = [{"request": f"{{data=png 14x{64 + index} flat#808080}}", "status": 400, "request_id": f"r-{index}",
                  "elapsed": 0.004, "sent": {"method": "POST", "url": URL, "body": {"data": "<base64 124 chars>"}},
                  "body": body} for _ in range(3)]  # fmt: skip
        out.append({"case": f"request.image.side-min[{index:03}]", "clause": "request.image.side-min",
                    "assumed": False, "outcome": "failed", "calls": calls, "exercised": ["request.image.side-min"],
                    "violations": [{"clause": "error.AIS.0103", "pointer": "/error_msg", "assumed": False, "call": 2,
                                    "message": "'Image too small.' is not the documented message"}],
                    "thumbnails": [thumbnail]})  # fmt: skip
    return out


def _best(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


class _Rendered:
    """An image already rendered, so both thumbnail ways start from the same bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def render(self) -> bytes:
        return self.data


def _plain_thumbnail(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as picture:
        picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        out = io.BytesIO()
        picture.convert("RGB").save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--failures", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    thumb = _thumbnail(ImageRecipe(format="png", width=14, height=64)) or ""
    report = build_report(_records(args.failures, thumb), meta={"target": "live", "assumed": "report"})
    page = render_html(report)
    text = json.dumps(report.to_json(), indent=2, ensure_ascii=False)
    html_s = _best(lambda: render_html(report), args.rounds)
    json_s = _best(lambda: json.dumps(report.to_json(), indent=2, ensure_ascii=False), args.rounds)
    print(f"report, {args.failures} failures x 3 calls: html {html_s * 1000:.0f} ms, json {json_s * 1000:.0f} ms, "
          f"ratio html/json {html_s / json_s:.2f}")  # fmt: skip
    print(f"  size: html {len(page) / 1e6:.2f} MB, json {len(text) / 1e6:.2f} MB, ratio {len(page) / len(text):.2f}")

    recipes = (
        ImageRecipe(format="jpeg", width=8192, height=8192, content="noise"),
        ImageRecipe(format="jpeg", width=1280, height=800, content="specimen", doc_type="passport"),
    )
    for recipe in recipes:
        image = _Rendered(recipe.render())
        ours_s = _best(lambda image=image: _thumbnail(image), args.rounds)  # type: ignore[misc]
        plain_s = _best(lambda image=image: _plain_thumbnail(image.data), args.rounds)  # type: ignore[misc]
        ours, plain = len(_thumbnail(image) or ""), len(_plain_thumbnail(image.data))  # type: ignore[arg-type]
        print(
            f"thumbnail of {recipe}: ours {ours_s * 1000:.1f} ms / {ours} chars, plain {plain_s * 1000:.1f} ms "
            f"/ {plain} chars; time ratio plain/ours {plain_s / ours_s:.1f}, size ratio {plain / ours:.1f}"
        )


if __name__ == "__main__":
    main()
