"""AK/SK signing: the published vector, interop with the official SDK both ways, and the verifier."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkocr.v1 import (
    AutoIdDocClassificationRequestBody,
    OcrClient,
    RecognizeAutoIdDocClassificationRequest,
)
from test_client_support import AK, OK_BODY, PROJECT_ID, SK, Recorder

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.client import (
    AkSkAuth,
    ClientConfig,
    IdClassifyClient,
    RejectReason,
    SignatureRejected,
    verify_aksk,
)

VECTOR_AK = "QTWAOYTTINDUT2QVKYUC"
VECTOR_SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
VECTOR_URL = (
    "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
    "?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"
)
VECTOR_CANONICAL_SHA256 = "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
VECTOR_SIGNATURE = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
VECTOR_HEADER = (
    "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
    f"Signature={VECTOR_SIGNATURE}"
)
FIXED_NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)

pytest_plugins = ["test_client_support"]


def vector_request() -> httpx.Request:
    return httpx.Request(
        "GET", VECTOR_URL, headers={"Content-Type": "application/json", "X-Sdk-Date": "20191115T033655Z"}
    )


def test_published_vector_gives_the_published_canonical_hash_and_header() -> None:
    auth = AkSkAuth(VECTOR_AK, VECTOR_SK)
    request = vector_request()
    canonical = auth.canonical_request(request)
    assert hashlib.sha256(canonical.encode()).hexdigest() == VECTOR_CANONICAL_SHA256
    signed = next(auth.auth_flow(request))
    assert signed.headers["Authorization"] == VECTOR_HEADER


def test_published_vector_verifies_and_a_changed_byte_does_not() -> None:
    request = AkSkAuth(VECTOR_AK, VECTOR_SK).sign(vector_request())
    now = datetime(2019, 11, 15, 3, 40, tzinfo=timezone.utc)
    identity = verify_aksk(
        "GET", request.url.raw_path, b"", request.headers.items(), b"", credentials={VECTOR_AK: VECTOR_SK}, now=now
    )
    assert identity.access_key == VECTOR_AK
    assert identity.signed_headers == ("content-type", "host", "x-sdk-date")
    assert identity.signed_at == datetime(2019, 11, 15, 3, 36, 55, tzinfo=timezone.utc)
    tampered = str(request.url).replace("limit=2", "limit=3")
    with pytest.raises(SignatureRejected) as info:
        verify_aksk(
            "GET",
            urlsplit(tampered).path + "?" + urlsplit(tampered).query,
            "",
            request.headers.items(),
            b"",
            credentials={VECTOR_AK: VECTOR_SK},
            now=now,
        )
    assert info.value.reason == RejectReason.BAD_SIGNATURE


def _sdk_signature_of(request: httpx.Request, ak: str, sk: str) -> str:
    """Recompute the signature of a request we sent with the official SDK's signer."""
    url = request.url
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in ("authorization", "accept", "accept-encoding", "connection", "content-length")
    }
    sdk_request = SdkRequest(
        method=request.method,
        schema=url.scheme,
        host=url.netloc.decode(),
        resource_path=url.path,
        query_params=list(url.params.multi_items()),
        header_params=headers,
        body=request.content,
    )
    Signer(BasicCredentials(ak, sk)).sign(sdk_request)
    return str(sdk_request.header_params["Authorization"])


@pytest.mark.parametrize("security_token", [None, "temporary-security-token-0000000000000000tail"])
def test_our_signed_request_matches_the_official_signer(
    recorder: Recorder, served: str, security_token: str | None
) -> None:
    config = ClientConfig(
        endpoint=served,
        project_id=PROJECT_ID,
        access_key=AK,
        secret_key=SK,
        security_token=security_token,
        enterprise_project_id="0",
    )
    with IdClassifyClient(config) as client:
        outcome = client.classify(data="aGVsbG8=", alarm=True, headers={"X-Extra-Header": "kept"})
    assert outcome.status == 200
    seen = recorder.seen[0]
    # Rebuild the request from what the server received, and let the SDK sign it from scratch.
    received = httpx.Request(
        seen.method,
        served + seen.raw_path.decode() + ("?" + seen.query.decode() if seen.query else ""),
        headers=seen.headers,
        content=seen.body,
    )
    authorization = seen.header("authorization")
    assert authorization is not None
    assert _sdk_signature_of(received, AK, SK) == authorization
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    expected = [
        "content-type",
        "enterprise-project-id",
        "host",
        "user-agent",
        "x-extra-header",
        "x-project-id",
        "x-sdk-date",
    ]
    if security_token:
        expected.append("x-security-token")
        assert seen.header("x-security-token") == security_token
    assert signed == sorted(expected)
    assert seen.header("x-project-id") == PROJECT_ID
    assert json.loads(seen.body) == {"data": "aGVsbG8=", "alarm": True}
    identity = verify_aksk(seen.method, seen.raw_path, seen.query, seen.headers, seen.body, credentials={AK: SK})
    assert identity.security_token == security_token
    assert identity.project_id == PROJECT_ID


