"""The built wheel carries the documented tables and the generated schemas, and works without the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_installed_wheel_reads_its_own_schemas_and_tables(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)  # fmt: skip
    wheel = next(dist.glob("pytest_idclassify-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("response-alarm.schema.json", "openapi.json", "source/table-3-request-body.json",
                     "source/error-codes.json", "source/sentences.json"):  # fmt: skip
        assert f"pytest_idclassify/_data/schemas/{required}" in names
    assert "pytest_idclassify/contract/pytest.ini" in names
    assert "pytest_idclassify/redaction/names.txt" in names, "the redaction names are data shipped in the wheel"
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    probe = (
        "import pytest_idclassify, pytest_idclassify._paths as p; from pytest_idclassify.validation import "
        "validate_response; from pytest_idclassify.catalogue import catalogue; "
        "print(p.schemas_dir()); print(len(catalogue())); "
        "print(validate_response({'error_code': 'AIS.0103', 'error_msg': 'x'}, status=400)[0].clause)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target)},
                            capture_output=True, text=True, check=True)  # fmt: skip
    schemas_dir, count, clause_id = result.stdout.split()
    assert schemas_dir == str(target / "pytest_idclassify" / "_data" / "schemas")
    assert int(count) >= 100
    assert clause_id == "error.AIS.0103"
