"""Retries: 429 with Retry-After, bounded 5xx, no retry on other 4xx, connection errors, jitter."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from test_client_support import PROJECT_ID, Recorder

from pytest_idclassify._serve import free_port
from pytest_idclassify.client import (
    AsyncIdClassifyClient,
    Attempt,
    ClientConfig,
    IdClassifyClient,
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
)
from pytest_idclassify.errors import TransportError

pytest_plugins = ["test_client_support"]

NOW = datetime(2024, 5, 6, 12, 0, 0, tzinfo=timezone.utc)
THROTTLED = {
    "error_code": "APIG.0308",
    "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:5,time:1 minute",
}
UNAVAILABLE = {"error_code": "ModelArts.4403", "error_msg": "Backend service unavailable error."}


def _client(url: str, waits: list[float], **config: object) -> IdClassifyClient:
    settings = {"endpoint": url, "project_id": PROJECT_ID, "auth": "none", **config}
    return IdClassifyClient(
        ClientConfig(**settings),  # type: ignore[arg-type]
        sleep=waits.append,
        rng=random.Random(7),
        now=lambda: NOW,
    )


def test_429_with_retry_after_seconds_then_200(recorder: Recorder, served: str) -> None:
    recorder.answer(429, THROTTLED, {"Retry-After": "2"})
    waits: list[float] = []
    with _client(served, waits) as client:
        outcome = client.classify(data="aGVsbG8=")
    assert (outcome.status, outcome.attempts, outcome.waits) == (200, 2, (2.0,))
    assert waits == [2.0]
    assert len(recorder.seen) == 2
    assert outcome.request_id == "req-0002"


def test_429_with_retry_after_http_date(recorder: Recorder, served: str) -> None:
    recorder.answer(
        429,
        {"error_code": "ModelArts.4401", "error_msg": "Max concurrency error."},
        {"Retry-After": format_datetime(NOW + timedelta(seconds=3), usegmt=True)},
    )
    waits: list[float] = []
    with _client(served, waits) as client:
        assert client.classify(data="aGVsbG8=").status == 200
    assert waits == [3.0]


def test_503_is_retried_a_bounded_number_of_times_with_growing_jittered_waits(recorder: Recorder, served: str) -> None:
    for _ in range(10):
        recorder.answer(503, UNAVAILABLE)
    waits: list[float] = []
    with _client(served, waits, max_retries=3) as client:
        outcome = client.classify(data="aGVsbG8=")
    assert (outcome.status, outcome.attempts) == (503, 4)
    assert outcome.error_code == "ModelArts.4403"
    assert len(recorder.seen) == 4
    assert len(waits) == 3
    # Full jitter: each wait lies in [0, base * 2**n]; with this seed they are the same on every run.
    for n, wait in enumerate(waits):
        assert 0.0 <= wait <= 0.5 * 2**n
    rng = random.Random(7)
    assert waits == [rng.uniform(0, 0.5), rng.uniform(0, 1.0), rng.uniform(0, 2.0)]


def test_503_then_success(recorder: Recorder, served: str) -> None:
    recorder.answer(503, UNAVAILABLE).answer(500, {"error_code": "APIG.0601", "error_msg": "Internal server error."})
    waits: list[float] = []
    with _client(served, waits) as client:
        outcome = client.classify(data="aGVsbG8=")
    assert (outcome.status, outcome.attempts, len(waits)) == (200, 3, 2)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_other_4xx_are_never_retried(recorder: Recorder, served: str, status: int) -> None:
    recorder.answer(
        status, {"error_code": "AIS.0101", "error_msg": "The input parameter is invalid."}, {"Retry-After": "1"}
    )
    waits: list[float] = []
    with _client(served, waits, max_retries=5) as client:
        outcome = client.classify(data="aGVsbG8=")
    assert (outcome.status, outcome.attempts, waits) == (status, 1, [])
    assert len(recorder.seen) == 1


def test_total_wait_is_bounded(recorder: Recorder, served: str) -> None:
    recorder.answer(429, THROTTLED, {"Retry-After": "4"}).answer(429, THROTTLED, {"Retry-After": "4"})
    waits: list[float] = []
    with _client(served, waits, max_retries=5, max_retry_time=6.0) as client:
        outcome = client.classify(data="aGVsbG8=")
    assert (outcome.status, outcome.attempts, waits) == (429, 2, [4.0])


def test_connection_errors_are_retried_then_reported() -> None:
    waits: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"
    with _client(url, waits, max_retries=2) as client, pytest.raises(TransportError) as info:
        client.classify(data="aGVsbG8=")
    assert len(waits) == 2
    message = str(info.value)
    assert "could not be reached after 3 attempt(s)" in message
    assert "ConnectError" in message and "IDCLASSIFY_BASE_URL" in message


def test_async_client_retries_the_same_way(recorder: Recorder, served: str) -> None:
    recorder.answer(429, THROTTLED, {"Retry-After": "1.5"}).answer(503, UNAVAILABLE)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def run() -> tuple[int, int]:
        config = ClientConfig(endpoint=served, project_id=PROJECT_ID, auth="none")
        async with AsyncIdClassifyClient(config, sleep=sleep, rng=random.Random(1)) as client:
            outcome = await client.classify(data="aGVsbG8=")
            return outcome.status, outcome.attempts

    assert asyncio.run(run()) == (200, 3)
    assert waits[0] == 1.5 and 0 <= waits[1] <= 1.0


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0.25 ") == 0.25
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(format_datetime(NOW - timedelta(seconds=5), usegmt=True), NOW) == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", datetime(2015, 10, 21, 7, 27, tzinfo=timezone.utc)) == 60
    for junk in (None, "", "soon", "nan"):
        assert parse_retry_after(junk) is None


def test_retryable_statuses() -> None:
    # 501 Not Implemented and 505 HTTP Version Not Supported never change on a retry.
    assert [s for s in range(400, 600) if is_retryable_status(s)] == [429, 500, *range(502, 505), *range(506, 600)]


def test_policy_never_waits_past_its_bounds() -> None:
    policy = RetryPolicy(max_retries=100, max_retry_time=1000.0, base=1.0, cap=8.0)
    rng = random.Random(3)
    waits = [policy.next_wait(retry=n, waited=0.0, response=None, rng=rng) for n in range(20)]
    assert all(w is not None and 0 <= w <= 8.0 for w in waits)
    assert policy.next_wait(retry=100, waited=0.0, response=None, rng=rng) is None
    assert RetryPolicy(max_retry_time=0.0).next_wait(retry=0, waited=0.0, response=None, rng=rng) in (None, 0.0)


def test_the_attempt_log_keeps_every_answer_a_retry_replaced(recorder: Recorder, served: str) -> None:
    recorder.answer(429, THROTTLED, {"Retry-After": "0"}).answer(503, UNAVAILABLE)
    log: list[Attempt] = []
    with _client(served, []) as client:
        outcome = client.post(json={"data": "aGVsbG8="}, attempt_log=log)
    assert [a.status for a in log] == [429, 503, 200]
    assert log[-1].outcome is outcome and all(a.error is None and a.elapsed >= 0 for a in log)
    assert log[0].outcome is not None and log[0].outcome.error_code == "APIG.0308"
    assert [a.outcome.request_id for a in log if a.outcome] == ["req-0001", "req-0002", "req-0003"]


def test_the_attempt_log_records_connection_errors_as_attempts_without_an_answer() -> None:
    log: list[Attempt] = []
    with _client(f"http://127.0.0.1:{free_port()}", [], max_retries=1) as client, pytest.raises(TransportError):
        client.post(json={"data": "aGVsbG8="}, attempt_log=log)
    assert [(a.status, a.outcome) for a in log] == [(None, None)] * 2
    assert all(a.error is not None and a.error.startswith("ConnectError") for a in log)


def test_the_async_client_logs_attempts_the_same_way(recorder: Recorder, served: str) -> None:
    recorder.answer(503, UNAVAILABLE)
    log: list[Attempt] = []

    async def nap(seconds: float) -> None:
        return None

    async def run() -> int:
        config = ClientConfig(endpoint=served, project_id=PROJECT_ID, auth="none")
        async with AsyncIdClassifyClient(config, sleep=nap) as client:
            return (await client.post(json={"data": "aGVsbG8="}, attempt_log=log)).status

    assert asyncio.run(run()) == 200
    assert [a.status for a in log] == [503, 200]
