"""The gate profile is the same in every process, whatever modules happen to be loaded there."""

from __future__ import annotations

import subprocess
import sys

DIGEST = (
    "import hashlib; from pytest_idclassify.cases import gate_cases; "
    "print(hashlib.sha256(repr([(c.id, c.describe()) for c in gate_cases(seed=3, sample=8)]).encode()).hexdigest())"
)


def test_the_seeded_sample_does_not_depend_on_the_modules_loaded() -> None:
    plain = subprocess.run([sys.executable, "-c", DIGEST], capture_output=True, text=True, check=True).stdout
    # The command line, the plugin and the emulator add local modules whose constants Hypothesis
    # would otherwise mix into its draws.
    loaded = "import pytest_idclassify.cli._verify, pytest_idclassify.emulator, pytest_idclassify.plugin; " + DIGEST
    busy = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True, check=True).stdout
    assert plain == busy


def test_the_seeded_sample_does_not_depend_on_what_hypothesis_drew_before() -> None:
    # Hypothesis caches its pool of constants process-wide, local modules' constants included: a
    # test that drew from the same strategies earlier must not change what the gate draws later.
    warmed = (
        "import pytest_idclassify.cli._verify, pytest_idclassify.plugin\n"
        "from hypothesis import given, settings, strategies as st\n"
        "from pytest_idclassify.strategies import invalid_requests, valid_requests\n"
        "@settings(max_examples=150, database=None)\n"
        "@given(st.one_of(valid_requests(), invalid_requests()))\n"
        "def warm(case): pass\n"
        "warm()\n" + DIGEST.replace("; ", "\n")
    )
    plain = subprocess.run([sys.executable, "-c", DIGEST], capture_output=True, text=True, check=True).stdout
    busy = subprocess.run([sys.executable, "-c", warmed], capture_output=True, text=True, check=True).stdout
    assert plain == busy
