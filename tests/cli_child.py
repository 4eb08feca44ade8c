"""Run the ``idclassify`` console entry point in a fresh interpreter and see what it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pytest_idclassify.cli import program

IDCLASSIFY = program()
#: ``idclassify verify`` in a fresh interpreter (see :func:`pytest_idclassify.cli.program`).
VERIFY = [*IDCLASSIFY, "verify"]

# The console script's own entry point, in a fresh interpreter; its exit code and the modules
# loaded go to a file (the command's own output is left to the caller).
CHILD = """
import json, sys
from pytest_idclassify.cli import run
try:
    run(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def run_cli(report: Path, *args: str, cwd: Path | None = None) -> tuple[int, set[str], str]:
    """Run ``idclassify ARGS``; return its exit code, the modules it loaded (``sys.modules``) and its output."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(report), *args], cwd=cwd, capture_output=True, text=True)
    result = json.loads(report.read_text())
    return result["code"], set(result["modules"]), done.stdout + done.stderr
