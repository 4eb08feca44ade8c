"""ImageRecipe: validation, printing, determinism, specimens, the public package and the CLI."""

from __future__ import annotations

import base64
import importlib
import io
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from pytest_idclassify.cli import main
from pytest_idclassify.errors import ImageSpecError
from pytest_idclassify.images import DOCUMENT_TYPES, ImageRecipe, probe, render_scene


def test_str_is_the_documented_summary() -> None:
    assert str(ImageRecipe("png", 15, 8192, pad_base64=10_000_000)) == "png 15x8192 flat#808080 pad=b64:10000000"
    recipe = ImageRecipe("jpg", 640, 400, content="specimen", doc_type="passport", seed=3,
                         degradations={"blur": 0.7}, exif_orientation=6)  # type: ignore[arg-type]  # fmt: skip
    assert str(recipe) == "jpeg 640x400 specimen:passport@3[blur=0.7] exif=6"
    noisy = ImageRecipe(
        "tiff", 9, 9, content="noise", seed=2, mode="cmyk", corruption="truncated", base64_variant="mime"
    )
    assert str(noisy) == "tiff 9x9 noise@2 mode=cmyk corrupt=truncated b64=mime"


def test_recipes_are_frozen_and_hashable() -> None:
    one = ImageRecipe("bmp", 10, 12, colour=(1, 2, 3))
    two = ImageRecipe("bmp", 10, 12, colour=(1, 2, 3))
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    with pytest.raises(AttributeError):
        one.width = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "recipe",
    [
        ImageRecipe("png", 33, 21, content="noise", seed=5),
        ImageRecipe("jpeg", 33, 21, content="noise", seed=5, mode="cmyk"),
        ImageRecipe("tiff", 33, 21, content="noise", seed=5, mode="grey16"),
        ImageRecipe("gif", 33, 21, content="noise", seed=5),
        ImageRecipe("webp", 33, 21, content="noise", seed=5),
        ImageRecipe("bmp", 33, 21, content="noise", seed=5, mode="palette", pad_bytes=5000),
        ImageRecipe("jpeg", 8192, 15, exif_orientation=8, pad_base64=40_003, base64_variant="data-uri-jpeg"),
        ImageRecipe("png", 33, 21, corruption="corrupt-data"),
    ],
    ids=str,
)
def test_same_recipe_same_bytes(recipe: ImageRecipe) -> None:
    assert recipe.render() == recipe.render()
    assert recipe.to_base64() == ImageRecipe(**vars(recipe)).to_base64()


def test_noise_seeds_differ() -> None:
    assert ImageRecipe(content="noise", seed=1).render() != ImageRecipe(content="noise", seed=2).render()


def test_padding_targets_are_exact() -> None:
    assert len(ImageRecipe("gif", 20, 20, pad_bytes=10_000).render()) == 10_000
    recipe = ImageRecipe("jpeg", 20, 20, pad_base64=20_001, base64_variant="trailing-newline")
    assert len(recipe.to_base64()) == 20_001 and recipe.to_base64().endswith("\n")


def test_modes_decode_as_declared() -> None:
    with Image.open(io.BytesIO(ImageRecipe("png", 8, 6, mode="grey16").render())) as image:
        assert image.mode == "I;16"
    with Image.open(io.BytesIO(ImageRecipe("jpeg", 8, 6, mode="cmyk").render())) as image:
        assert image.mode == "CMYK"
    with Image.open(io.BytesIO(ImageRecipe("png", 8, 6, mode="rgba").render())) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize("doc_type", DOCUMENT_TYPES)
def test_specimen_recipe_encodes_the_scene(doc_type: str) -> None:
    recipe = ImageRecipe("png", 320, 200, content="specimen", doc_type=doc_type, seed=4, degradations=(("blur", 0.3),))
    data = recipe.render()
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    pixels = decoded[..., ::-1]
    scene = render_scene(doc_type, width=320, height=200, seed=4, degradations={"blur": 0.3})
    assert (pixels == scene.pixels).all()  # PNG is lossless: the recipe carries the scene exactly
    assert probe(data).width == 320


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"width": 0}, "width=0"),
        ({"height": -3}, "height=-3"),
        ({"format": "heic"}, "format='heic'"),
        ({"format": "webp", "width": 20000}, "16383"),
        ({"content": "stripes"}, "content='stripes'"),
        ({"colour": (1, 2, 300)}, "colour="),
        ({"seed": -1}, "seed=-1"),
        ({"mode": "cmyk"}, "mode='cmyk' cannot be stored in png"),
        ({"mode": "hsv"}, "mode='hsv'"),
        ({"content": "specimen", "doc_type": "library_card", "width": 200, "height": 200}, "doc_type='library_card'"),
        ({"content": "specimen", "doc_type": "passport", "degradations": (("blur", 1.5),)}, r"\[0, 1\]"),
        ({"content": "specimen", "doc_type": "passport", "degradations": (("smudge", 0.5),)}, "smudge"),
        ({"content": "specimen", "doc_type": "passport", "width": 64}, r"\[128, 8192\]"),
        ({"doc_type": "passport"}, "only to content='specimen'"),
        ({"exif_orientation": 6}, "jpeg only"),
        ({"format": "jpeg", "exif_orientation": 9}, "exif_orientation=9"),
        ({"pad_bytes": 100, "pad_base64": 100}, "exclusive"),
        ({"pad_bytes": 0}, "pad_bytes=0"),
        ({"pad_base64": 10_000_001}, "10000000 or 10000004"),
        ({"format": "webp", "pad_bytes": 1000}, "webp"),
        ({"corruption": "melted"}, "corruption='melted'"),
        ({"base64_variant": "rot13"}, "base64_variant='rot13'"),
    ],
)
def test_bad_arguments_raise_image_spec_error_naming_them(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ImageSpecError, match=fragment):
        ImageRecipe(**kwargs)  # type: ignore[arg-type]


