"""A gate run pays only for what it uses: no Hypothesis engine, no OpenCV in a replay, nothing left in the folder."""

from __future__ import annotations

from pathlib import Path

from cli_child import run_cli


def test_a_replayed_gate_run_draws_nothing_and_decodes_nothing(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    code, loaded, output = run_cli(tmp_path / "modules.json", "verify", "--target", "replay", "-k", "base64", cwd=work)
    assert code == 0, output[-3000:]
    # The gate's sample is pinned data and the cassettes answer: neither an engine nor a decoder is needed.
    assert sorted(loaded & {"hypothesis", "cv2", "numpy", "PIL", "starlette", "uvicorn"}) == []
    assert list(work.iterdir()) == []


def test_verify_loads_no_conftest_of_the_project_it_runs_in(tmp_path: Path) -> None:
    # A project's own tests/conftest.py belongs to its pytest runs, not to the contract suite's.
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("raise RuntimeError('the project conftest was loaded')\n")
    (tmp_path / "conftest.py").write_text("raise RuntimeError('the top conftest was loaded')\n")
    code, _, output = run_cli(tmp_path / "modules.json", "verify", "--target", "replay", "-k", "base64", cwd=tmp_path)
    assert code == 0, output[-3000:]
