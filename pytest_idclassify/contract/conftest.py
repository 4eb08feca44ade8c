"""Parametrise the contract suite with the profile's cases (the pytest plugin provides the fixtures)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_idclassify.suite import SuiteConfig

if TYPE_CHECKING:
    from pytest_idclassify.calibration import Calibration

#: where the shipped recordings of the gate profile live, under the shipped cassettes folder.
GATE_CASSETTES = "gate"


def _keep_hypothesis_out_of_the_working_directory() -> None:
    """Point Hypothesis's storage (its charmap cache) at a temporary folder for this run.

    The gate profile keeps no example database, yet Hypothesis would create ``.hypothesis/`` in the
    working directory for its caches.  A user who chose a place (``HYPOTHESIS_STORAGE_DIRECTORY``),
    or whose project already has the folder, keeps it; the explore profile names its own database.
    """
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or Path(".hypothesis").exists():
        return
    home = tempfile.mkdtemp(prefix="idclassify-hypothesis-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    if "hypothesis" in sys.modules:
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(home)
    else:
        # Hypothesis reads the variable when it first stores something; importing it only to set the
        # folder would cost most of a second in every run that never draws (the gate's sample is data).
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = home


_keep_hypothesis_out_of_the_working_directory()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every ``idclassify_case`` test one parameter per case of the gate profile."""
    if "idclassify_case" in metafunc.fixturenames:
        from pytest_idclassify.cases import gate_cases
        from pytest_idclassify.plugin import _suite_config

        config = _suite_config(metafunc.config)
        cases = gate_cases(seed=config.seed, sample=config.sample)
        metafunc.parametrize("idclassify_case", cases, ids=[case.id for case in cases])


@pytest.fixture(scope="session")
def idclassify_calibration(idclassify_config: SuiteConfig) -> Calibration | None:
    """The calibration the run holds the target to (--idclassify-calibration), or None."""
    if idclassify_config.calibration is None:
        return None
    from pytest_idclassify.calibration import load_calibration

    return load_calibration(idclassify_config.calibration)


@pytest.fixture(autouse=True)
def _idclassify_cassette(request: pytest.FixtureRequest, idclassify_config: SuiteConfig) -> Iterator[None]:
    """Replay (or record) each contract test from its own cassette when the run asks for cassettes."""
    config = idclassify_config
    if config.target != "replay" and config.record_mode == "none":
        yield
        return
    from pytest_idclassify._paths import cassettes_dir
    from pytest_idclassify.cassettes import cassette_path, record_skip, recorded_skip, use_cassette
    from pytest_idclassify.errors import CassetteError
    from pytest_idclassify.report import PROPERTY, RENDERING_PROPERTY
    from pytest_idclassify.suite import skipped_record

    directory = config.cassette_dir or cassettes_dir() / GATE_CASSETTES
    # The file name comes from the test's own name, not its node id, which depends on the rootdir.
    test_id = f"{Path(str(request.node.path)).name}::{request.node.name}"
    path = cassette_path(directory, test_id)
    case = getattr(request.node, "callspec", None) and request.node.callspec.params.get("idclassify_case")
    with contextlib.ExitStack() as stack:
        unreadable = None
        cassette = None
        try:
            if config.record_mode == "none" and case is not None:
                skipped = recorded_skip(path)
                if skipped is not None:
                    # The recorded target could not run this case: replay gives the recording's verdict, a skip.
                    request.node.user_properties.append((PROPERTY, skipped_record(case, skipped)))
                    pytest.skip(f"{skipped} (while recording)")
            # The suite's client is httpx's: only its transports need the cassette's patches.
            hint = _rerecord_hint(request, config, directory)
            cassette = stack.enter_context(use_cassette(path, record_mode=config.record_mode, rerecord_hint=hint,
                                                        libraries=("httpx",)))  # fmt: skip
        except CassetteError as exc:
            unreadable = str(exc)
        if unreadable is not None:
            # This case's error in the cassette's own words, not a traceback of this fixture.
            pytest.fail(unreadable, pytrace=False)
        yield
        changed = getattr(cassette, "rendered_differently", None)
        if changed:
            request.node.user_properties.append((RENDERING_PROPERTY, {k: sorted(v) for k, v in changed.items()}))
    if config.record_mode != "none":
        for name, value in request.node.user_properties:
            if name == PROPERTY and value.get("outcome") == "skipped" and value.get("skip_cause") == "target":
                record_skip(path, value["skip_reason"])


def _rerecord_hint(request: pytest.FixtureRequest, config: SuiteConfig, directory: Path) -> str | None:
    """The command that re-records this case's cassette, in the words of the interface that ran it."""
    if not hasattr(request.node, "callspec"):
        return None
    words = config.interface
    command = "idclassify verify" if words.prefix == "--" else "pytest --pyargs pytest_idclassify.contract"
    return (f"re-record it from the target it was recorded from: {command} {words.flag('base-url')} URL "
            f"{words.flag('record-mode')} rewrite {words.flag('cassette-dir')} {directory} "
            f"-k '{request.node.callspec.id}' (without the base URL for the embedded emulator)")  # fmt: skip