def test_padding_below_the_files_size_raises_at_render() -> None:
    with pytest.raises(ImageSpecError, match="smaller than this 94-byte png file, and padding only adds bytes"):
        ImageRecipe("png", 64, 64, pad_bytes=10).render()


def test_public_all_is_sorted_and_complete() -> None:
    module = importlib.import_module("pytest_idclassify.images")
    exported = module.__all__

    def ruff_order(name: str) -> tuple[int, str]:  # constants, then classes, then functions
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert exported == sorted(exported, key=ruff_order)
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not isinstance(v, type(importlib))}
    assert public - {"annotations"} <= set(exported)
    for name in exported:
        assert getattr(module, name).__doc__ or not callable(getattr(module, name)), name


def test_cli_writes_the_image_and_prints_the_recipe(tmp_path: Path) -> None:
    out = tmp_path / "tall.tiff"
    args = [
        "image",
        "--format",
        "tiff",
        "--width",
        "15",
        "--height",
        "8192",
        "--pad-base64-to",
        "100000",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "recipe: tiff 15x8192 flat#808080 pad=b64:100000" in result.output
    assert "base64: 100000 characters" in result.output
    assert len(base64.b64encode(out.read_bytes())) == 100_000
    assert probe(out.read_bytes()).height == 8192


def test_cli_specimen_as_base64(tmp_path: Path) -> None:
    out = tmp_path / "passport.b64"
    args = ["image", "--format", "jpg", "--width", "320", "--height", "200", "--specimen", "passport",
            "--degrade", "blur=0.7", "--seed", "3", "--base64", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "specimen:passport@3[blur=0.7]" in result.output
    assert probe(base64.b64decode(out.read_text())).format == "jpeg"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--width", "0"], "--width 0"),
        (["--specimen", "pasport"], "--specimen 'pasport' is not a document type"),
        (["--mode", "rgbb"], "--mode 'rgbb'"),
        (["--exif-orientation", "3"], "--exif-orientation applies to jpeg only, not png; set --format 'jpeg'"),
        (["--specimen", "passport", "--degrade", "blur=7"], "--degrade blur=7.0 is not a severity"),
        (["--format", "heic"], "heic"),
        (["--degrade", "blur=0.5"], "--specimen"),
        (["--specimen", "passport", "--width", "320", "--height", "200", "--degrade", "blur"], "NAME=SEVERITY"),
        (["--specimen", "passport", "--width", "320", "--height", "200", "--degrade", "blur=2"], "[0, 1]"),
        (["--colour", "red"], "six hex digits"),
        (["--pad-base64-to", "10000001"], "10000004"),
        (["--noise", "--specimen", "passport"], "exclusive"),
    ],
)
def test_cli_bad_arguments_are_clean_errors(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(main, ["image", *args, "-o", str(tmp_path / "x")])
    assert result.exit_code in (1, 2)
    assert fragment in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, ImageSpecError)
    # The command's own words: no recipe field names such as doc_type= or pad_base64=.
    assert not re.search(r"\b[a-z]+_[a-z_]+=", result.output), result.output


def test_cli_specimen_needs_no_size_and_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "blurred.jpg"
    result = CliRunner().invoke(main, ["image", "--format", "jpeg", "--specimen", "passport", "--degrade", "blur=0.7",
                                       "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (probe(out.read_bytes()).width, probe(out.read_bytes()).height) == (1280, 800)
    missing = CliRunner().invoke(main, ["image", "-o", str(tmp_path / "nowhere" / "x.png")])
    assert missing.exit_code == 2 and "does not exist; create it first" in missing.output
    assert not isinstance(missing.exception, OSError)
    mislabelled = CliRunner().invoke(main, ["image", "--format", "png", "-o", str(tmp_path / "x.jpg")])
    assert mislabelled.exit_code == 0 and "note: x.jpg holds png bytes" in mislabelled.output
