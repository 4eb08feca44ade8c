"""The shipped cassettes: the gate profile replays from them with the emulator's verdicts, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pytest_idclassify._paths import cassettes_dir
from pytest_idclassify.cli import main

pytest_plugins = ["pytester"]


def _verdicts(report: Path) -> dict[str, str]:
    return {c["id"]: c["status"] for c in json.loads(report.read_text(encoding="utf-8"))["clauses"]}


def test_the_gate_profile_replays_from_the_shipped_cassettes(pytester: pytest.Pytester, tmp_path: Path) -> None:
    # The fixed cases only: the seeded sample is drawn by Hypothesis, whose frequent releases may
    # change what a seed draws (recording then replaying the sample is the test below).
    result = pytester.runpytest(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "--idclassify-target=replay",
        "--idclassify-sample=0", f"--idclassify-report-json={tmp_path / 'replay.json'}",
    )  # fmt: skip
    result.assert_outcomes(passed=173, skipped=3)
    verdicts = _verdicts(tmp_path / "replay.json")
    assert "failed" not in verdicts.values()
    assert verdicts["request.image.side-min"] == verdicts["request.url.chinese-encoded"] == "passed"


def test_the_shipped_cassettes_lint_clean() -> None:
    result = CliRunner().invoke(main, ["cassettes", "lint", str(cassettes_dir())])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


@pytest.mark.slow
def test_recording_then_replaying_gives_the_emulators_verdicts(pytester: pytest.Pytester, tmp_path: Path) -> None:
    base = ["--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "request.image or request.url",
            f"--idclassify-cassette-dir={tmp_path / 'cassettes'}"]  # fmt: skip
    live = pytester.runpytest(*base, "--idclassify-record-mode=once", f"--idclassify-report-json={tmp_path / 'a.json'}")
    replay = pytester.runpytest(*base, "--idclassify-target=replay", f"--idclassify-report-json={tmp_path / 'b.json'}")
    assert live.ret == replay.ret == pytest.ExitCode.OK
    assert _verdicts(tmp_path / "a.json") == _verdicts(tmp_path / "b.json")
    # Only the suite's own calls are recorded: the emulator's URL downloads happen in its process.
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "cassettes").rglob("*.json")]
    assert texts and not any('"method": "GET"' in text for text in texts)


def _cassettes_drawn_otherwise(tmp_path: Path, rendered_with: dict[str, str]) -> Path:
    """A copy of one case's shipped cassette whose image another rendering drew: other bytes, the same recipe."""
    name = "test_clause[cross.alarm.default-false[alarm-omitted]].json"
    copy = tmp_path / "cassettes" / "test_contract" / name
    copy.parent.mkdir(parents=True)
    document = json.loads((cassettes_dir() / "gate" / "test_contract" / name).read_text(encoding="utf-8"))
    data = document["interactions"][0]["request"]["body"]["json"]["data"]
    data.update(sha256="0" * 64, length=data["length"] + 1, rendered_with=rendered_with)
    copy.write_text(json.dumps(document), encoding="utf-8")
    return copy.parent.parent


def _replay(pytester: pytest.Pytester, cassettes: Path, report: Path) -> pytest.RunResult:
    return pytester.runpytest("--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider",
                              "--idclassify-target=replay", f"--idclassify-cassette-dir={cassettes}",
                              "-k", "cross.alarm.default-false", f"--idclassify-report-json={report}")  # fmt: skip


def test_a_recording_drawn_by_another_opencv_replays_by_recipe_and_the_summary_says_so(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # The shipped cassettes noted no OpenCV: a release that sets the specimen's text apart must not fail the gate.
    cassettes = _cassettes_drawn_otherwise(tmp_path, {"Pillow": "9.5.0", "numpy": "1.26.0"})
    result = _replay(pytester, cassettes, tmp_path / "r.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "NOTE 1 image recipe replayed by recipe, not by bytes: drawn with *Pillow * (recorded: 9.5.0)*; "
            "re-record the cassettes to keep today's digests"
        ]
    )
    meta = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["meta"]
    (change,) = meta["rendered_differently"]
    assert "(recorded: 9.5.0)" in change and "OpenCV" in change  # absent from the recording: named as changed
    assert meta["rendered_differently"][change] == ["jpeg 640x400 specimen:passport@0"]


def test_a_recording_the_same_libraries_drew_otherwise_still_misses(pytester: pytest.Pytester, tmp_path: Path) -> None:
    from pytest_idclassify.images._libraries import rendering_libraries

    cassettes = _cassettes_drawn_otherwise(tmp_path, rendering_libraries())
    result = _replay(pytester, cassettes, tmp_path / "r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*although the rendering libraries are the same*the recipe's renderer changed*"])
    assert "rendered_differently" not in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["meta"]
