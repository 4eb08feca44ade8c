"""Shared settings for the project's own tests."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# A small, derandomised default keeps the suite fast and repeatable; the deep profile is for
# exploring (HYPOTHESIS_PROFILE=deep).
settings.register_profile(
    "default", max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("deep", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
