"""Opt-in recognition metrics (--idclassify-metrics): figures, failing only below a given threshold."""

from __future__ import annotations

import base64

import pytest

from pytest_idclassify.cases import Call
from pytest_idclassify.plugin import METRICS_PROPERTY
from pytest_idclassify.suite import SuiteConfig, Target
from pytest_idclassify.suite._metrics import collect, load_samples


def test_recognition_metrics(idclassify_target: Target, idclassify_config: SuiteConfig,
                             request: pytest.FixtureRequest) -> None:  # fmt: skip
    """Measure type accuracy, corner error and alarm agreement over labelled samples."""
    config = idclassify_config
    if not config.metrics:
        pytest.skip(
            idclassify_config.interface.words(
                "recognition metrics are opt-in: --idclassify-metrics=specimens or a labelled folder"
            )
        )
    samples = load_samples(config.metrics)
    answers = []
    for sample in samples:
        data = sample.image if not isinstance(sample.image, bytes) else base64.b64encode(sample.image).decode()
        exchange = idclassify_target.send(Call(json={"data": data, "alarm": True}))
        answers.append((exchange.outcome.status, exchange.outcome.body))
    metrics = collect(samples, answers)
    request.node.user_properties.append((METRICS_PROPERTY, metrics.to_json()))
    summary = metrics.summary()
    if config.metrics_threshold is not None and (summary["accuracy"] or 0) < config.metrics_threshold:
        # The figures are the message: a traceback of this function would only bury them.
        pytest.fail(f"type accuracy {summary['accuracy']} is below the threshold {config.metrics_threshold}: {summary}",
                    pytrace=False)  # fmt: skip
