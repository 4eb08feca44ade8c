"""Shared settings for the project's own tests."""

from __future__ import annotations

import os

# pytester's in-process runs drop the modules they imported when they end. numpy (with OpenCV)
# refuses to be imported twice in one process, and a module imported afresh brings new classes
# (an Enum compared by identity no longer matches): import them here, once, for the whole session.
# httpx imports httpcore lazily: a second copy's exceptions escape httpx's mapping, so a download
# that fails to connect (in a server a test serves) would surface as an unhandled httpcore error.
import cv2  # noqa: F401
import httpcore._backends.anyio
import httpcore._backends.sync  # noqa: F401
import numpy  # noqa: F401
from hypothesis import HealthCheck, settings

import pytest_idclassify.cases
import pytest_idclassify.report
import pytest_idclassify.suite._checks
import pytest_idclassify.suite._records
import pytest_idclassify.suite._target  # noqa: F401
from pytest_idclassify._cores import share_cores

# Under pytest-xdist every worker runs emulators: each takes its share of the cores for OpenCV.
share_cores(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))

# A small, derandomised default keeps the suite fast and repeatable; the deep profile is for
# exploring (HYPOTHESIS_PROFILE=deep).
settings.register_profile(
    "default", max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("deep", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
