"""``idclassify image`` of a flat image imports only what it uses: no numpy, Pillow or OpenCV."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_idclassify.images import probe

HEAVY = ("numpy", "PIL", "cv2", "hypothesis", "httpx", "jsonschema", "jsonschema_rs", "starlette", "vcr")

# The console script's own entry point, in a fresh interpreter; the modules loaded go to a file.
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


def _run(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    report = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", CHILD, str(report), "image", *args], check=True, capture_output=True)
    result = json.loads(report.read_text())
    return result["code"], {name.split(".")[0] for name in result["modules"]}


@pytest.mark.parametrize("fmt", ["jpeg", "bmp", "tiff", "png", "gif"])
def test_a_flat_image_at_the_largest_side_needs_no_numpy_or_pillow(tmp_path: Path, fmt: str) -> None:
    output = tmp_path / f"flat.{fmt}"
    code, loaded = _run(tmp_path, "--format", fmt, "--width", "8192", "--height", "8192", "-o", str(output))
    assert code == 0
    assert sorted(loaded & set(HEAVY)) == []
    info = probe(output.read_bytes())
    assert (info.format, info.width, info.height) == ({"jpeg": "jpeg"}.get(fmt, fmt), 8192, 8192)


def test_padding_a_flat_image_to_an_exact_base64_length_stays_light(tmp_path: Path) -> None:
    output = tmp_path / "padded.b64"
    code, loaded = _run(tmp_path, "--format", "png", "--width", "15", "--height", "8192", "--pad-base64-to",
                        "10000000", "--base64", "-o", str(output))  # fmt: skip
    assert code == 0 and len(output.read_text()) == 10_000_000
    assert sorted(loaded & set(HEAVY)) == []


def test_pixel_content_still_loads_what_it_needs(tmp_path: Path) -> None:
    # The observation can fail: a grey image goes through Pillow, and the child reports it.
    code, loaded = _run(tmp_path, "--format", "png", "--mode", "grey", "-o", str(tmp_path / "grey.png"))
    assert code == 0
    assert {"numpy", "PIL"} <= loaded
