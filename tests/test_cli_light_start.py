"""``idclassify image`` of a flat image imports only what it uses: no numpy, Pillow or OpenCV."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_child import run_cli

from pytest_idclassify.images import probe

HEAVY = ("numpy", "PIL", "cv2", "hypothesis", "httpx", "jsonschema", "jsonschema_rs", "starlette", "vcr")


def _run(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    code, loaded, _ = run_cli(tmp_path / "modules.json", "image", *args)
    return code, loaded


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


@pytest.mark.parametrize(("typed", "meant"), [("verfy", "verify"), ("serv", "serve"), ("cassetes", "cassettes")])
def test_a_misspelt_subcommand_is_suggested_without_loading_any(tmp_path: Path, typed: str, meant: str) -> None:
    code, modules, output = run_cli(tmp_path / "report.json", typed)
    assert code == 2
    assert f"No such command '{typed}'. Did you mean '{meant}'?" in output
    assert not {m for m in modules if m.startswith("pytest_idclassify.cli._")}, "a subcommand's module was loaded"


def test_an_unknown_subcommand_far_from_any_gets_no_suggestion(tmp_path: Path) -> None:
    code, _modules, output = run_cli(tmp_path / "report.json", "zzz")
    assert code == 2 and "No such command 'zzz'." in output and "Did you mean" not in output
