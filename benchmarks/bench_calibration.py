"""Calibration and the tiers: what they cost next to the gate they ride on, measured side by side.

Three measurements against one in-process reference emulator, in the same run:

* the gate: every gate case through ``check_case`` (the baseline);
* a calibration: ``observe`` over the assumed-choice cases, then writing and reading the file back
  (reported as a ratio to the gate: the calibration runs a subset, so it should be well under 1);
* the run-level threshold check over the gate's alarm answers, repeated to make a whole run of
  records 100 times over (reported per alarm answer and as a ratio to the gate's time per case).

Run: ``python benchmarks/bench_calibration.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pytest_idclassify.calibration import calibration_cases, load_calibration, observe
from pytest_idclassify.cases import gate_cases
from pytest_idclassify.suite import SuiteConfig, check_case, open_target
from pytest_idclassify.validation import AlarmAnswer, alarm_pairs, run_violations

REPEAT = 100


def main() -> None:
    cases = gate_cases(seed=0, sample=8)
    answers: list[AlarmAnswer] = []
    with open_target(SuiteConfig()) as target:
        started = time.perf_counter()
        for case in cases:
            exchanges = [target.send(call) for call in case.calls]
            check_case(case, exchanges)
            answers += [AlarmAnswer(case.id, e.outcome.request_id, p) for e in exchanges
                        if (p := alarm_pairs(e.outcome.body))]  # fmt: skip
        gate = time.perf_counter() - started

        chosen = calibration_cases(cases)
        started = time.perf_counter()
        calibration, _ = observe(target, chosen)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "calibration.toml"
            calibration.write(path)
            load_calibration(path)
        calibrate = time.perf_counter() - started

    many = answers * REPEAT
    started = time.perf_counter()
    assert run_violations(many) == []
    check = time.perf_counter() - started

    print(f"gate: {len(cases)} cases in {gate:.2f} s ({gate / len(cases) * 1000:.1f} ms per case)")
    print(f"calibration: {len(chosen)} cases, {len(calibration.entries)} entries, file written and read back, "
          f"in {calibrate:.2f} s; ratio to the gate {calibrate / gate:.2f}")  # fmt: skip
    per_answer = check / len(many) * 1e6
    print(f"run-level threshold check: {len(many)} alarm answers in {check * 1000:.1f} ms ({per_answer:.2f} us each); "
          f"ratio of a whole run's check to one gate case {check / REPEAT / (gate / len(cases)):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
