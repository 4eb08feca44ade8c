"""The official SDK works against the emulator, unchanged but for the endpoint."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from pytest_idclassify.catalogue import clause
from pytest_idclassify.emulator import EmulatorSettings, serve

sdk_core = pytest.importorskip("huaweicloudsdkcore")
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException  # noqa: E402
from huaweicloudsdkocr.v1 import (  # noqa: E402
    AutoIdDocClassificationRequestBody,
    OcrClient,
    RecognizeAutoIdDocClassificationRequest,
)

SETTINGS = EmulatorSettings()
AK, SK = SETTINGS.credentials[0]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with serve(SETTINGS) as url:
        yield url


def sdk_client(endpoint: str, ak: str = AK, sk: str = SK, project_id: str = SETTINGS.project_id) -> Any:
    return (
        OcrClient.new_builder().with_credentials(BasicCredentials(ak, sk, project_id)).with_endpoint(endpoint).build()
    )


def call(client: Any, **body: Any) -> Any:
    request = RecognizeAutoIdDocClassificationRequest()
    request.body = AutoIdDocClassificationRequestBody(**body)
    return client.recognize_auto_id_doc_classification(request)


def _b64(fmt: str, width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, format=fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def specimen_base64(doc_type: str) -> str:
    from pytest_idclassify.images import render_scene

    scene = render_scene(doc_type)
    buffer = io.BytesIO()
    Image.fromarray(scene.pixels).save(buffer, format="JPEG", quality=92)
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_specimen_comes_back_parsed_into_the_sdk_model(endpoint: str) -> None:
    response = call(sdk_client(endpoint), data=specimen_base64("passport"), alarm=True)
    assert response.result.type == "passport"
    assert len(response.result.location) == 4
    assert response.result.alarm_result is not None
    assert response.result.alarm_confidence is not None
    assert response.x_request_id and len(response.x_request_id) == 32


@pytest.mark.parametrize(
    ("clause_id", "body", "client_args"),
    [
        ("request.data-url.exclusive", {"data": "QUFB", "url": "http://127.0.0.1/x"}, {}),
        ("request.data-url.neither", {"alarm": True}, {}),
        ("request.data.prefix", {"data": "data:image/png;base64,QUFB"}, {}),
        ("request.image.formats", {"data": _b64("GIF", 20, 20)}, {}),
        ("request.image.side-min", {"data": _b64("PNG", 14, 20)}, {}),
        ("request.url.schemes.code", {"url": "ftp://127.0.0.1/x.png"}, {}),
        ("auth.aksk.signature", {"data": "QUFB"}, {"sk": SK + "wrong"}),
        ("uri.project-id.mismatch", {"data": "QUFB"}, {"project_id": "f" * 32}),
    ],
)
def test_documented_errors_raise_the_sdks_exception(
    endpoint: str, clause_id: str, body: dict[str, Any], client_args: dict[str, str]
) -> None:
    spec = clause(clause_id).error
    assert spec is not None
    with pytest.raises(ClientRequestException) as info:
        call(sdk_client(endpoint, **client_args), **body)
    error = info.value
    assert (error.status_code, error.error_code) == (spec.status, spec.code)
    assert spec.message_ok(error.error_msg)
    assert error.request_id and len(error.request_id) == 32