def test_the_official_sdk_request_verifies_with_our_verifier(recorder: Recorder) -> None:
    with serve_in_thread(recorder.app) as url:
        client = (
            OcrClient.new_builder().with_credentials(BasicCredentials(AK, SK, PROJECT_ID)).with_endpoint(url).build()
        )
        body = AutoIdDocClassificationRequestBody(data="aGVsbG8=", alarm=True)
        response = client.recognize_auto_id_doc_classification(
            RecognizeAutoIdDocClassificationRequest(enterprise_project_id="ep-1", body=body)
        )
        assert response.result.type == OK_BODY["result"]["type"]
        assert response.x_request_id == "req-0001"
        recorder.answer(401, {"error_code": "APIG.0301", "error_msg": SignatureRejected.gateway_message})
        with pytest.raises(ClientRequestException) as info:
            client.recognize_auto_id_doc_classification(RecognizeAutoIdDocClassificationRequest(body=body))
        assert info.value.error_code == "APIG.0301"
    seen = recorder.seen[0]
    assert seen.raw_path == f"/v2/{PROJECT_ID}/ocr/auto-id-doc-classification".encode()
    identity = verify_aksk(seen.method, seen.raw_path, seen.query, seen.headers, seen.body, credentials={AK: SK})
    assert identity.access_key == AK
    assert identity.project_id == PROJECT_ID
    assert "enterprise-project-id" in identity.signed_headers
    assert "user-agent" in identity.signed_headers
    # The same request with one body byte changed must not verify: the body is really signed.
    with pytest.raises(SignatureRejected) as rejected:
        verify_aksk(
            seen.method,
            seen.raw_path,
            seen.query,
            seen.headers,
            seen.body.replace(b"true", b"false"),
            credentials={AK: SK},
        )
    assert rejected.value.reason == RejectReason.BAD_SIGNATURE


def _signed(headers: dict[str, str] | None = None, token: str | None = None) -> httpx.Request:
    request = httpx.Request(
        "POST",
        f"http://127.0.0.1:9/v2/{PROJECT_ID}/ocr/auto-id-doc-classification",
        headers={"Content-Type": "application/json;charset=utf-8", **(headers or {})},
        content=b'{"url":"http://x/a.jpg"}',
    )
    return AkSkAuth(AK, SK, token, clock=lambda: FIXED_NOW).sign(request)


def _verify(
    request: httpx.Request,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    now: datetime = FIXED_NOW,
    credentials: dict[str, str] | None = None,
) -> object:
    return verify_aksk(
        request.method,
        request.url.raw_path,
        b"",
        headers if headers is not None else dict(request.headers),
        request.content if body is None else body,
        credentials=credentials or {AK: SK},
        now=now,
    )


