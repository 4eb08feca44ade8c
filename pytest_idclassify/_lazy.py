"""Public names loaded on first use (PEP 562), so importing a package stays cheap."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a package's ``__getattr__`` and ``__dir__`` serving each name from the module ``modules`` maps it to.

    A package assigns them under ``if not typing.TYPE_CHECKING:`` and imports the same names under
    ``if typing.TYPE_CHECKING:``.  Type checkers that saw a module ``__getattr__`` would accept any
    name imported from the package, a misspelt one included, as ``Any``.  The name must be spelt
    ``TYPE_CHECKING`` (or ``typing.TYPE_CHECKING``): mypy does not recognise an alias of it.
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        if name in modules:
            value = getattr(importlib.import_module(modules[name]), name)
            namespace[name] = value  # loaded once: later lookups never come back here
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__
