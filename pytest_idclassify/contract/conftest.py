"""Parametrise the contract suite with the profile's cases (the pytest plugin provides the fixtures)."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give every ``idclassify_case`` test one parameter per case of the gate profile."""
    if "idclassify_case" in metafunc.fixturenames:
        from pytest_idclassify.cases import gate_cases
        from pytest_idclassify.plugin import _suite_config

        config = _suite_config(metafunc.config)
        cases = gate_cases(seed=config.seed, sample=config.sample)
        metafunc.parametrize("idclassify_case", cases, ids=[case.id for case in cases])
