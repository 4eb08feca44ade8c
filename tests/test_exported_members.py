import importlib

import pytest

PUBLIC = [
    "pytest_idclassify",
    "pytest_idclassify.calibration",
    "pytest_idclassify.cases",
    "pytest_idclassify.cassettes",
    "pytest_idclassify.catalogue",
    "pytest_idclassify.client",
    "pytest_idclassify.emulator",
    "pytest_idclassify.images",
    "pytest_idclassify.redaction",
    "pytest_idclassify.report",
    "pytest_idclassify.strategies",
    "pytest_idclassify.suite",
    "pytest_idclassify.validation",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_complete_and_documented(name: str) -> None:
    # The order of __all__ is ruff's (RUF022: constants, classes, then functions, each sorted).
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(set(exported)) == len(exported)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and getattr(v, "__module__", "").startswith("pytest_idclassify")
        and not isinstance(v, type(importlib))
    }
    assert public <= set(exported), public - set(exported)
    # A package that loads its names on first use lists them apart: each must be exported too.
    lazy = set(getattr(module, "_LAZY", {}))
    assert lazy <= set(exported), lazy - set(exported)
    for n in exported:
        assert getattr(module, n).__doc__ or not callable(getattr(module, n)), n
