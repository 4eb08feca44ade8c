"""The two profiles: gate (fixed boundary examples, derandomised) and explore (randomised, deep)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from pytest_idclassify.suite._config import SuiteConfig

#: how many examples each explore test draws.
EXPLORE_EXAMPLES = 200


def hypothesis_settings(config: SuiteConfig) -> settings:
    """Hypothesis settings for the profile: gate derandomised and small, explore large with a database."""
    if config.profile == "explore":
        return settings(max_examples=EXPLORE_EXAMPLES, deadline=None, derandomize=False,
                        database=DirectoryBasedExampleDatabase(".hypothesis/idclassify"),
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    return settings(max_examples=max(1, config.sample), deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
