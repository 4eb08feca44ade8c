"""A gate run pays only for what it uses: no Hypothesis engine, no OpenCV in a replay, nothing left in the folder.

Its start-up is also kept out of the garbage collector's walks, in its own processes only.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_child import VERIFY, run_cli


def test_a_replayed_gate_run_draws_nothing_and_decodes_nothing(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    code, loaded, output = run_cli(tmp_path / "modules.json", "verify", "--target", "replay", "-k", "base64", cwd=work)
    assert code == 0, output[-3000:]
    # The gate's sample is pinned data and the cassettes answer: neither an engine nor a decoder is needed,
    # nor, with every answer conforming, the validator that explains a violation, nor the in-process
    # transport's event-loop thread, nor, opening no connection, httpcore (which imports trio where it is installed).
    unused = {
        "hypothesis",
        "cv2",
        "numpy",
        "PIL",
        "starlette",
        "uvicorn",
        "jsonschema",
        "anyio.from_thread",
        "httpcore",
    }
    assert sorted(loaded & unused) == []
    assert list(work.iterdir()) == []


def test_verify_loads_no_conftest_of_the_project_it_runs_in(tmp_path: Path) -> None:
    # A project's own tests/conftest.py belongs to its pytest runs, not to the contract suite's.
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("raise RuntimeError('the project conftest was loaded')\n")
    (tmp_path / "conftest.py").write_text("raise RuntimeError('the top conftest was loaded')\n")
    code, _, output = run_cli(tmp_path / "modules.json", "verify", "--target", "replay", "-k", "base64", cwd=tmp_path)
    assert code == 0, output[-3000:]


# Loaded into each process of a run by PYTEST_ADDOPTS: notes, per test, whether the cyclic garbage
# collector runs and how many objects it has been told to leave alone, and at the end of each
# process's session whether it imported httpx.
_PROBE = """
import gc, json, os, sys

def _note(**fields):
    with open(os.environ["PROBE_OUT"], "a") as out:
        out.write(json.dumps({"pid": os.getpid(), "worker": os.environ.get("PYTEST_XDIST_WORKER"), **fields}) + "\\n")

def pytest_runtest_logreport(report):
    if report.when == "setup":
        _note(enabled=gc.isenabled(), frozen=gc.get_freeze_count())

def pytest_sessionfinish(session):
    _note(httpx="httpx" in sys.modules)
"""


def _probed(tmp_path: Path, command: list[str]) -> list[dict[str, object]]:
    (tmp_path / "run_probe.py").write_text(_PROBE)
    out = tmp_path / "probe.jsonl"
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "PYTEST_ADDOPTS": "-p run_probe", "PROBE_OUT": str(out)}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return [json.loads(line) for line in out.read_text().splitlines()]


def _heap_states(tmp_path: Path, command: list[str]) -> list[dict[str, object]]:
    return [note for note in _probed(tmp_path, command) if "enabled" in note]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "two-workers"])
def test_verify_keeps_its_start_up_out_of_the_collector_yet_collects(tmp_path: Path, workers: list[str]) -> None:
    states = _heap_states(tmp_path, [*VERIFY, "--target", "replay", "-k", "base64", *workers])
    # Under pytest-xdist the controller hears of every test too, from the workers' reports.
    assert {state["worker"] for state in states} == ({None, "gw0", "gw1"} if workers else {None})
    # While the cases run the collector is on (cycles the tests make are freed), and what the process
    # built before them is frozen out of its walks.
    assert all(state["enabled"] and int(str(state["frozen"])) > 10_000 for state in states), states


def test_a_users_pytest_session_keeps_the_collector_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text("def test_nothing():\n    pass\n")
    states = _heap_states(tmp_path, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"])
    assert [(state["enabled"], state["frozen"]) for state in states] == [(True, 0)]


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """Whatever a test does to the garbage collector, the rest of this process gets it back as it was."""
    was_enabled = gc.isenabled()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("enabled", [True, False], ids=["collector-on", "collector-off"])
@pytest.mark.parametrize(
    ("arguments", "exit_code"),
    [
        # The pre-flight refuses the URL while pytest configures, before the session starts.
        (["verify", "--base-url", "127.0.0.1:8080", "--project-id", "p1"], pytest.ExitCode.USAGE_ERROR),
        # A whole run, whose session froze what was alive.
        (["verify", "--target", "replay", "-k", "request.data.base64-max"], pytest.ExitCode.OK),
    ],
    ids=["stopped-before-the-session", "whole-run"],
)
def test_verify_within_another_process_leaves_its_collector_as_it_was(
    collector_restored: None, enabled: bool, arguments: list[str], exit_code: int
) -> None:
    from click.testing import CliRunner

    from pytest_idclassify.cli import main

    assert gc.get_freeze_count() == 0
    if not enabled:
        gc.disable()
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == exit_code, result.output[-2000:]
    assert (gc.isenabled(), gc.get_freeze_count()) == (enabled, 0), result.output[-2000:]


def test_the_controller_of_a_run_on_workers_never_imports_httpx(tmp_path: Path) -> None:
    # It sends nothing (the workers do), so its start-up, which the workers wait for, loads no HTTP stack.
    ends = [note for note in _probed(tmp_path, [*VERIFY, "-k", "base64-max", "-n", "2"]) if "httpx" in note]
    assert sorted((note["worker"] or "controller", note["httpx"]) for note in ends) == [
        ("controller", False), ("gw0", True), ("gw1", True)]  # fmt: skip
