import json
import shutil
from pathlib import Path

import pytest
from cli_child import IDCLASSIFY

from pytest_idclassify._paths import source_dir
from pytest_idclassify._tables import TABLE_FILES, load_tables
from pytest_idclassify.errors import TableError


@pytest.fixture
def tables_copy(tmp_path: Path) -> Path:
    target = tmp_path / "source"
    shutil.copytree(source_dir(), target)
    return target


def test_every_documented_table_loads_with_its_rows() -> None:
    tables = load_tables()
    assert [r.name for r in tables["Table 3"].rows] == ["data", "url", "alarm"]
    assert len(tables["Table 6"].rows) == 7
    assert len(tables["Table 7"].rows) == 7
    assert tables["Table 5"].row("type").constraints["enum"][-1] == "id_card"
    assert tables.error("AIS.0103").message == "The image size does not meet the requirements."
    assert tables.error("APIG.0201", "Request entity too large.").status == 413


def test_missing_table_file_names_the_file(tables_copy: Path) -> None:
    (tables_copy / TABLE_FILES["Table 5"]).unlink()
    with pytest.raises(TableError, match=r"table-5-result\.json is missing"):
        load_tables(tables_copy)


def test_malformed_json_names_file_line_and_column(tables_copy: Path) -> None:
    (tables_copy / TABLE_FILES["Table 3"]).write_text('{"table": "Table 3",\n "rows": [}', encoding="utf-8")
    with pytest.raises(TableError, match=r"table-3-request-body\.json: not valid JSON at line 2"):
        load_tables(tables_copy)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("type", "Str", r"row 2 \(url\) has type 'Str'"),
        ("mandatory", "no", r"row 2 \(url\) field 'mandatory' is 'no'; expected bool"),
        ("constraints", {"max_len": 3}, r"row 2 \(url\) has unknown constraints \['max_len'\]"),
    ],
)
def test_malformed_row_names_file_and_row(tables_copy: Path, field: str, value: object, message: str) -> None:
    path = tables_copy / TABLE_FILES["Table 3"]
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["rows"][1][field] = value
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(TableError, match=message):
        load_tables(tables_copy)


def test_row_without_a_field_names_it(tables_copy: Path) -> None:
    path = tables_copy / "error-codes.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    del raw["rows"][2]["status"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(TableError, match=r"error-codes\.json: row 3 \(AIS\.0103\) has no 'status' field"):
        load_tables(tables_copy)


def test_generator_reports_a_broken_table_without_a_traceback(tmp_path: Path) -> None:
    """A checkout whose table is broken: the command names the file and row, and exits 1."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(
        root / "pytest_idclassify",
        tmp_path / "pytest_idclassify",
        ignore=shutil.ignore_patterns("__pycache__", "_data"),
    )
    shutil.copytree(root / "schemas", tmp_path / "schemas")
    shutil.copy(root / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "schemas" / "source" / TABLE_FILES["Table 7"]
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["rows"][0]["type"] = "Int"
    path.write_text(json.dumps(raw), encoding="utf-8")
    result = subprocess.run(
        [*IDCLASSIFY, "schemas", "check"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "table-7-alarm-confidence.json: row 1 (blur_score) has type 'Int'" in result.stderr
    assert "Traceback" not in result.stderr
