"""Validating N conforming responses: validate_response against compiled validators of the same schema.

Side by side on the same bodies: fastjsonschema and jsonschema-rs (compiled yes/no checks),
jsonschema's compiled validator reused, jsonschema.validate each time (re-checks the meta-schema),
and validate_response with every clause.  The goal: validate_response <= 3x fastjsonschema.

Run: python benchmarks/bench_validation.py [N]   (N defaults to 5,000)
"""

from __future__ import annotations

import copy
import random
import sys
import time

import fastjsonschema
import jsonschema
import jsonschema_rs
from _ratio import best_of, report

from pytest_idclassify.validation import compiled_validator, load_schema, validate_response

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
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

    # Pure-Python jsonschema takes 40 times fastjsonschema's time: a tenth of the bodies is enough.
    tenth = data[: max(1, N // 10)]
    start = time.perf_counter()
    for body in tenth:
        compiled_validator("response-alarm.schema.json").validate(body)
    compiled = (time.perf_counter() - start) * len(data) / len(tenth)

    fast = fastjsonschema.compile(schema)
    fastest = best_of(lambda: [fast(body) for body in data])

    rust = jsonschema_rs.validator_for(schema)
    start = time.perf_counter()
    for body in data:
        rust.is_valid(body)
    rs = time.perf_counter() - start

    # The meta-schema check each call makes this one slow: a hundredth of the bodies is enough.
    sample = data[: max(1, N // 100)]
    start = time.perf_counter()
    for body in sample:
        jsonschema.validate(body, schema)
    naive = (time.perf_counter() - start) * len(data) / len(sample)

    # The two compared in the goal: best of three, interleaved, so a burst of load hits both alike.
    full = best_of(
        lambda: [validate_response(b, status=200, request={"alarm": True}, alarm_threshold=100) for b in data]
    )
    fastest = min(fastest, best_of(lambda: [fast(body) for body in data]))

    print(f"{N:,} responses, response-alarm.schema.json")
    print(
        f"  compiled validator, reused:      {compiled * 1e3:8.1f} ms"
        f"  ({compiled / N * 1e6:6.1f} us each, from a tenth)"
    )
    print(
        f"  jsonschema.validate each time:   {naive * 1e3:8.1f} ms  ({naive / N * 1e6:6.1f} us each, from a hundredth)"
    )
    print(f"  fastjsonschema, compiled:        {fastest * 1e3:8.1f} ms  ({fastest / N * 1e6:6.1f} us each)")
    print(f"  jsonschema-rs, compiled:         {rs * 1e3:8.1f} ms  ({rs / N * 1e6:6.1f} us each)")
    print(f"  validate_response (all clauses): {full * 1e3:8.1f} ms  ({full / N * 1e6:6.1f} us each)")
    print(f"  ratio jsonschema.validate / compiled: {naive / compiled:.1f}x")
    report("`validate_response` on a conforming answer / fastjsonschema on the same schema", full / fastest, 3.0,
           detail=f"{full / N * 1e6:.1f} us vs {fastest / N * 1e6:.1f} us each (jsonschema-rs {rs / N * 1e6:.1f} us, "
           f"jsonschema compiled {compiled / N * 1e6:.1f} us), {N} bodies")  # fmt: skip


if __name__ == "__main__":
    main()
