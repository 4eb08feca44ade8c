"""Pictures much larger than the analysis needs: shrunk once, with the screen patch read at full resolution.

And the OpenCV thread setting that ``idclassify serve --workers N`` shares the CPUs out with.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pytest_idclassify._cores import threads_per_process
from pytest_idclassify.emulator import EmulatorSettings, serve
from pytest_idclassify.emulator._vision import analyse
from pytest_idclassify.emulator._vision._engine import ANALYSIS_SIDE, shrink_whole
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.images._specimens import render_scene

#: a photograph-sized frame, more than twice ANALYSIS_SIDE long: analysed on a copy shrunk by 2.
LARGE = (3400, 2125)


def test_only_pictures_at_least_twice_the_analysis_side_are_shrunk() -> None:
    below = np.zeros((10, 2 * ANALYSIS_SIDE - 1, 3), np.uint8)
    assert shrink_whole(below)[0] is below
    assert shrink_whole(below)[1] == 1
    rng = np.random.default_rng(5)
    above = rng.integers(0, 256, (7, 2 * ANALYSIS_SIDE + 1, 3), dtype=np.uint8)
    small, factor = shrink_whole(above)
    assert factor == 2
    assert small.shape == (3, ANALYSIS_SIDE, 3)
    # Each pixel is the mean of one whole 2x2 block; the odd last row and column are left out.
    blocks = above[:6, : 2 * ANALYSIS_SIDE].astype(np.float64).reshape(3, 2, ANALYSIS_SIDE, 2, 3).mean(axis=(1, 3))
    assert np.abs(small.astype(np.float64) - blocks).max() <= 0.5 + 1e-9
    assert shrink_whole(np.zeros((9000, 100, 3), np.uint8))[1] == 9000 // ANALYSIS_SIDE


def test_a_large_clean_picture_gives_its_type_corners_in_its_own_pixels_and_no_alarm() -> None:
    scene = render_scene("id_card", width=LARGE[0], height=LARGE[1], seed=3)
    analysis = analyse(scene.pixels, with_alarms=True)
    assert analysis.doc_type == "id_card"
    # Corners are in the picture's pixels, not the shrunk copy's: within a few pixels of the truth.
    diagonal = float(np.hypot(*LARGE))
    error = float(np.abs(np.array(analysis.quad, np.float64) - np.array(scene.quad, np.float64)).max())
    assert error <= 0.003 * diagonal, f"corner error {error:.1f} px"
    assert analysis.alarm_confidence is not None
    assert max(analysis.alarm_confidence.values()) < 50, analysis.alarm_confidence


def test_a_large_picture_of_a_screen_is_read_at_full_resolution() -> None:
    # The screen's sub-pixel grid is a few of the picture's own pixels across: averaging the patch
    # by 2 (as the rest of the analysis is) would take the alarm below its threshold.
    scene = render_scene("id_card", width=LARGE[0], height=LARGE[1], seed=3, degradations={"recapture": 0.5})
    analysis = analyse(scene.pixels, with_alarms=True)
    assert analysis.alarm_result is not None and analysis.alarm_confidence is not None
    assert analysis.alarm_result["detect_reproduce_result"], analysis.alarm_confidence
    halved = cv2.resize(scene.pixels, (LARGE[0] // 2, LARGE[1] // 2), interpolation=cv2.INTER_AREA)
    halved_analysis = analyse(halved, with_alarms=True)
    assert halved_analysis.alarm_confidence is not None
    assert halved_analysis.alarm_confidence["reproduce_score"] < analysis.alarm_confidence["reproduce_score"]


@pytest.mark.parametrize(("workers", "cpus", "threads"), [(1, 2, 2), (2, 2, 1), (3, 2, 1), (2, 8, 4), (3, 8, 2)])
def test_worker_processes_share_the_cpus_out_for_opencv(workers: int, cpus: int, threads: int) -> None:
    assert threads_per_process(workers, cpus) == threads


def test_the_opencv_thread_setting_is_checked_and_applied_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="OPENCV_THREADS"):
        EmulatorSettings(opencv_threads=-1)
    before = cv2.getNumThreads()
    wanted = 1 if before != 1 else 2  # a change to see, whatever this process started with
    try:
        with serve(EmulatorSettings(opencv_threads=wanted)):
            assert cv2.getNumThreads() == wanted
    finally:
        cv2.setNumThreads(before)
    assert EmulatorSettings().opencv_threads == 0  # in-process default: OpenCV's own
