"""The disk cache of rendered images: same bytes, shared by processes, bounded, movable, clearable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pytest_idclassify.cli import main
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.images import ImageRecipe
from pytest_idclassify.images._cache import CACHE_ENV, CACHE_MAX_ENV, ImageCache, default_cache_dir

SPECIMEN = ImageRecipe("jpeg", 320, 200, content="specimen", doc_type="passport", seed=3)
NOISE = ImageRecipe("png", 40, 30, content="noise", seed=5)


def test_a_cached_image_is_the_rendered_image_and_is_read_back(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path)
    first = cache.render(SPECIMEN)
    assert first == SPECIMEN.render()
    (entry,) = [p for p in cache.entries() if p.suffix == ".img"]
    assert entry.read_bytes() == first
    # What the next process gets is what the file holds (here, deliberately, something else).
    entry.write_bytes(b"kept bytes")
    assert ImageCache(tmp_path).render(SPECIMEN) == b"kept bytes"


def test_flat_images_are_rendered_not_stored(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path)
    flat = ImageRecipe("png", 16, 8192, pad_base64=10_485_764)
    assert cache.render(flat) == flat.render()
    assert cache.entries() == []


def test_every_field_of_the_recipe_is_in_the_key(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path)
    changes: list[dict[str, object]] = [
        {}, {"seed": 4}, {"degradations": {"blur": 0.5}}, {"exif_orientation": 6}, {"base64_variant": "mime"},
        {"corruption": "corrupt-data"}, {"corruption": "corrupt-data", "seed": 9},
    ]  # fmt: skip
    variants = [SPECIMEN.replace(**change) for change in changes]
    assert len({cache.key(v) for v in variants}) == len(variants)
    assert cache.key(SPECIMEN) == ImageCache(tmp_path / "elsewhere").key(SPECIMEN)


def test_noted_facts_survive_and_a_damaged_entry_is_absent(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path)
    assert cache.noted(NOISE, "digest") is None
    cache.note(NOISE, "digest", {"sha256": "ab" * 32})
    cache.note(NOISE, "size", [40, 30])
    assert ImageCache(tmp_path).noted(NOISE, "digest") == {"sha256": "ab" * 32}
    assert ImageCache(tmp_path).noted(NOISE, "size") == [40, 30]
    (facts,) = [p for p in cache.entries() if p.suffix == ".json"]
    facts.write_text("{not json")
    assert cache.noted(NOISE, "digest") is None
    cache.note(NOISE, "digest", "again")
    assert cache.noted(NOISE, "digest") == "again"


def test_the_bound_evicts_the_least_recently_used(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path, max_bytes=12_000)
    recipes = [ImageRecipe("bmp", 40, 30, content="noise", seed=seed) for seed in range(6)]  # 3.7 KB each
    for index, recipe in enumerate(recipes):
        cache.render(recipe)
        for path in cache.entries():  # make the order of use unambiguous for the file system's clock
            if cache.key(recipe) in path.name:
                os.utime(path, (1_000_000 + index, 1_000_000 + index))
    assert cache.usage()[1] <= 12_000
    kept = {p.stem for p in cache.entries()}
    assert cache.key(recipes[-1]) in kept and cache.key(recipes[0]) not in kept


def test_the_environment_moves_bounds_or_turns_off_the_cache(tmp_path: Path) -> None:
    assert ImageCache.from_env({}).root == default_cache_dir()
    assert "pytest-idclassify" in str(default_cache_dir())
    moved = ImageCache.from_env({CACHE_ENV: str(tmp_path), CACHE_MAX_ENV: "3"})
    assert (moved.root, moved.max_bytes) == (tmp_path, 3 * 2**20)
    off = ImageCache.from_env({CACHE_ENV: "off"})
    assert off.root is None and off.render(NOISE) == NOISE.render() and off.noted(NOISE, "x") is None
    with pytest.raises(ConfigurationError, match=r"IDCLASSIFY_IMAGE_CACHE_MAX_MB='lots' is not a size"):
        ImageCache.from_env({CACHE_MAX_ENV: "lots"})


CHILD = """
import sys
from pathlib import Path
from pytest_idclassify.images import ImageRecipe
from pytest_idclassify.images._cache import ImageCache
cache = ImageCache(Path(sys.argv[1]))
for seed in range(12):
    recipe = ImageRecipe("png", 64, 48, content="noise", seed=seed)
    assert cache.render(recipe) == recipe.render(), seed
"""


def test_processes_share_one_cache_without_tearing_an_entry(tmp_path: Path) -> None:
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)]) for _ in range(2)]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    assert len(ImageCache(tmp_path).entries()) == 12
    assert not list(tmp_path.glob("*/.*.tmp"))


def test_the_command_line_shows_and_clears_the_cache(tmp_path: Path) -> None:
    ImageCache(tmp_path).render(NOISE)
    runner = CliRunner()
    shown = runner.invoke(main, ["cache", "info"], env={CACHE_ENV: str(tmp_path)})
    assert shown.exit_code == 0 and str(tmp_path) in shown.output and "1 file(s)" in shown.output
    cleared = runner.invoke(main, ["cache", "clear"], env={CACHE_ENV: str(tmp_path)})
    assert cleared.exit_code == 0 and "removed 1 file(s)" in cleared.output
    assert ImageCache(tmp_path).entries() == []
    bad = runner.invoke(main, ["cache", "info"], env={CACHE_ENV: str(tmp_path), CACHE_MAX_ENV: "-1"})
    assert bad.exit_code == 1 and "IDCLASSIFY_IMAGE_CACHE_MAX_MB='-1'" in bad.output
