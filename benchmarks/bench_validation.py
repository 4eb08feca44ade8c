"""Validating 10,000 responses: the compiled, reused validator against jsonschema.validate each time.

Run: python benchmarks/bench_validation.py [N]   (N defaults to 10,000)
Both paths validate the same bodies in the same run; the ratio is what to read (machines are noisy).
"""

from __future__ import annotations

import copy
import random
import sys
import time

import jsonschema

from pytest_idclassify.validation import compiled_validator, load_schema, validate_response

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
EXAMPLE = {
    "result": {
        "type": "id_card",
        "location": [[275, 125], [860, 165], [916, 634], [255, 633]],
        "confidence": 0.979,
        "alarm_result": {k: False for k in (
            "detect_blur_result", "detect_glare_result", "detect_blocking_within_border_result",
            "detect_insufficient_lighting_result", "detect_copy_result", "detect_border_integrity_result",
            "detect_reproduce_result")},
        "alarm_confidence": {k: 0 for k in (
            "blur_score", "glare_score", "blocking_within_border_score", "insufficient_lighting_score",
            "copy_score", "border_integrity_score", "reproduce_score")},
    }
}  # fmt: skip


def bodies() -> list[dict[str, object]]:
    rng = random.Random(7)
    out = []
    for _ in range(N):
        body = copy.deepcopy(EXAMPLE)
        body["result"]["confidence"] = round(rng.random(), 3)  # type: ignore[index]
        body["result"]["alarm_confidence"]["blur_score"] = rng.randint(0, 99)  # type: ignore[index]
        out.append(body)
    return out


def main() -> None:
    data = bodies()
    schema = load_schema("response-alarm.schema.json")
    compiled_validator("response-alarm.schema.json")  # compile outside the timing, as a run does once

    start = time.perf_counter()
    for body in data:
        compiled_validator("response-alarm.schema.json").validate(body)
    compiled = time.perf_counter() - start

    start = time.perf_counter()
    for body in data:
        jsonschema.validate(body, schema)
    naive = time.perf_counter() - start

    start = time.perf_counter()
    for body in data:
        validate_response(body, status=200, request={"alarm": True}, alarm_threshold=100)
    full = time.perf_counter() - start

    print(f"{N:,} responses, response-alarm.schema.json")
    print(f"  compiled validator, reused:      {compiled * 1e3:8.1f} ms  ({compiled / N * 1e6:6.1f} us each)")
    print(f"  jsonschema.validate each time:   {naive * 1e3:8.1f} ms  ({naive / N * 1e6:6.1f} us each)")
    print(f"  validate_response (all clauses): {full * 1e3:8.1f} ms  ({full / N * 1e6:6.1f} us each)")
    print(f"  ratio jsonschema.validate / compiled: {naive / compiled:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
