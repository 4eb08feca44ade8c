"""Replay against the shipped cassettes sends image digests from the cache and renders nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_idclassify.images._cache import CACHE_ENV

# URL cases included: the loopback host names each URL after its recipe, so naming it renders nothing.
SELECTION = "side-max or score-monotone or request.image.formats or base64-noncanonical or request.url"

CHILD = """
import sys
from pytest_idclassify.images import ImageRecipe

if sys.argv[1] == "forbid":
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"replay rendered {self}")
    ImageRecipe.render = refuse
    ImageRecipe.to_base64 = refuse
from pytest_idclassify.cli import main
main(["verify", "--target", "replay", "-k", sys.argv[2]])
"""


def _verify(mode: str, cache: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, CACHE_ENV: cache}
    return subprocess.run([sys.executable, "-c", CHILD, mode, SELECTION], capture_output=True, text=True, env=env,
                          check=False, cwd=Path(__file__).parent)  # fmt: skip


def _summary(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.strip().splitlines()[-1]


def test_a_warm_cache_replays_the_gate_without_rendering_an_image(tmp_path: Path) -> None:
    cold = _verify("allow", str(tmp_path))
    assert cold.returncode == 0, cold.stdout[-3000:]
    assert " passed" in _summary(cold) and "failed" not in _summary(cold)
    warm = _verify("forbid", str(tmp_path))
    assert warm.returncode == 0, warm.stdout[-3000:]
    assert _summary(warm).split(" in ")[0] == _summary(cold).split(" in ")[0]


def test_without_a_cache_replay_renders_and_still_matches(tmp_path: Path) -> None:
    done = _verify("allow", "off")
    assert done.returncode == 0, done.stdout[-3000:]
    # The observation can fail: with nothing noted, forbidding rendering fails the run.
    forbidden = _verify("forbid", "off")
    assert forbidden.returncode == 1 and "replay rendered" in forbidden.stdout
