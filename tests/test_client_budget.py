"""The call budget: every attempt on the wire counts; an overrun is refused before sending."""

from __future__ import annotations

import asyncio
import threading

import pytest
from test_client_support import PROJECT_ID, Recorder

from pytest_idclassify.client import AsyncIdClassifyClient, CallBudget, ClientConfig, IdClassifyClient
from pytest_idclassify.errors import BudgetExceededError, ConfigurationError

pytest_plugins = ["test_client_support"]


def _config(url: str, **extra: object) -> ClientConfig:
    return ClientConfig(endpoint=url, project_id=PROJECT_ID, auth="none", **extra)  # type: ignore[arg-type]


def test_exhaustion_is_refused_before_sending(recorder: Recorder, served: str) -> None:
    budget = CallBudget(2)
    with IdClassifyClient(_config(served), budget=budget) as client:
        client.classify(data="aGVsbG8=")
        client.classify(data="aGVsbG8=")
        with pytest.raises(BudgetExceededError) as info:
            client.classify(data="aGVsbG8=")
    assert len(recorder.seen) == 2
    assert "2 of 2 calls used" in str(info.value)
    assert "IDCLASSIFY_CALL_BUDGET" in str(info.value)
    assert (budget.used, budget.remaining) == (2, 0)


def test_retries_count_and_a_spent_budget_stops_retrying(recorder: Recorder, served: str) -> None:
    for _ in range(5):
        recorder.answer(503, {"error_code": "ModelArts.4403", "error_msg": "Backend service unavailable error."})
    budget = CallBudget(3)
    waits: list[float] = []
    with IdClassifyClient(_config(served, max_retries=10), budget=budget, sleep=waits.append) as client:
        outcome = client.classify(data="aGVsbG8=")
    assert (outcome.status, outcome.attempts, len(waits)) == (503, 3, 2)
    assert len(recorder.seen) == 3
    assert budget.remaining == 0


def test_budget_from_config_and_shared_between_clients(recorder: Recorder, served: str) -> None:
    with IdClassifyClient(_config(served, call_budget=1)) as client:
        assert client.budget is not None and client.budget.max_calls == 1
        client.classify(data="aGVsbG8=")
        with pytest.raises(BudgetExceededError):
            client.classify(data="aGVsbG8=")
    shared = CallBudget(3)
    one, two = IdClassifyClient(_config(served), budget=shared), IdClassifyClient(_config(served), budget=shared)
    with one, two:
        one.classify(data="aGVsbG8=")
        two.classify(data="aGVsbG8=")
        one.classify(data="aGVsbG8=")
        with pytest.raises(BudgetExceededError):
            two.classify(data="aGVsbG8=")
    assert len(recorder.seen) == 4


def test_budget_holds_across_threads(recorder: Recorder, served: str) -> None:
    budget = CallBudget(10)
    refused: list[BudgetExceededError] = []

    def work(client: IdClassifyClient) -> None:
        for _ in range(5):
            try:
                client.classify(data="aGVsbG8=")
            except BudgetExceededError as exc:
                refused.append(exc)

    with IdClassifyClient(_config(served), budget=budget) as client:
        threads = [threading.Thread(target=work, args=(client,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(recorder.seen) == 10
    assert len(refused) == 10
    assert budget.used == 10


def test_budget_holds_across_async_tasks(recorder: Recorder, served: str) -> None:
    budget = CallBudget(4)

    async def run() -> list[object]:
        async with AsyncIdClassifyClient(_config(served), budget=budget) as client:
            return await asyncio.gather(*(client.classify(data="aGVsbG8=") for _ in range(7)), return_exceptions=True)

    results = asyncio.run(run())
    assert sum(isinstance(r, BudgetExceededError) for r in results) == 3
    assert len(recorder.seen) == 4


def test_budget_argument_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="IDCLASSIFY_CALL_BUDGET"):
        CallBudget(-1)
    assert repr(CallBudget(0)) == "CallBudget(max_calls=0, used=0)"
