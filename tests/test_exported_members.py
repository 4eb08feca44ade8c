import importlib

import pytest

PUBLIC = ["pytest_idclassify", "pytest_idclassify.catalogue", "pytest_idclassify.validation"]


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and getattr(v, "__module__", "").startswith("pytest_idclassify")
        and not isinstance(v, type(importlib))
    }
    assert public <= set(exported), public - set(exported)
    for n in exported:
        assert getattr(module, n).__doc__ or not callable(getattr(module, n)), n
