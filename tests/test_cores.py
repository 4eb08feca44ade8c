"""OpenCV's thread pool takes its share of the cores when processes run the emulator side by side."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SHARE = max(1, len(os.sched_getaffinity(0)) // 2)


def _threads(code: str, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k != "OPENCV_FOR_THREADS_NUM"} | env
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environ, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.parametrize(
    "code",
    [
        # Before OpenCV is imported: through the variable it reads when it starts.
        "from pytest_idclassify._cores import share_cores; share_cores(2); import cv2; print(cv2.getNumThreads())",
        # After: through the running pool.
        "import cv2; from pytest_idclassify._cores import share_cores; share_cores(2); print(cv2.getNumThreads())",
    ],
    ids=["before-import", "after-import"],
)
def test_two_processes_get_half_the_cores_each(code: str) -> None:
    assert _threads(code) == SHARE


def test_one_process_keeps_every_core_and_a_users_choice_is_kept() -> None:
    alone = "import cv2; from pytest_idclassify._cores import share_cores; share_cores(1); print(cv2.getNumThreads())"
    assert _threads(alone) == _threads("import cv2; print(cv2.getNumThreads())")
    chosen = "from pytest_idclassify._cores import share_cores; share_cores(2); import cv2; print(cv2.getNumThreads())"
    assert _threads(chosen, OPENCV_FOR_THREADS_NUM="3") == 3
