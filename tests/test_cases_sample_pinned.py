"""The gate's default seeded sample ships as data: equal to a fresh draw, read without Hypothesis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pytest_idclassify._schemagen import stale_files, write_generated
from pytest_idclassify.cases import Case, fixed_cases, gate_cases, sampled_cases
from pytest_idclassify.cases._sample import PINNED_FILE, case_from_json, case_to_json, draw_sample, pinned_sample
from pytest_idclassify.strategies import invalid_requests, valid_requests


def _round_trip(case: Case) -> Case:
    return case_from_json(json.loads(json.dumps(case_to_json(case))))


def test_the_pinned_sample_is_the_draw_it_stands_for() -> None:
    pinned = pinned_sample()
    assert pinned is not None and len(pinned) == 8
    assert list(pinned) == draw_sample(0, 8)
    assert sampled_cases() == list(pinned)
    assert [case.id for case in gate_cases()[-8:]] == [case.id for case in pinned]


def test_every_fixed_case_survives_the_round_trip() -> None:
    # Raw bytes, relations, headers, URL images with and without an image, every auth variant.
    for case in fixed_cases():
        again = _round_trip(case)
        assert again == case and again.describe() == case.describe()


@given(st.one_of(valid_requests(), invalid_requests()))
def test_every_drawn_case_survives_the_round_trip(case: Case) -> None:
    assert _round_trip(case) == case


def test_other_seeds_and_sizes_are_still_drawn() -> None:
    assert sampled_cases(seed=1, sample=8) == draw_sample(1, 8) != list(pinned_sample() or ())
    assert sampled_cases(seed=0, sample=3) == draw_sample(0, 3)


CHILD = (
    "import sys; from pytest_idclassify.cases import gate_cases; cases = gate_cases(seed={seed}); "
    "print(len(cases), 'hypothesis' in sys.modules)"
)


def test_collecting_the_default_gate_starts_no_hypothesis() -> None:
    quiet = subprocess.run([sys.executable, "-c", CHILD.format(seed=0)], capture_output=True, text=True, check=True)
    assert quiet.stdout.split()[1] == "False"
    # The observation can fail: another seed draws, and Hypothesis is loaded.
    drawn = subprocess.run([sys.executable, "-c", CHILD.format(seed=4)], capture_output=True, text=True, check=True)
    assert drawn.stdout.split() == [quiet.stdout.split()[0], "True"]


def test_a_stale_pinned_sample_fails_the_generated_files_check(tmp_path: Path) -> None:
    write_generated(tmp_path)
    assert stale_files(tmp_path) == {}
    copy = tmp_path / PINNED_FILE.relative_to(PINNED_FILE.parents[2])
    document = json.loads(copy.read_text(encoding="utf-8"))
    document["cases"][0]["label"] = "s0.0-edited-by-hand"
    copy.write_text(json.dumps(document, indent=1), encoding="utf-8")
    assert list(stale_files(tmp_path)) == [copy]
