"""Cassettes nested too deeply: one line naming the file, the other files still processed, no traceback.

A file nested deeper than any recording is refused by ``idclassify cassettes lint``, ``scrub``,
``diff`` and ``idclassify serve --replay`` in one message; ``scrub`` goes on to scrub the files
after it.  A shallow file whose body holds deeply nested JSON is a recording like any other: its
body is handled as text.  The files are real ones in ``tmp_path``; the commands run in a fresh
interpreter, as a user runs them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_child import IDCLASSIFY

from pytest_idclassify._serve import free_port
from pytest_idclassify.cassettes import diff_cassettes, lint_cassettes, scrub_cassette
from pytest_idclassify.client import DEFAULT_MAX_JSON_DEPTH, json_too_deep

EXAMPLES = Path(__file__).parent.parent / "cassettes" / "examples" / "api-page-examples.json"
TOKEN = "MIIcassetteCANARY-token-" + "q7" * 20
#: Far past Python's recursion limit (about 1,000), as a hand-made or corrupted file may be.
VERY_DEEP = 100_000
#: Within what Python's parser reads, past what the tools could walk level by level afterwards.
PARSEABLE_DEEP = 600
TOO_DEEP = "too deeply nested to be a recording"
#: A command that takes longer than this hangs, whatever the machine's load.
GUARD_SECONDS = 120


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _deep_cassette(depth: int = VERY_DEEP) -> str:
    """The shipped examples with a field nested ``depth`` levels added to the first answer's body."""
    text = EXAMPLES.read_text(encoding="utf-8")
    at = text.index('"result"')
    return text[:at] + f'"zz": {_nested(depth)}, ' + text[at:]


def _leaky_cassette() -> str:
    """The shipped examples with the first request's token in clear."""
    doc = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    doc["interactions"][0]["request"]["headers"]["X-Auth-Token"] = TOKEN
    return json.dumps(doc, indent=1)


def _run(*args: str, cwd: Path) -> tuple[int, str]:
    done = subprocess.run([*IDCLASSIFY, *args], cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=GUARD_SECONDS)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "a_deep.json").write_text(_deep_cassette(), encoding="utf-8")
    (folder / "b_leaky.json").write_text(_leaky_cassette(), encoding="utf-8")
    return folder


def test_scrub_names_the_deep_file_and_still_scrubs_the_files_after_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    deep_before = (folder / "a_deep.json").read_bytes()
    code, output = _run("cassettes", "scrub", str(folder), cwd=tmp_path)
    assert code == 1 and "Traceback" not in output, output
    (line,) = [line for line in output.splitlines() if "a_deep.json" in line]
    assert line.startswith("error: ") and TOO_DEEP in line, output
    assert "1 file(s) could not be scrubbed" in output, output
    assert TOKEN not in (folder / "b_leaky.json").read_text(encoding="utf-8"), "the file after it was scrubbed"
    assert (folder / "a_deep.json").read_bytes() == deep_before, "the file it could not read is left as it was"


