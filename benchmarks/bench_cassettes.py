"""Replay from our cassette format: linear in the cassette's length, and against vcrpy's default YAML.

* Linearity: a 50-interaction and a 400-interaction cassette, each replayed in full through the
  real client with the network blocked; the ratio of their milliseconds per interaction (goal
  <= 1.5: a lookup that scanned every recorded interaction would make it about 8).
* Format: the same N request/response pairs (a 4 KB image per request, distinct by one pixel
  value) in our format and in vcrpy's YAML, loaded and replayed side by side; the ratios
  YAML / ours of time and size.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_cassettes.py [--n 100] [--rounds 1]
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
from pathlib import Path

import vcr
from _ratio import report
from vcr.request import Request

from pytest_idclassify.cassettes import SecretBook, use_cassette
from pytest_idclassify.cassettes._store import render_interactions
from pytest_idclassify.client import ClientConfig, IdClassifyClient

PROJECT = "0123456789abcdef0123456789abcdef"
ENDPOINT = "https://ocr.cn-north-4.myhuaweicloud.com"
URI = f"{ENDPOINT}/v2/{PROJECT}/ocr/auto-id-doc-classification"


def _image(index: int) -> str:
    raw = b"\xff\xd8\xff\xe0" + index.to_bytes(4, "big") + bytes(range(256)) * 16
    return base64.b64encode(raw).decode("ascii")


def _pairs(n: int) -> list[tuple[Request, dict[str, object]]]:
    pairs = []
    for index in range(n):
        body = json.dumps({"data": _image(index), "alarm": True}, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json;charset=utf-8", "X-Auth-Token": "[REDACTED]"}
        answer = {"result": {"type": "passport", "location": [[1, 2], [90, 2], [90, 60], [1, 60]], "confidence": 0.9}}
        response = {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json;charset=utf-8"], "X-Request-Id": [f"{index:032x}"]},
            "body": {"string": json.dumps(answer, separators=(",", ":")).encode()},
        }
        pairs.append((Request("POST", URI, body, headers), response))
    return pairs


def _replay(context: object, n: int) -> float:
    config = ClientConfig(endpoint=ENDPOINT, project_id=PROJECT, token="bench-token-000000")
    started = time.perf_counter()
    with context, IdClassifyClient(config) as client:  # type: ignore[attr-defined]
        for index in range(n):
            assert client.classify(data=_image(index), alarm=True).status == 200
    return time.perf_counter() - started


def linearity() -> None:
    per: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (50, 400):
            path = Path(tmp) / f"{n}.json"
            path.write_text(render_interactions(_pairs(n), SecretBook(from_environment=False)))
            per[n] = min(_replay(use_cassette(path), n) for _ in range(2)) / n * 1000
    print(f"replay: {per[50]:.2f} ms per interaction from 50, {per[400]:.2f} ms from 400 (best of 2)")
    report("cassette replay, ms per interaction, 400-interaction file / 50-interaction file", per[400] / per[50], 1.5,
           detail=f"{per[400]:.2f} ms vs {per[50]:.2f} ms per interaction")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    linearity()
    with tempfile.TemporaryDirectory() as tmp:
        ours, yaml_path = Path(tmp) / "ours.json", Path(tmp) / "vcrpy.yaml"
        pairs = _pairs(args.n)
        ours.write_text(render_interactions(pairs, SecretBook(from_environment=False)))
        plain = vcr.VCR(record_mode="all", match_on=("method", "uri", "body"))
        from vcr.persisters.filesystem import FilesystemPersister
        from vcr.serializers import yamlserializer

        FilesystemPersister.save_cassette(
            str(yaml_path),
            {"requests": [p[0] for p in _pairs(args.n)], "responses": [p[1] for p in _pairs(args.n)]},
            yamlserializer,
        )
        times: dict[str, list[float]] = {"ours": [], "vcrpy-yaml": []}
        for _ in range(args.rounds):
            times["ours"].append(_replay(use_cassette(ours), args.n))
            plain = vcr.VCR(record_mode="none", match_on=("method", "uri", "body"))
            times["vcrpy-yaml"].append(_replay(plain.use_cassette(str(yaml_path)), args.n))
        best = {name: min(values) for name, values in times.items()}
        size = {"ours": ours.stat().st_size, "vcrpy-yaml": yaml_path.stat().st_size}
    print(f"{args.n} interactions, best of {args.rounds} rounds (load + replay through IdClassifyClient)")
    for name in ("ours", "vcrpy-yaml"):
        print(f"  {name:<11} {best[name]:8.3f} s  {size[name] / 1024:9.1f} KiB")
    print(f"  time ratio vcrpy-yaml / ours: {best['vcrpy-yaml'] / best['ours']:.2f}x")
    print(f"  size ratio vcrpy-yaml / ours: {size['vcrpy-yaml'] / size['ours']:.2f}x")


if __name__ == "__main__":
    main()