def _reason(**kwargs: object) -> RejectReason:
    request = kwargs.pop("request", None) or _signed()
    assert isinstance(request, httpx.Request)
    with pytest.raises(SignatureRejected) as info:
        _verify(request, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith("Incorrect IAM authentication information: verify aksk signature fail")
    assert info.value.error_code == "APIG.0301"
    assert SK not in str(info.value)
    return RejectReason(info.value.reason)


def test_verifier_reasons() -> None:
    request = _signed()
    headers = dict(request.headers)
    assert _reason(headers={k: v for k, v in headers.items() if k != "authorization"}) is RejectReason.MISSING_HEADER
    assert _reason(headers={**headers, "authorization": "Bearer abc"}) is RejectReason.MALFORMED_AUTHORIZATION
    other_algorithm = headers["authorization"].replace("SDK-HMAC-SHA256", "SDK-HMAC-SM3")
    assert _reason(headers={**headers, "authorization": other_algorithm}) is RejectReason.MALFORMED_AUTHORIZATION
    assert _reason(headers={**headers, "x-sdk-date": "yesterday"}) is RejectReason.MALFORMED_AUTHORIZATION
    assert _reason(headers={k: v for k, v in headers.items() if k != "content-type"}) is RejectReason.MISSING_HEADER
    assert _reason(now=FIXED_NOW + timedelta(minutes=15, seconds=1)) is RejectReason.DATE_SKEW
    assert _reason(now=FIXED_NOW - timedelta(minutes=16)) is RejectReason.DATE_SKEW
    assert _reason(credentials={"SOMEOTHERAK": SK}) is RejectReason.UNKNOWN_ACCESS_KEY
    assert _reason(credentials={AK: SK + "x"}) is RejectReason.BAD_SIGNATURE
    assert _reason(body=b'{"url":"http://x/b.jpg"}') is RejectReason.BAD_SIGNATURE
    assert _reason(headers={**headers, "content-type": "text/plain"}) is RejectReason.BAD_SIGNATURE
    # An unsigned security token would let anyone attach one: it must be signed when sent.
    assert _reason(headers={**headers, "x-security-token": "injected"}) is RejectReason.MISSING_HEADER
    # Exactly 15 minutes off is still accepted.
    assert _verify(request, now=FIXED_NOW + timedelta(minutes=15)) is not None


def test_unsigned_payload_is_verified_as_declared() -> None:
    request = _signed({"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"})
    assert "x-sdk-content-sha256" in request.headers["authorization"]
    # The body is not covered, as with the official SDK for non-JSON content.
    assert _verify(request, body=b"anything else") is not None


def test_a_caller_supplied_date_or_authorization_is_kept() -> None:
    stale = _signed({"X-Sdk-Date": "20200101T000000Z"})
    assert stale.headers["x-sdk-date"] == "20200101T000000Z"
    assert _reason(request=stale) is RejectReason.DATE_SKEW
    forged = _signed({"Authorization": "SDK-HMAC-SHA256 Access=X, SignedHeaders=host, Signature=00"})
    assert forged.headers["authorization"] == "SDK-HMAC-SHA256 Access=X, SignedHeaders=host, Signature=00"
    assert "x-sdk-date" not in forged.headers


def test_a_malformed_caller_date_is_a_signing_error() -> None:
    from pytest_idclassify.errors import SigningError

    with pytest.raises(SigningError, match="'2024-01-01' is not in the form YYYYMMDDTHHMMSSZ"):
        _signed({"X-Sdk-Date": "2024-01-01"})


def test_each_retry_is_signed_again_with_a_new_date(recorder: Recorder, served: str) -> None:
    recorder.answer(503, {"error_code": "ModelArts.4403", "error_msg": "Backend service unavailable error."})
    moments = iter([FIXED_NOW, FIXED_NOW + timedelta(seconds=7)])
    config = ClientConfig(endpoint=served, project_id=PROJECT_ID, access_key=AK, secret_key=SK)
    auth = AkSkAuth(AK, SK, clock=lambda: next(moments))
    with IdClassifyClient(config, auth=auth, sleep=lambda _: None) as client:
        outcome = client.classify(url="https://example.com/id.jpg")
    assert outcome.status == 200
    assert outcome.attempts == 2
    first, second = recorder.seen
    assert first.header("x-sdk-date") == "20240506T070809Z"
    assert second.header("x-sdk-date") == "20240506T070816Z"
    assert first.header("authorization") != second.header("authorization")
    for seen in recorder.seen:
        verify_aksk(
            seen.method, seen.raw_path, seen.query, seen.headers, seen.body, credentials={AK: SK}, now=FIXED_NOW
        )


def test_signing_needs_both_keys() -> None:
    from pytest_idclassify.errors import SigningError

    with pytest.raises(SigningError, match="CLOUD_SDK_AK"):
        AkSkAuth("", SK)
    with pytest.raises(SigningError, match="CLOUD_SDK_SK"):
        AkSkAuth(AK, "")
