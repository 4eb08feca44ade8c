"""Authentication: tokens and SDK-HMAC-SHA256 signatures, in-process and over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import anyio
import httpx
import pytest

from pytest_idclassify.catalogue import clause
from pytest_idclassify.client import AkSkAuth
from pytest_idclassify.emulator import EmulatorSettings, asgi_transport, serve

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
AK, SK = SETTINGS.credentials[0]
#: a body that passes authentication and then fails at once, so only authentication is observed.
PAST_AUTH = b"{}"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(SETTINGS) as url:
        yield url


def send(transport: str, base_url: str, auth: httpx.Auth | None, path: str = PATH, **kw: object) -> httpx.Response:
    headers = {"Content-Type": "application/json;charset=utf-8", "X-Project-Id": SETTINGS.project_id}
    headers.update(kw.pop("headers", {}))  # type: ignore[arg-type]
    if transport == "http":
        with httpx.Client(base_url=base_url, auth=auth, timeout=10) as client:
            return client.post(path, content=PAST_AUTH, headers=headers)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url="http://emulator", auth=auth) as c:
            return await c.post(path, content=PAST_AUTH, headers=headers)

    return anyio.run(go)


def code_of(response: httpx.Response) -> tuple[int, str, str]:
    payload = response.json()
    return response.status_code, payload["error_code"], payload["error_msg"]


def assert_clause(response: httpx.Response, clause_id: str) -> None:
    spec = clause(clause_id).error
    assert spec is not None
    status, code, message = code_of(response)
    assert (status, code) == (spec.status, spec.code)
    assert spec.message_ok(message), message
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("transport", ["asgi", "http"])
def test_a_good_signature_passes_authentication(transport: str, base_url: str) -> None:
    response = send(transport, base_url, AkSkAuth(AK, SK))
    # Past the gateway, the empty body is refused by the service: neither data nor url.
    assert_clause(response, "request.data-url.neither")


@pytest.mark.parametrize("transport", ["asgi", "http"])
def test_a_wrong_secret_is_refused(transport: str, base_url: str) -> None:
    assert_clause(send(transport, base_url, AkSkAuth(AK, SK + "x")), "auth.aksk.signature")


def test_an_unknown_access_key_is_refused() -> None:
    assert_clause(send("asgi", "", AkSkAuth("SOMEOTHERAK", SK)), "auth.aksk.signature")


@pytest.mark.parametrize(("minutes", "ok"), [(14, True), (-14, True), (16, False), (-16, False)])
def test_date_skew_limit(minutes: int, ok: bool) -> None:
    def clock() -> datetime:
        return datetime.now(timezone.utc) + timedelta(minutes=minutes)

    response = send("asgi", "", AkSkAuth(AK, SK, clock=clock))
    assert_clause(response, "request.data-url.neither" if ok else "auth.aksk.date-skew")


def test_a_tampered_body_breaks_the_signature() -> None:
    auth = AkSkAuth(AK, SK)
    request = httpx.Request("POST", "http://emulator" + PATH, content=b'{"alarm": true}', headers={"Host": "emulator"})
    signed = auth.sign(request)
    headers = {k: v for k, v in signed.headers.items() if k.lower() not in {"content-length"}}

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url="http://emulator") as c:
            return await c.post(PATH, content=b'{"alarm": false}', headers=headers)

    assert_clause(anyio.run(go), "auth.aksk.signature")


def test_signed_request_for_another_project() -> None:
    other = PATH.replace(SETTINGS.project_id, "f" * 32)
    response = send("asgi", "", AkSkAuth(AK, SK), path=other, headers={"X-Project-Id": "f" * 32})
    assert_clause(response, "uri.project-id.mismatch")
    # The path and X-Project-Id disagree.
    response = send("asgi", "", AkSkAuth(AK, SK), headers={"X-Project-Id": "e" * 32})
    assert_clause(response, "uri.project-id.mismatch")


def test_token_auth_and_configured_tokens() -> None:
    custom = EmulatorSettings(tokens=("alpha", "beta"), expired_tokens=(("gamma", "2020-02-02T00:00:00Z"),))

    async def go(token: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(custom), base_url="http://emulator") as c:
            return await c.post(PATH, content=PAST_AUTH, headers={"X-Auth-Token": token})

    assert code_of(anyio.run(go, "beta"))[1] == "AIS.0101"
    assert code_of(anyio.run(go, "gamma"))[2].endswith("token expires, expires_at: 2020-02-02T00:00:00Z")
    assert_clause(anyio.run(go, SETTINGS.tokens[0]), "auth.token.invalid")
