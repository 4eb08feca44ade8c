"""Token authentication: a fixed token, and tokens fetched from a loopback IAM, cached and refreshed."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from test_client_support import PROJECT_ID, Recorder

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.client import (
    AsyncIdClassifyClient,
    ClientConfig,
    IamTokenSource,
    IdClassifyClient,
    TokenAuth,
)
from pytest_idclassify.errors import ConfigurationError, TransportError

pytest_plugins = ["test_client_support"]

PASSWORD = "correct-horse-battery-staple-1234"
START = datetime(2024, 5, 6, 12, 0, 0, tzinfo=timezone.utc)


@dataclass
class FakeIam:
    """A loopback IAM: issues numbered tokens valid for ``lifetime``, records the requests."""

    lifetime: timedelta = timedelta(hours=24)
    clock: list[datetime] = field(default_factory=lambda: [datetime.now(timezone.utc)])
    requests: list[dict[str, object]] = field(default_factory=list)
    fail_with: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/v3/auth/tokens", self.tokens, methods=["POST"])])

    async def tokens(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self.lock:
            self.requests.append(body)
            number = len(self.requests)
        if self.fail_with is not None:
            return JSONResponse(
                {"error": {"code": self.fail_with, "message": "The username or password is wrong."}},
                status_code=self.fail_with,
            )
        expires = (self.clock[0] + self.lifetime).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        return JSONResponse(
            {"token": {"expires_at": expires, "methods": ["password"]}},
            status_code=201,
            headers={"X-Subject-Token": f"MIIfetched-token-{number:03d}-" + "x" * 40},
        )


@pytest.fixture
def iam() -> Iterator[tuple[FakeIam, str]]:
    fake = FakeIam()
    with serve_in_thread(fake.app) as url:
        yield fake, url


def _source(url: str, clock: list[datetime]) -> IamTokenSource:
    """A token source whose clock is ``clock[0]``; the same list can drive the fake IAM."""
    return IamTokenSource(
        url, user="qa-user", password=PASSWORD, domain="example-domain", project_id=PROJECT_ID, clock=lambda: clock[0]
    )


def test_a_fixed_token_is_sent_as_x_auth_token(recorder: Recorder, served: str) -> None:
    config = ClientConfig.from_env({}, endpoint=served, project_id=PROJECT_ID, token="MIIfixed-token-abcd1234")
    with IdClassifyClient(config) as client:
        outcome = client.classify(data="aGVsbG8=")
    assert recorder.seen[0].header("x-auth-token") == "MIIfixed-token-abcd1234"
    assert recorder.seen[0].header("authorization") is None
    assert recorder.seen[0].header("x-project-id") is None
    assert outcome.sent.headers["X-Auth-Token"] == "****1234"


def test_iam_password_flow_fetches_caches_and_refreshes_near_expiry(iam: tuple[FakeIam, str]) -> None:
    fake, url = iam
    clock = fake.clock
    clock[0] = START
    source = _source(url, clock)
    first = source.token()
    assert first.startswith("MIIfetched-token-001")
    assert fake.requests == [
        {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": "qa-user", "password": PASSWORD, "domain": {"name": "example-domain"}}
                    },
                },
                "scope": {"project": {"id": PROJECT_ID}},
            }
        }
    ]
    clock[0] = START + timedelta(hours=23, minutes=54)
    assert source.token() == first, "a token with more than the margin left is reused"
    assert len(fake.requests) == 1
    clock[0] = START + timedelta(hours=23, minutes=56)
    second = source.token()
    assert second.startswith("MIIfetched-token-002"), "a token within 5 minutes of expiry is replaced"
    assert source.fetches == 2
    source.invalidate("some-other-token")
    assert source.token() == second
    source.invalidate(second)
    assert source.token().startswith("MIIfetched-token-003")


def test_iam_async_fetch_is_cached_too(iam: tuple[FakeIam, str]) -> None:
    fake, url = iam
    source = _source(url, [START])

    async def twice() -> tuple[str, str]:
        return await source.atoken(), await source.atoken()

    first, second = asyncio.run(twice())
    assert first == second
    assert len(fake.requests) == 1


def test_client_with_iam_flow_sends_the_fetched_token_and_refreshes_after_401(
    iam: tuple[FakeIam, str], recorder: Recorder, served: str
) -> None:
    fake, iam_url = iam
    env = {
        "IDCLASSIFY_BASE_URL": served,
        "IDCLASSIFY_PROJECT_ID": PROJECT_ID,
        "IDCLASSIFY_IAM_ENDPOINT": iam_url,
        "IDCLASSIFY_IAM_USER": "qa-user",
        "IDCLASSIFY_IAM_PASSWORD": PASSWORD,
        "IDCLASSIFY_IAM_DOMAIN": "example-domain",
    }
    config = ClientConfig.from_env(env)
    assert config.auth == "token"
    recorder.answer(401, {"error_code": "APIG.0307", "error_msg": "The token must be updated."})
    with IdClassifyClient(config) as client:
        outcome = client.classify(data="aGVsbG8=")
        again = client.classify(data="aGVsbG8=")
    assert (outcome.status, outcome.attempts) == (200, 2)
    assert (again.status, again.attempts) == (200, 1)
    tokens = [seen.header("x-auth-token") for seen in recorder.seen]
    assert tokens[0] is not None and tokens[0].startswith("MIIfetched-token-001")
    assert tokens[1] is not None and tokens[1].startswith("MIIfetched-token-002")
    assert tokens[2] == tokens[1]
    assert len(fake.requests) == 2


def test_async_client_with_iam_flow(iam: tuple[FakeIam, str], recorder: Recorder, served: str) -> None:
    _, iam_url = iam
    config = ClientConfig(
        endpoint=served,
        project_id=PROJECT_ID,
        iam_endpoint=iam_url,
        iam_user="qa-user",
        iam_password=PASSWORD,
        iam_domain="example-domain",
    )

    async def run() -> int:
        async with AsyncIdClassifyClient(config) as client:
            return (await client.classify(url="https://example.com/a.jpg")).status

    assert asyncio.run(run()) == 200
    token = recorder.seen[0].header("x-auth-token")
    assert token is not None and token.startswith("MIIfetched-token-001")


def test_iam_refusal_is_a_configuration_error_without_the_password(iam: tuple[FakeIam, str]) -> None:
    fake, url = iam
    fake.fail_with = 401
    with pytest.raises(ConfigurationError) as info:
        _source(url, [START]).token()
    message = str(info.value)
    assert "401 The username or password is wrong." in message
    assert "IDCLASSIFY_IAM_PASSWORD" in message
    assert PASSWORD not in message and PASSWORD not in repr(info.value.__cause__)


def test_iam_server_error_and_unreachable_iam_are_transport_errors(iam: tuple[FakeIam, str]) -> None:
    fake, url = iam
    fake.fail_with = 503
    with pytest.raises(TransportError, match="answered 503"):
        _source(url, [START]).token()
    with serve_in_thread(fake.app) as gone:
        pass
    with pytest.raises(TransportError, match=r"could not be reached.*IDCLASSIFY_IAM_ENDPOINT"):
        _source(gone, [START]).token()


def test_token_auth_needs_exactly_one_source() -> None:
    with pytest.raises(ConfigurationError, match="exactly one"):
        TokenAuth()
    with pytest.raises(ConfigurationError, match="empty token"):
        TokenAuth("  ")
