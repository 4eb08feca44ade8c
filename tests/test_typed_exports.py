"""A type checker sees every public name of every package, and a misspelt one as an error.

The packages that load their names on first use do it with a module ``__getattr__`` (PEP 562);
were it visible to mypy, any name imported from them, a misspelt one included, would pass as Any.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from test_exported_members import PUBLIC

mypy_api = pytest.importorskip("mypy.api")

#: the packages with a module ``__getattr__``: a misspelt name must still be an error in each.
LAZY = [name for name in PUBLIC if hasattr(importlib.import_module(name), "_LAZY")]


def test_mypy_knows_every_exported_name_and_refuses_a_misspelt_one(tmp_path: Path) -> None:
    assert len(LAZY) >= 5, LAZY  # the packages whose start-up stays light
    known = []
    for index, name in enumerate(PUBLIC):
        known.append(f"import {name} as m{index}")
        known += [f"m{index}.{member}" for member in importlib.import_module(name).__all__]
    (tmp_path / "known.py").write_text("\n".join(known) + "\n")
    misspelt = [f"from {name} import {importlib.import_module(name).__all__[0]}_misspelt as name{index}"
                for index, name in enumerate(LAZY)]  # fmt: skip
    (tmp_path / "misspelt.py").write_text("\n".join(misspelt) + "\n")
    out, err, status = mypy_api.run([
        "--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), "--follow-imports", "silent",
        str(tmp_path / "known.py"), str(tmp_path / "misspelt.py")])  # fmt: skip
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1, out + err
    # Every error is a misspelt name, one per lazily loading package; none is a real public name.
    assert all(line.startswith(str(tmp_path / "misspelt.py")) for line in errors), out
    assert len(errors) == len(LAZY), out
    assert all("has no attribute" in line for line in errors), out
