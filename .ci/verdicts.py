"""Per-clause verdicts of the gate (emulator and replay targets) and the mutation self-test, saved and compared.

    python .ci/verdicts.py snapshot OUT.json   # run all three, write their per-clause results
    python .ci/verdicts.py compare A.json B.json   # exit 1 and list every clause whose result differs

A change meant to make the toolkit faster must leave every verdict as it was: run ``snapshot``
before and after, then ``compare``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_idclassify.cli import program

ROOT = Path(__file__).resolve().parent.parent


def _gate(target: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [*program(), "verify", "--report-json", str(report)]
        if target != "emulator":
            command += ["--target", target]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if not report.is_file():
            raise SystemExit(f"verify --target {target} wrote no report:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        document = json.loads(report.read_text(encoding="utf-8"))
    verdicts = {}
    for verdict in sorted(document["clauses"], key=lambda v: str(v["id"])):
        violations = sorted({(v.get("clause"), v.get("pointer")) for v in verdict.get("violations", [])}, key=str)
        verdicts[verdict["id"]] = {"status": verdict["status"], "violations": [list(v) for v in violations]}
    cases = {record["case"]: {"outcome": record["outcome"], "exercised": sorted(record.get("exercised", []))}
             for record in document["cases"]}  # fmt: skip
    return {"exit": done.returncode, "clauses": verdicts, "cases": cases}


def _mutation() -> dict[str, object]:
    test = "tests/test_suite_mutation.py::test_every_mutant_is_killed_by_a_declared_clause"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-s", test]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ})
    lines = re.findall(r"^\s+(killed|SURVIVED)\s+(\S+?):? (?:by (\S+) in (\S+)|.*)$", done.stdout, re.M)
    return {"exit": done.returncode, "mutants": {name: [kind, clause] for kind, name, clause, _ in lines}}


def snapshot(out: Path) -> None:
    """Run the three and write their results to ``out``."""
    result = {"emulator": _gate("emulator"), "replay": _gate("replay"), "mutation": _mutation()}
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    for name in ("emulator", "replay"):
        statuses: dict[str, int] = {}
        for verdict in result[name]["clauses"].values():  # type: ignore[attr-defined]
            statuses[verdict["status"]] = statuses.get(verdict["status"], 0) + 1
        print(f"{name}: exit {result[name]['exit']}, {statuses}")
    mutants = result["mutation"]["mutants"]  # type: ignore[index]
    print(f"mutation: exit {result['mutation']['exit']}, {sum(v[0] == 'killed' for v in mutants.values())}/"
          f"{len(mutants)} killed")  # fmt: skip


def compare(before: Path, after: Path) -> int:
    """Print every difference between two snapshots; return 1 when there is one."""
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    differences = []
    for name in ("emulator", "replay"):
        if a[name]["exit"] != b[name]["exit"]:
            differences.append(f"{name}: exit {a[name]['exit']} -> {b[name]['exit']}")
        for part in ("clauses", "cases"):
            for key in sorted(set(a[name][part]) | set(b[name][part])):
                x, y = a[name][part].get(key), b[name][part].get(key)
                if x != y:
                    differences.append(f"{name}: {key}: {x} -> {y}")
    if a["mutation"]["exit"] != b["mutation"]["exit"]:
        differences.append(f"mutation: exit {a['mutation']['exit']} -> {b['mutation']['exit']}")
    for name in sorted(set(a["mutation"]["mutants"]) | set(b["mutation"]["mutants"])):
        x, y = a["mutation"]["mutants"].get(name), b["mutation"]["mutants"].get(name)
        if (x or [None])[0] != (y or [None])[0]:
            differences.append(f"mutation: {name}: {x} -> {y}")
        elif x != y:
            # The hunt tries the quickest cases first, so which declared clause kills first follows timing.
            print(f"note: mutant {name} killed by {x[1]} before, {y[1]} after (both declared)")  # type: ignore[index]
    print("\n".join(differences) or "no verdict changed")
    return 1 if differences else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        snapshot(Path(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        raise SystemExit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        raise SystemExit(__doc__)
