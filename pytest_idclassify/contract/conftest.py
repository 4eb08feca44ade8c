"""Parametrise the contract suite with the profile's cases (the pytest plugin provides the fixtures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_idclassify.suite import SuiteConfig

if TYPE_CHECKING:
    from pytest_idclassify.calibration import Calibration

#: where the shipped recordings of the gate profile live, under the shipped cassettes folder.
GATE_CASSETTES = "gate"


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
    from pytest_idclassify.cassettes import cassette_path, use_cassette

    directory = config.cassette_dir or cassettes_dir() / GATE_CASSETTES
    # The file name comes from the test's own name, not its node id, which depends on the rootdir.
    test_id = f"{Path(str(request.node.path)).name}::{request.node.name}"
    hint = (f"idclassify verify --record-mode rewrite --cassette-dir {directory} -k '{request.node.callspec.id}'"
            if hasattr(request.node, "callspec") else None)  # fmt: skip
    with use_cassette(cassette_path(directory, test_id), record_mode=config.record_mode, rerecord_hint=hint):
        yield
