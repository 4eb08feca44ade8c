"""The client against hostile servers: each case ends with an error of ours, in bounded memory.

Every case runs the real client in a subprocess against a real socket server on 127.0.0.1 (see
tests/hostile_servers.py) and reports the error it ended with and how much its peak RSS grew
over a warmed-up baseline.  The subprocess timeout only guards against a hang; the figures for
how long each case takes are printed by benchmarks/bench_client_hostile.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hostile_servers import hostile_server, run_client_case

#: A case that took longer than this hangs, whatever the machine's load.
HANG_GUARD_SECONDS = 180
MAX_GROWTH_MB = 300

CASES = [
    ("bomb", {}, "ResponseTooLargeError", "decompressed"),
    ("nested-bomb", {}, "ResponseTooLargeError", "compressed 2 times over"),
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
    return run_client_case(url, behaviour, mode, settings, HANG_GUARD_SECONDS)


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


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_refused_answer_is_read_within_the_bounds_before_the_token_is_renewed(hostile_url: str, mode: str) -> None:
    # httpx reads an answer whole before an authentication flow's retry; a 401 that never ends must not be.
    settings = {"auth": "token", "iam_endpoint": f"{hostile_url}/iam", "iam_user": "qa-user",
                "iam_password": "correct-horse-battery-staple", "iam_domain": "example-domain"}  # fmt: skip
    result = run_case(hostile_url, "refused-endless", mode, settings)
    assert result.get("error") == "ResponseTooLargeError" and "on the wire" in str(result["message"]), result
    assert float(str(result["growth_mb"])) < MAX_GROWTH_MB, result


def test_the_baseline_answer_is_read_whole(hostile_url: str) -> None:
    # The harmless variant: a small answer passes every bound untouched.
    assert run_case(hostile_url, "ok", "sync", {})["status"] == 200
    assert run_case(hostile_url, "ok", "async", {})["status"] == 200
    # Any bytes in a header value: an answer like another, not a UnicodeEncodeError.
    assert run_case(hostile_url, "non-ascii-header", "sync", {})["status"] == 200
    assert run_case(hostile_url, "non-ascii-header", "async", {})["status"] == 200


pytest_plugins = ["pytester"]


@pytest.mark.parametrize(("behaviour", "says"), [("deep", "max_json_depth"), ("bomb", "max_decoded_bytes")])
def test_the_suite_turns_a_hostile_answer_into_a_failed_case_with_the_reason(
    pytester: pytest.Pytester, hostile_url: str, behaviour: str, says: str
) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "request.image.side",
        # The pre-flight probe gets an ordinary answer; the cases meet the hostile one.
        f"--idclassify-base-url={hostile_url}/after-first-{behaviour}", "--idclassify-project-id=p1",
        "--idclassify-auth=none",
        "-rf", timeout=HANG_GUARD_SECONDS,
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 3 and not outcomes.get("errors"), outcomes
    text = result.stdout.str()
    assert text.count(says) >= outcomes["failed"], "each failed case names the bound it hit"
    assert "Traceback" not in text


@pytest.mark.parametrize(("behaviour", "says"), [("deep", "max_json_depth"), ("huge", "max_response_bytes")])
def test_a_hostile_answer_to_the_pre_flight_probe_is_one_line_naming_the_bound(
    pytester: pytest.Pytester, hostile_url: str, behaviour: str, says: str
) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider",
        f"--idclassify-base-url={hostile_url}/{behaviour}", "--idclassify-project-id=p1", "--idclassify-auth=none",
        timeout=HANG_GUARD_SECONDS,
    )  # fmt: skip
    assert result.ret != 0
    text = result.stdout.str() + result.stderr.str()
    assert says in text and "token" not in text.lower() and "Traceback" not in text


@pytest.mark.parametrize("behaviour", ["huge", "deep"])
def test_an_iam_token_answer_is_read_within_the_same_bounds(hostile_url: str, behaviour: str) -> None:
    from pytest_idclassify.client import IamTokenSource
    from pytest_idclassify.errors import ResponseTooDeepError, ResponseTooLargeError

    source = IamTokenSource(f"{hostile_url}/{behaviour}", user="u", password="p", domain="d", project_id="p1")
    expected = ResponseTooLargeError if behaviour == "huge" else ResponseTooDeepError
    with pytest.raises(expected):
        source.token()


def test_an_in_process_app_has_no_wall_clock_deadline() -> None:
    # The harmless variant of a slow answer: an app in this process that takes longer than the
    # timeout is its own work, not a stalling server (httpx gives in-process apps no timeout either).
    import asyncio
    import time

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from pytest_idclassify.client import AsyncIdClassifyClient, ClientConfig, IdClassifyClient

    async def slow(request: object) -> JSONResponse:
        await asyncio.sleep(1.5)
        return JSONResponse({"result": {}})

    app = Starlette(routes=[Route("/{path:path}", slow, methods=["POST"])])
    config = ClientConfig(endpoint="http://app.invalid", project_id="p1", auth="none", timeout=1.0, max_retries=0)
    started = time.monotonic()
    with IdClassifyClient(config, app=app) as client:
        assert client.post(json={}).status == 200

    async def call() -> int:
        async with AsyncIdClassifyClient(config, app=app) as client:
            return (await client.post(json={})).status

    assert asyncio.run(call()) == 200
    assert time.monotonic() - started >= 3.0, "both calls really outlasted the timeout"


def test_an_exploration_that_meets_a_hostile_answer_fails_once_naming_the_bound(
    pytester: pytest.Pytester, hostile_url: str
) -> None:
    result = pytester.runpytest_subprocess(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "test_explore",
        f"--idclassify-base-url={hostile_url}/after-first-huge", "--idclassify-project-id=p1",
        "--idclassify-auth=none", "--idclassify-profile=explore", "--idclassify-call-budget=40",
        "-rf", timeout=HANG_GUARD_SECONDS,
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 2 and not outcomes.get("errors"), outcomes
    text = result.stdout.str()
    assert text.count("the exploration stopped") >= 2 and "max_response_bytes" in text
    # Shrinking sent nothing more once the target stopped answering: one call per test after the probe.
    # (The exploration's source, which pytest lists with its failure, names the error: its message must not show.)
    assert "Traceback" not in text and "BudgetExceededError:" not in text


# A recording client in a fresh interpreter: vcrpy reads a whole answer before the client's own
# bounded reading sees it, so only the cap on the wire stands between it and an endless body.
RECORDING_CASE = r"""
import asyncio, json, resource, sys, tempfile
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.getrlimit(resource.RLIMIT_AS)[1]))
from pytest_idclassify.cassettes import use_cassette
from pytest_idclassify.client import AsyncIdClassifyClient, ClientConfig, IdClassifyClient
config = ClientConfig(endpoint=sys.argv[1], project_id="0123456789abcdef0123456789abcdef", auth="none")
path = Path(tempfile.mkdtemp()) / "recorded.json"

async def call_async():
    async with AsyncIdClassifyClient(config) as client:
        return (await client.post(json={})).status

try:
    with use_cassette(path, record_mode="once"):
        if sys.argv[2] == "sync":
            with IdClassifyClient(config) as client:
                result = {"status": client.post(json={}).status}
        else:
            result = {"status": asyncio.run(call_async())}
except Exception as exc:
    result = {"error": type(exc).__name__, "message": str(exc)}
result["written"] = path.exists()
print(json.dumps(result))
"""


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("behaviour", ["endless", "huge-unannounced"])
def test_recording_a_cassette_reads_no_more_than_the_bound_off_the_wire(
    hostile_url: str, behaviour: str, mode: str
) -> None:
    command = [sys.executable, "-c", RECORDING_CASE, f"{hostile_url}/{behaviour}", mode]
    done = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result.get("error") == "ResponseTooLargeError" and "max_response_bytes" in result["message"], result
    assert result["written"] is False, "nothing is recorded of an answer that was refused"
