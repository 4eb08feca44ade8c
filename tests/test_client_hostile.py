"""The client against hostile servers: each case ends with an error of ours, in bounded memory.

Every case runs the real client in a subprocess against a real socket server on 127.0.0.1 (see
tests/hostile_servers.py) and reports the error it ended with and how much its peak RSS grew
over a warmed-up baseline.  The subprocess timeout only guards against a hang; the figures for
how long each case takes are printed by benchmarks/bench_client_hostile.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hostile_servers import hostile_server

#: A case that took longer than this hangs, whatever the machine's load.
HANG_GUARD_SECONDS = 180
MAX_GROWTH_MB = 300

CHILD = r"""
import asyncio, json, resource, sys, time
from pytest_idclassify.client import AsyncIdClassifyClient, ClientConfig, IdClassifyClient

base, behaviour, mode, settings = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
project = "0123456789abcdef0123456789abcdef"
warm = ClientConfig(endpoint=f"{base}/ok", project_id=project, auth="none")
config = ClientConfig(endpoint=f"{base}/{behaviour}", project_id=project, auth="none", **settings)

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def call_sync():
    with IdClassifyClient(warm) as client:
        client.post(json={})
    before = peak_mb()
    with IdClassifyClient(config, sleep=time.sleep) as client:
        return before, client.post(json={})

async def call_async():
    async with AsyncIdClassifyClient(warm) as client:
        await client.post(json={})
    before = peak_mb()
    async with AsyncIdClassifyClient(config) as client:
        return before, await client.post(json={})

started = time.monotonic()
before = peak_mb()
try:
    before, outcome = call_sync() if mode == "sync" else asyncio.run(call_async())
    result = {"status": outcome.status}
except Exception as exc:
    result = {"error": type(exc).__name__, "module": type(exc).__module__, "message": str(exc)}
result["elapsed"] = time.monotonic() - started
result["growth_mb"] = peak_mb() - before
print(json.dumps(result))
"""

CASES = [
    ("bomb", {}, "ResponseTooLargeError", "decompressed"),
    ("endless", {}, "ResponseTooLargeError", "on the wire"),
    ("huge", {}, "ResponseTooLargeError", "Content-Length"),
    ("huge-unannounced", {}, "ResponseTooLargeError", "on the wire"),
    ("drip-head", {"timeout": 5.0}, "CallTimeoutError", "IDCLASSIFY_TIMEOUT"),
    ("drip-body", {"timeout": 5.0}, "CallTimeoutError", "IDCLASSIFY_TIMEOUT"),
    ("drip-head", {"timeout": 5.0, "max_retries": 5, "call_timeout": 8.0}, "CallTimeoutError", "call_timeout"),
    ("deep", {}, "ResponseTooDeepError", "max_json_depth"),
]


@pytest.fixture(scope="module")
def hostile_url() -> Iterator[str]:
    with hostile_server() as url:
        yield url


def run_case(url: str, behaviour: str, mode: str, settings: dict[str, object]) -> dict[str, object]:
    """Run one call in a fresh interpreter and return what it reported."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, behaviour, mode, json.dumps(settings)],
        capture_output=True, text=True, timeout=HANG_GUARD_SECONDS, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("behaviour", "settings", "error", "says"), CASES, ids=lambda v: str(v)[:24])
def test_a_hostile_answer_ends_with_our_error_in_bounded_memory(
    hostile_url: str, mode: str, behaviour: str, settings: dict[str, object], error: str, says: str
) -> None:
    result = run_case(hostile_url, behaviour, mode, settings)
    assert result.get("error") == error, result
    assert result["module"] == "pytest_idclassify.errors"
    assert says in str(result["message"])
    assert "0123456789abcdef0123456789abcdef" not in str(result["message"]), "the project id is redacted"
    assert float(str(result["growth_mb"])) < MAX_GROWTH_MB, result


def test_the_baseline_answer_is_read_whole(hostile_url: str) -> None:
    # The harmless variant: a small answer passes every bound untouched.
    assert run_case(hostile_url, "ok", "sync", {})["status"] == 200
    assert run_case(hostile_url, "ok", "async", {})["status"] == 200


pytest_plugins = ["pytester"]


@pytest.mark.parametrize(("behaviour", "says"), [("deep", "max_json_depth"), ("bomb", "max_decoded_bytes")])
def test_the_suite_turns_a_hostile_answer_into_a_failed_case_with_the_reason(
    pytester: pytest.Pytester, hostile_url: str, behaviour: str, says: str
) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "request.image.side",
        f"--idclassify-base-url={hostile_url}/{behaviour}", "--idclassify-project-id=p1", "--idclassify-auth=none",
        "-rf", timeout=HANG_GUARD_SECONDS,
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 3 and not outcomes.get("errors"), outcomes
    text = result.stdout.str()
    assert text.count(says) >= outcomes["failed"], "each failed case names the bound it hit"
    assert "Traceback" not in text
