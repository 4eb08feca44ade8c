"""The client package exports every public name of its private modules, each documented."""

from __future__ import annotations

import importlib
import pkgutil

import pytest_idclassify.client as client


def test_all_lists_every_public_name_of_the_private_modules() -> None:
    defined: set[str] = set()
    for info in pkgutil.iter_modules(client.__path__):
        if info.name == "_canonical":
            # The signing steps are reached through AkSkAuth.canonical_request and verify_aksk.
            continue
        module = importlib.import_module(f"{client.__name__}.{info.name}")
        defined |= {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and getattr(value, "__module__", None) == module.__name__
            and (callable(value) or isinstance(value, type))
        }
    assert defined <= set(client.__all__), sorted(defined - set(client.__all__))
    assert len(client.__all__) == len(set(client.__all__))


def test_every_export_is_documented() -> None:
    for name in client.__all__:
        value = getattr(client, name)
        if callable(value):
            assert value.__doc__ and value.__doc__.strip(), name
