"""Where the documented tables and the generated schemas live, in a checkout and in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def schemas_dir() -> Path:
    """Return the folder holding the generated schemas and ``source/`` tables.

    A wheel carries them inside the package (``_data/schemas``); a source checkout or an
    editable install reads the repository's ``schemas/`` folder.
    """
    packaged = _PACKAGE / "_data" / "schemas"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "schemas"


def cassettes_dir() -> Path:
    """Return the folder of the shipped cassettes (the gate profile and the API page's examples)."""
    packaged = _PACKAGE / "_data" / "cassettes"
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / "cassettes"


def source_dir() -> Path:
    """Return the folder of the documented tables (``schemas/source``)."""
    return schemas_dir() / "source"


def checkout_root() -> Path | None:
    """Return the source checkout's root when running from one, else ``None``."""
    root = _PACKAGE.parent
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "pytest-idclassify"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None
