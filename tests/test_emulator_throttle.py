"""Throttling as the platform does it: a token bucket per credential, 429 APIG.0308 with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.client import ClientConfig, IdClassifyClient
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.emulator._throttle import RateLimiter, retry_after_header
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.suite._emulator_handle import EmulatorHandle

# 60 a minute is one a second: a test of a few seconds sees the bucket empty and refill.
THROTTLED = EmulatorSettings(rate_limit=60, rate_burst=2)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_grants_the_burst_then_one_token_per_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=30, burst=3, clock=clock)  # one token every 2 s
    assert [limiter.acquire("a") for _ in range(3)] == [None, None, None]
    wait = limiter.acquire("a")
    assert wait == pytest.approx(2.0)
    assert limiter.acquire("b") is None  # another credential has its own bucket
    clock.now += 1.0
    assert limiter.acquire("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.acquire("a") is None
    clock.now += 3600
    assert [limiter.acquire("a") for _ in range(4)][:3] == [None, None, None]  # refilled up to the burst, no more


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert [retry_after_header(w) for w in (0.01, 0.99, 1.0, 1.01, 59.2)] == ["1", "1", "1", "2", "60"]


def _token_client(url: str, **changes: Any) -> IdClassifyClient:
    settings = THROTTLED
    values: dict[str, Any] = {"endpoint": url, "project_id": settings.project_id, "auth": "token",
                              "token": settings.tokens[0], "max_retries": 0}  # fmt: skip
    return IdClassifyClient(ClientConfig(**{**values, **changes}))


def test_a_client_that_honours_retry_after_never_exceeds_the_rate() -> None:
    app = create_app(THROTTLED)
    calls = 6
    with serve_in_thread(app) as url, _token_client(url, max_retries=5, max_retry_time=30.0) as client:
        outcomes = [client.classify(alarm=True) for _ in range(calls)]
    # Each call's final answer is the emulator's real one (no data: AIS.0101's neighbour), never a 429.
    assert all(o.status != 429 for o in outcomes), [o.status for o in outcomes]
    journal = app.state.journal.entries()
    throttled = [e for e in journal if e.status == 429]
    accepted = [e for e in journal if e.status != 429]
    assert len(accepted) == calls
    assert throttled and all(e.error_code == "APIG.0308" for e in throttled)
    # The client waited the Retry-After it was given after every 429, so it sent no more than it was allowed...
    waits = [w for o in outcomes for w in o.waits]
    assert len(waits) == len(throttled) and all(w >= 1.0 for w in waits)
    # ...and what the emulator accepted stays within the bucket: the burst, then one a second.
    first = accepted[0].received_at
    for index, entry in enumerate(accepted):
        allowed = THROTTLED.rate_burst + (entry.received_at - first) * THROTTLED.rate_limit / 60.0
        assert index + 1 <= allowed + 1e-6


def test_each_credential_has_its_own_bucket() -> None:
    handle = EmulatorHandle(THROTTLED)
    token_client = handle.client()
    aksk_client = handle.client(auth="aksk")
    assert [token_client.classify().status for _ in range(3)][-1] == 429
    assert aksk_client.classify().status != 429


def test_a_429_carries_the_documented_code_message_and_retry_after() -> None:
    handle = EmulatorHandle(THROTTLED)
    client = handle.client()
    client.classify()
    client.classify()
    refused = client.classify()
    assert (refused.status, refused.error_code) == (429, "APIG.0308")
    assert (
        refused.error_msg
        == "The throttling threshold has been reached: policy user over ratelimit,limit:60,time:1 minute"
    )
    assert refused.headers["retry-after"] == "1"


def test_throttling_is_off_by_default() -> None:
    client = EmulatorHandle().client()
    assert {client.classify().status for _ in range(50)} == {400}


def test_unauthenticated_requests_are_refused_before_they_are_counted() -> None:
    handle = EmulatorHandle(THROTTLED)
    stranger = handle.client(token="not-a-known-token")
    assert {stranger.classify().status for _ in range(5)} == {401}
    assert handle.client().classify().status != 429  # the stranger spent nobody's tokens


def test_the_official_sdk_sees_the_documented_throttling_error() -> None:
    pytest.importorskip("huaweicloudsdkcore")
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
    from huaweicloudsdkocr.v1 import (
        AutoIdDocClassificationRequestBody,
        OcrClient,
        RecognizeAutoIdDocClassificationRequest,
    )

    ak, sk = THROTTLED.credentials[0]
    with serve_in_thread(create_app(THROTTLED)) as url:
        credentials = BasicCredentials(ak, sk, THROTTLED.project_id)
        client = OcrClient.new_builder().with_credentials(credentials).with_endpoint(url).build()
        errors = []
        for _ in range(3):
            request = RecognizeAutoIdDocClassificationRequest()
            request.body = AutoIdDocClassificationRequestBody(alarm=True)
            try:
                client.recognize_auto_id_doc_classification(request)
            except ClientRequestException as exc:
                errors.append(exc)
    assert [e.status_code for e in errors][:2] == [400, 400]
    throttled = errors[2]
    assert (throttled.status_code, throttled.error_code) == (429, "APIG.0308")
    assert "limit:60,time:1 minute" in throttled.error_msg


@pytest.mark.parametrize("name", ["rate_limit", "rate_burst"])
def test_a_negative_rate_setting_is_refused_naming_its_variable(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"IDCLASSIFY_EMULATOR_{name.upper()}"):
        EmulatorSettings.load(environ={f"IDCLASSIFY_EMULATOR_{name.upper()}": "-1"})
