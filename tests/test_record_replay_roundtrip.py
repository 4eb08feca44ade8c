"""Record from a served target, replay with nothing listening: the recording's verdicts, exactly.

The recorded target (an emulator on a real port, reached through ``--base-url`` with a token only)
cannot run every case: AK/SK, expired-token and URL cases are skipped while recording.  The replay
must skip them for the same reasons rather than miss, and give every other case its recorded verdict.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_child import VERIFY
from click.testing import CliRunner

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.cassettes import use_cassette
from pytest_idclassify.cli import main
from pytest_idclassify.client import ClientConfig, IdClassifyClient
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.emulator._settings import DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from pytest_idclassify.errors import CassetteMissError


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with serve_in_thread(create_app(EmulatorSettings())) as url:
        yield url


def _verify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDCLASSIFY_", "CLOUD_SDK_"))}
    return subprocess.run([*VERIFY, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=900,
                          env={**env, "IDCLASSIFY_TOKEN": DEFAULT_TOKEN})  # fmt: skip


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {clause["id"]: clause["status"] for clause in report["clauses"]}


def _outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {case["case"]: case["outcome"] for case in report["cases"]}


def test_a_recording_from_a_base_url_replays_offline_with_its_verdicts(served: str, tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    recorded = _verify("--base-url", served, "--project-id", DEFAULT_PROJECT_ID, "--cassette-dir", str(folder),
                       "--record-mode", "once", "--report-json", "recorded.json", cwd=tmp_path)  # fmt: skip
    assert recorded.returncode == 0, recorded.stdout[-3000:]
    replayed = _verify("--target", "replay", "--cassette-dir", str(folder), "--report-json", "replayed.json",
                       cwd=tmp_path)  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout[-3000:]
    assert "CassetteMissError" not in replayed.stdout
    before = json.loads((tmp_path / "recorded.json").read_text(encoding="utf-8"))
    after = json.loads((tmp_path / "replayed.json").read_text(encoding="utf-8"))
    assert _verdicts(after) == _verdicts(before)
    assert _outcomes(after) == _outcomes(before)
    skipped = [c for c in before["cases"] if c["outcome"] == "skipped"]
    assert skipped, "the recorded target cannot run every case: some are skipped while recording"
    reasons = {c["case"]: c["skip_reason"] for c in after["cases"] if c["outcome"] == "skipped"}
    assert reasons == {c["case"]: c["skip_reason"] for c in skipped}
    passed = [c for c in before["cases"] if c["outcome"] == "passed"]
    assert f"{len(passed)} passed" in recorded.stdout and f"{len(passed)} passed" in replayed.stdout
    # Step 3 of the CI guide: what is committed lints clean, skips recorded as skips included.
    lint = CliRunner().invoke(main, ["cassettes", "lint", str(folder)])
    assert lint.exit_code == 0, lint.output


def test_the_miss_hint_of_use_cassette_names_what_re_records_it(served: str, tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    config = ClientConfig(endpoint=served, project_id=DEFAULT_PROJECT_ID, token=DEFAULT_TOKEN)
    with use_cassette(path, record_mode="once"), IdClassifyClient(config) as client:
        client.classify(url="https://example.invalid/a.jpg")
    replay = ClientConfig(endpoint="http://127.0.0.1:9", project_id=DEFAULT_PROJECT_ID, token=DEFAULT_TOKEN)
    with use_cassette(path), IdClassifyClient(replay, retry=None) as client, pytest.raises(CassetteMissError) as miss:
        client.classify(url="https://example.invalid/b.jpg")
    hint = f"use_cassette({str(path)!r}, record_mode='rewrite')"
    assert hint in str(miss.value)
    # Doing what the hint says re-records the cassette, after which the new request replays.
    with use_cassette(path, record_mode="rewrite"), IdClassifyClient(config) as client:
        client.classify(url="https://example.invalid/b.jpg")
    with use_cassette(path), IdClassifyClient(replay, retry=None) as client:
        assert client.classify(url="https://example.invalid/b.jpg").status == 400


def test_an_unreadable_cassette_is_its_case_s_error_in_one_message(tmp_path: Path) -> None:
    from pytest_idclassify._paths import cassettes_dir

    folder = tmp_path / "cassettes"
    shutil.copytree(cassettes_dir() / "gate", folder)
    broken = next(folder.rglob("test_clause[[]request.image.side-min[[]png-15x64]].json"))
    broken.write_text('{"broken', encoding="utf-8")
    done = _verify("--target", "replay", "--cassette-dir", str(folder), "-k", "side-min", cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    # Once where the error is told, and once more in the summary line when the terminal does not cut it.
    assert 1 <= output.count(f"cassette {broken} is not JSON") <= 2, output[-3000:]
    assert "re-record it or restore it from version control" in output
    # The message alone: no traceback of the fixture that read the file, nor an exception chained to it.
    assert "def _idclassify_cassette" not in output and "another exception occurred" not in output
    assert "1 error" in output and "25 passed" in output
