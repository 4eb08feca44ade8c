"""A gate run pays only for what it uses: no Hypothesis engine, no OpenCV in a replay, nothing left in the folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# The console script's entry point in a fresh interpreter; its exit code and the modules loaded go to a file.
CHILD = """
import json, sys
from pytest_idclassify.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def test_a_replayed_gate_run_draws_nothing_and_decodes_nothing(tmp_path: Path) -> None:
    report = tmp_path / "modules.json"
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-c", CHILD, str(report), "verify", "--target", "replay", "-k", "base64"],
                          cwd=work, capture_output=True, text=True)  # fmt: skip
    result = json.loads(report.read_text())
    assert result["code"] == 0, done.stdout[-2000:] + done.stderr[-2000:]
    loaded = {name.split(".")[0] for name in result["modules"]}
    # The gate's sample is pinned data and the cassettes answer: neither an engine nor a decoder is needed.
    assert sorted(loaded & {"hypothesis", "cv2", "numpy", "PIL", "starlette", "uvicorn"}) == []
    assert list(work.iterdir()) == []


def test_verify_loads_no_conftest_of_the_project_it_runs_in(tmp_path: Path) -> None:
    # A project's own tests/conftest.py belongs to its pytest runs, not to the contract suite's.
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("raise RuntimeError('the project conftest was loaded')\n")
    (tmp_path / "conftest.py").write_text("raise RuntimeError('the top conftest was loaded')\n")
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "modules.json"), "verify", "--target", "replay",
                           "-k", "base64"], cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert json.loads((tmp_path / "modules.json").read_text())["code"] == 0, done.stdout[-2000:] + done.stderr[-2000:]
