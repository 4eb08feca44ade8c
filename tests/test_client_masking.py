"""Secrets never leak: reprs, exceptions, SentRequest, outcomes and logs show them masked."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from test_client_support import AK, PROJECT_ID, SK, Recorder

from pytest_idclassify.client import (
    AkSkAuth,
    ClientConfig,
    IamToken,
    IamTokenSource,
    IdClassifyClient,
    SignatureRejected,
    TokenAuth,
    mask_authorization,
    mask_headers,
    mask_secret,
    verify_aksk,
)
from pytest_idclassify.errors import ConfigurationError

pytest_plugins = ["test_client_support"]

TOKEN = "MIIEXAMPLETOKEN-the-whole-thing-must-never-show-cd12"
SECURITY_TOKEN = "temporary-security-token-never-shown-9z9z"


def test_mask_secret() -> None:
    assert mask_secret(TOKEN) == "****cd12"
    assert mask_secret("short") == "****"
    assert mask_secret("exactly11ch") == "****"
    assert mask_secret("twelve-chars") == "****hars"
    assert mask_secret("") == ""
    assert mask_secret(None) == ""


def test_mask_headers_masks_every_secret_header_and_keeps_the_rest() -> None:
    headers = {
        "Authorization": f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date, Signature={'ab' * 32}",
        "X-Auth-Token": TOKEN,
        "x-security-token": SECURITY_TOKEN,
        "X-Subject-Token": TOKEN,
        "Cookie": "session=abcdefghijklmnop",
        "Content-Type": "application/json",
        "X-Project-Id": PROJECT_ID,
        "Enterprise-Project-Id": "eps-0123456789abcdef",
        "X-Access-Key": "xak-0123456789abcdef",
        "Ocp-Apim-Subscription-Key": "ocp-0123456789abcdef",
        "X-Request-Id": "request-0123456789",
    }
    masked = mask_headers(headers)
    assert list(masked) == list(headers)
    assert masked["Authorization"] == "SDK-HMAC-SHA256 Access=****0001, SignedHeaders=host;x-sdk-date, Signature=****"
    assert masked["X-Auth-Token"] == masked["X-Subject-Token"] == "****cd12"
    assert masked["x-security-token"] == "****9z9z"
    assert masked["Cookie"] == "****mnop"
    assert masked["Content-Type"] == "application/json"
    # The redaction policy decides: project ids are placeholders, any secret-named header is masked.
    assert masked["X-Project-Id"] == "{project_id}"
    assert masked["Enterprise-Project-Id"] == "{enterprise_project_id}"
    assert masked["X-Access-Key"] == masked["Ocp-Apim-Subscription-Key"] == "****cdef"
    assert masked["X-Request-Id"] == "request-0123456789"
    assert mask_headers(httpx.Headers({"authorization": "Bearer abcdefghijklmnop"})) == {"authorization": "****mnop"}
    assert mask_authorization("Basic dXNlcjpwYXNzd29yZA==") == "****ZA=="


def test_reprs_mask_secrets() -> None:
    texts = [
        repr(TokenAuth(TOKEN)),
        repr(AkSkAuth(AK, SK, SECURITY_TOKEN)),
        repr(IamToken(TOKEN, expires_at=__import__("datetime").datetime(2030, 1, 1))),
        repr(IamTokenSource("http://127.0.0.1:1", user="u", password=SK, domain="d", project_id=PROJECT_ID)),
        repr(ClientConfig(endpoint="http://127.0.0.1:1", project_id=PROJECT_ID, token=TOKEN)),
    ]
    for text in texts:
        for secret in (TOKEN, SK, AK, SECURITY_TOKEN):
            assert secret not in text, text
    assert texts[0] == "TokenAuth(token='****cd12')"
    assert texts[1] == "AkSkAuth(access_key='****0001', secret_key='****00sk', security_token='****9z9z')"


def test_sent_request_outcome_and_logs_mask_secrets(
    recorder: Recorder, served: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.answer(
        503,
        {"error_code": "ModelArts.4403", "error_msg": "Backend service unavailable error."},
        {"X-Subject-Token": TOKEN},
    )
    config = ClientConfig(
        endpoint=served, project_id=PROJECT_ID, access_key=AK, secret_key=SK, security_token=SECURITY_TOKEN
    )
    caplog.set_level(logging.DEBUG, logger="pytest_idclassify.client")
    with IdClassifyClient(config, sleep=lambda _: None) as client:
        first = client.post(json={"data": "aGVsbG8="}, headers={"X-Auth-Token": TOKEN})
    assert recorder.seen[0].header("x-auth-token") == TOKEN, "the real value goes on the wire"
    assert recorder.seen[0].header("x-security-token") == SECURITY_TOKEN
    shown = [
        repr(first),
        repr(first.sent),
        str(dict(first.sent.headers)),
        str(dict(first.headers)),
        caplog.text,
        repr(client),
    ]
    for text in shown:
        for secret in (TOKEN, SK, AK, SECURITY_TOKEN):
            assert secret not in text
    assert first.sent.headers["x-auth-token"] == "****cd12"
    assert first.sent.headers["X-Security-Token"] == "****9z9z"
    assert first.sent.headers["authorization"].endswith("Signature=****")
    assert "sending POST" in caplog.text and "retry 1 after status 503" in caplog.text


def test_exceptions_do_not_carry_secrets() -> None:
    with pytest.raises(ConfigurationError) as info:
        ClientConfig(endpoint="http://127.0.0.1:1", project_id="", token=TOKEN)
    assert TOKEN not in str(info.value)
    request = AkSkAuth(AK, SK, SECURITY_TOKEN).sign(
        httpx.Request("POST", "http://127.0.0.1:1/v2/p/ocr/auto-id-doc-classification", content=b"{}")
    )
    for credentials in ({"OTHER": SK}, {AK: "wrong-secret-key-000000"}):
        with pytest.raises(SignatureRejected) as rejected:
            verify_aksk(
                "POST",
                request.url.raw_path,
                b"",
                dict(request.headers),
                b"{}",
                credentials=credentials,
                max_skew=timedelta(minutes=15),
            )
        for secret in (SK, AK, SECURITY_TOKEN, "wrong-secret-key-000000", request.headers["authorization"]):
            assert secret not in str(rejected.value)
            assert secret not in repr(rejected.value)
