"""Recognition metrics over a labelled folder written by `idclassify specimens`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pytest_idclassify.cli import main
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.suite._metrics import Metrics, Sample, corner_error, folder_samples

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def specimen_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("specimens")
    result = CliRunner().invoke(main, ["specimens", "-o", str(folder), "--width", "480", "--height", "320"])
    assert result.exit_code == 0, result.output
    return folder


def test_specimens_command_writes_images_and_labels(specimen_folder: Path) -> None:
    labels = json.loads((specimen_folder / "labels.json").read_text(encoding="utf-8"))
    assert len(labels["images"]) == 9
    first = labels["images"][0]
    assert (specimen_folder / first["file"]).read_bytes()[:2] == b"\xff\xd8"
    assert len(first["location"]) == 4 and not any(first["alarms"].values())
    assert [s.doc_type for s in folder_samples(specimen_folder)] == [e["type"] for e in labels["images"]]


def test_bad_labels_name_the_entry_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"holds no labels\.json: write one"):
        folder_samples(tmp_path)
    (tmp_path / "labels.json").write_text('{"images": [{"file": "missing.jpg", "type": "passport"}]}')
    with pytest.raises(ConfigurationError, match=r"entry 1 names 'missing.jpg', which is not in"):
        folder_samples(tmp_path)
    (tmp_path / "labels.json").write_text('{"images": [{"type": "passport"}]}')
    with pytest.raises(ConfigurationError, match="entry 1 needs 'file' and 'type' strings"):
        folder_samples(tmp_path)
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "labels.json").write_text('{"images": [{"file": "a.jpg", "type": "pasport"}]}')
    with pytest.raises(ConfigurationError, match="entry 1's type 'pasport' is not one the API answers: did you mean"):
        folder_samples(tmp_path)
    # A type far from the nine may be one the service answers; null alarms and location are not labelled.
    labels = '{"images": [{"file": "a.jpg", "type": "residence_permit", "alarms": null, "location": null}]}'
    (tmp_path / "labels.json").write_text(labels)
    assert [(s.doc_type, s.alarms, s.quad) for s in folder_samples(tmp_path)] == [("residence_permit", {}, None)]
    (tmp_path / "labels.json").unlink()
    (tmp_path / "labels.json").mkdir()
    with pytest.raises(ConfigurationError, match=r"labels\.json: cannot be read \(Is a directory\)"):
        folder_samples(tmp_path)


def test_metrics_arithmetic() -> None:
    metrics = Metrics()
    quad = ((0, 0), (10, 0), (10, 10), (0, 10))
    good = {"result": {"type": "passport", "location": [[0, 0], [13, 4], [10, 10], [0, 10]],
                       "alarm_result": {"detect_blur_result": True}}}  # fmt: skip
    metrics.add(Sample("a", b"", "passport", quad, {"detect_blur_result": True}), 200, good)
    metrics.add(Sample("b", b"", "id_card", None, {}), 200, {"result": {"type": "passport"}})
    metrics.add(Sample("c", b"", "id_card", None, {}), 400, {"error_code": "AIS.0105"})
    summary = metrics.summary()
    assert summary["accuracy"] == round(1 / 3, 4)
    assert summary["median_corner_error_px"] == corner_error(quad, good["result"]["location"]) == 1.25
    assert summary["alarm_agreement"] == {"detect_blur_result": 1.0}
    assert metrics.confusion["id_card"] == {"passport": 1, "(error)": 1}


def test_metrics_run_reports_figures_and_fails_only_under_a_threshold(
    pytester: pytest.Pytester, specimen_folder: Path
) -> None:
    base = ["--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "metrics",
            f"--idclassify-metrics={specimen_folder}"]  # fmt: skip
    result = pytester.runpytest(*base)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["recognition metrics: samples=9, accuracy=*"])
    # One label made wrong: the emulator is right about that image, so accuracy drops to 8/9.
    mislabelled = pytester.path / "mislabelled"
    shutil.copytree(specimen_folder, mislabelled)
    labels = json.loads((mislabelled / "labels.json").read_text(encoding="utf-8"))
    labels["images"][0]["type"] = next(t for t in ("passport", "id_card") if t != labels["images"][0]["type"])
    (mislabelled / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    failing = pytester.runpytest(
        *base[:-1], f"--idclassify-metrics={mislabelled}", "--idclassify-metrics-threshold=0.95"
    )
    failing.assert_outcomes(failed=1)
    failing.stdout.fnmatch_lines(["type accuracy 0.8889 is below the threshold 0.95: *"])
    assert "def test_recognition_metrics" not in failing.stdout.str(), "the figures, not a traceback"
    refused = pytester.runpytest(*base, "--idclassify-metrics-threshold=1.01")
    assert refused.ret != 0 and "--idclassify-metrics-threshold is 1.01" in refused.stderr.str() + refused.stdout.str()