def test_lint_reports_the_deep_file_in_one_line_and_lints_the_others(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    code, output = _run("cassettes", "lint", str(folder), cwd=tmp_path)
    assert code == 1 and "Traceback" not in output, output
    (deep,) = [line for line in output.splitlines() if "a_deep.json" in line]
    assert "error format: nests arrays and objects more than" in deep and TOO_DEEP in deep, output
    assert any("b_leaky.json#1: error secret." in line for line in output.splitlines()), output
    assert output.splitlines()[-1].startswith("2 cassette(s): "), output


def test_diff_with_a_deep_file_is_one_error_naming_it(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    code, output = _run("cassettes", "diff", str(folder / "a_deep.json"), str(EXAMPLES), cwd=tmp_path)
    assert code == 1 and "Traceback" not in output, output
    assert output.strip().splitlines() == [line for line in output.strip().splitlines() if line.startswith("Error:")]
    assert "a_deep.json" in output and TOO_DEEP in output, output


def test_serve_replaying_a_deep_file_is_a_usage_error_before_it_listens(tmp_path: Path) -> None:
    folder = tmp_path / "replay"
    folder.mkdir()
    (folder / "a_deep.json").write_text(_deep_cassette(), encoding="utf-8")
    code, output = _run("serve", "--port", str(free_port()), "--replay", str(folder), cwd=tmp_path)
    assert code == 2 and "Traceback" not in output, output
    assert "Error: --replay: " in output and "a_deep.json" in output and TOO_DEEP in output, output
    assert "endpoint:" not in output, "refused before the banner"


def test_a_yaml_file_nested_by_indentation_is_one_line_in_lint_and_scrub(tmp_path: Path) -> None:
    # YAML nests by indentation too, where no bracket shows the depth.
    folder = tmp_path / "recordings"
    folder.mkdir()
    lines = ["version: 1", "interactions:", *("  " * level + "a:" for level in range(1, 3000))]
    (folder / "a_deep.yaml").write_text("\n".join(lines) + " 1\n", encoding="utf-8")
    (folder / "b_leaky.json").write_text(_leaky_cassette(), encoding="utf-8")
    for command in ("lint", "scrub"):
        code, output = _run("cassettes", command, str(folder), cwd=tmp_path)
        assert code == 1 and "Traceback" not in output, output
        assert len([line for line in output.splitlines() if "a_deep.yaml" in line]) == 1, output
        # PyYAML's own message spans lines ("exceeded maximum nesting depth", "  in ..."): told on one.
        assert not [line for line in output.splitlines() if line.startswith((" ", "exceeded"))], output
    assert TOKEN not in (folder / "b_leaky.json").read_text(encoding="utf-8")


def _vcrpy_doc(response_body: str) -> dict[str, Any]:
    """A plain vcrpy cassette of one exchange whose answer is ``response_body``."""
    return {
        "version": 1,
        "interactions": [{
            "request": {"method": "POST", "uri": "http://127.0.0.1:8/v2/p1/ocr/auto-id-doc-classification",
                        "body": '{"data":"aGVsbG8="}', "headers": {"Content-Type": ["application/json"]}},
            "response": {"status": {"code": 400, "message": "Bad Request"},
                         "headers": {"Content-Type": ["application/json"]}, "body": {"string": response_body}},
        }],
    }  # fmt: skip


def _error_answer(depth: int) -> str:
    """An error answer whose ``d`` field nests ``depth`` levels (the object itself is one more)."""
    return '{"error_code":"AIS.0101","error_msg":"The input parameter is invalid.","d":' + _nested(depth) + "}"


def _write(form: str, path: Path, depth: int) -> Path:
    if form == "own-format-text-body":
        doc = json.loads(EXAMPLES.read_text(encoding="utf-8"))
        doc["interactions"][1]["response"]["body"] = {"text": _error_answer(depth)}
        path = path.with_suffix(".json")
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    elif form == "vcrpy-json":
        path = path.with_suffix(".json")
        path.write_text(json.dumps(_vcrpy_doc(_error_answer(depth))), encoding="utf-8")
    else:
        path = path.with_suffix(".yaml")
        path.write_text(yaml.safe_dump(_vcrpy_doc(_error_answer(depth))), encoding="utf-8")
    return path


def _stored_bodies(path: Path) -> list[dict[str, Any]]:
    return [item["response"]["body"] for item in json.loads(path.read_text(encoding="utf-8"))["interactions"]]


@pytest.mark.parametrize("form", ["own-format-text-body", "vcrpy-json", "vcrpy-yaml"])
def test_a_deeply_nested_body_in_a_shallow_file_is_handled_as_text(form: str, tmp_path: Path) -> None:
    path = _write(form, tmp_path / "deep_body", PARSEABLE_DEEP)
    assert not [f for f in lint_cassettes([path]) if f.rule == "format" and TOO_DEEP in f.message]
    assert diff_cassettes(path, path) == []
    scrub_cassette(path)
    deep_body = _stored_bodies(path)[-1]
    assert list(deep_body) == ["text"] and deep_body["text"].startswith('{"error_code":"AIS.0101"')
    # The redaction policy walks 200 levels of a body and hides what lies deeper; a replay still
    # gives an answer nested past the client's bound.
    assert json_too_deep(deep_body["text"].encode("utf-8"), DEFAULT_MAX_JSON_DEPTH)
    assert scrub_cassette(path, check=True) is False, "idempotent"
    assert diff_cassettes(path, path) == []


@pytest.mark.parametrize("form", ["vcrpy-json", "vcrpy-yaml"])
def test_a_body_nested_as_deep_as_the_bound_is_stored_as_json(form: str, tmp_path: Path) -> None:
    # The harmless variant: nested as deep as the client's default bound, a body is JSON as ever.
    path = _write(form, tmp_path / "within", DEFAULT_MAX_JSON_DEPTH - 1)
    scrub_cassette(path)
    (body,) = _stored_bodies(path)
    assert list(body) == ["json"] and body["json"]["error_code"] == "AIS.0101"
    assert not [f for f in lint_cassettes([path]) if f.rule == "format"]
    assert diff_cassettes(path, path) == []


@pytest.mark.parametrize("form", ["vcrpy-json", "vcrpy-yaml"])
def test_a_body_nested_one_level_past_the_bound_is_stored_as_text(form: str, tmp_path: Path) -> None:
    path = _write(form, tmp_path / "past", DEFAULT_MAX_JSON_DEPTH)
    scrub_cassette(path)
    (body,) = _stored_bodies(path)
    assert body == {"text": _error_answer(DEFAULT_MAX_JSON_DEPTH)}
    assert not [f for f in lint_cassettes([path]) if f.rule == "format"]


def test_the_shipped_examples_are_read_as_before(tmp_path: Path) -> None:
    copy = tmp_path / "examples.json"
    copy.write_text(EXAMPLES.read_text(encoding="utf-8"), encoding="utf-8")
    assert lint_cassettes([copy]) == []
    assert scrub_cassette(copy, check=True) is False
    assert diff_cassettes(EXAMPLES, copy) == []
