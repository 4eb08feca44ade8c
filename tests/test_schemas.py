import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from pytest_idclassify._schemagen import build_openapi, build_schemas, stale_files
from pytest_idclassify.cases._sample import PINNED_FILE
from pytest_idclassify.catalogue import catalogue
from pytest_idclassify.cli import main

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ["request.schema.json", "response.schema.json", "response-alarm.schema.json", "error.schema.json"]


@pytest.mark.parametrize("name", GENERATED)
def test_each_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_openapi_document_passes_a_real_validator() -> None:
    document = json.loads((ROOT / "schemas" / "openapi.json").read_text(encoding="utf-8"))
    validate_openapi(document)
    op = document["paths"]["/v2/{project_id}/ocr/auto-id-doc-classification"]["post"]
    assert set(op["responses"]) == {"200", "400", "401", "403", "413", "429", "500"}
    assert set(document["components"]["securitySchemes"]) == {"token", "aksk"}


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_every_constraining_keyword_traces_to_a_row_and_a_clause() -> None:
    known = catalogue()
    documents = [*build_schemas().values(), build_openapi()]
    for document in documents:
        for node in _walk(document):
            for keyword, clause_id in node.get("x-clauses", {}).items():
                assert clause_id in known, (keyword, clause_id)
                if keyword in node:
                    assert "x-source" in node, node
            for keyword in ("enum", "maximum", "minimum", "maxLength", "pattern", "minItems"):
                if keyword in node and "x-clauses" in node:
                    assert keyword in node["x-clauses"], (keyword, node.get("x-source"))


def test_committed_generated_files_are_fresh() -> None:
    assert stale_files(ROOT) == {}


def test_check_fails_with_a_readable_diff_when_stale(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "docs" / "reference").mkdir(parents=True)
    for page in ("clauses.md", "options.md"):
        shutil.copy(ROOT / "docs" / "reference" / page, tmp_path / "docs" / "reference" / page)
    pinned = tmp_path / PINNED_FILE.relative_to(ROOT)
    pinned.parent.mkdir(parents=True)
    shutil.copy(PINNED_FILE, pinned)
    runner = CliRunner()
    assert runner.invoke(main, ["schemas", "check", "--root", str(tmp_path)]).exit_code == 0
    target = tmp_path / "schemas" / "error.schema.json"
    target.write_text(target.read_text(encoding="utf-8").replace('"error_msg"', '"error_message"'), encoding="utf-8")
    result = runner.invoke(main, ["schemas", "check", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert '-      "error_message"' in result.output or '-    "error_message"' in result.output
    assert "run `idclassify schemas build`" in result.output
    build = runner.invoke(main, ["schemas", "build", "--root", str(tmp_path)])
    assert build.exit_code == 0 and "wrote schemas/error.schema.json" in build.output
    assert runner.invoke(main, ["schemas", "check", "--root", str(tmp_path)]).exit_code == 0


def test_request_schema_encodes_the_documented_rules() -> None:
    validator = Draft202012Validator(build_schemas()["request.schema.json"])
    assert validator.is_valid({"data": "/9j/4AAQ", "alarm": True})
    assert validator.is_valid({"url": "https://BucketName.obs.myhuaweicloud.com/ObjectName", "alarm": True})
    assert not validator.is_valid({"data": "a", "url": "b"})
    assert not validator.is_valid({"alarm": True})
    assert not validator.is_valid({"data": "a", "alarm": "yes"})
    assert not validator.is_valid({"url": "https://example.com/身份证.jpg"})
    assert validator.is_valid({"url": "https://example.com/%E8%BA%AB.jpg"})
