"""Canary: distinctive fake secrets sent through every recording path never reach any written file."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.cassettes import lint_cassettes, use_cassette
from pytest_idclassify.client import ClientConfig, IdClassifyClient
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.images._flat import png_flat

PROJECT = "c0ffee00c0ffee00c0ffee00c0ffee00"
TOKEN = "CANARYTOKEN-x7Qp2LmZ9vR4tY8wK3sD"
IAM_TOKEN = "MIICANARYIAMTOKEN" + "Qz8yW2vB5nM1kJ4hG7fD0sA3pL6oI9uY"
AK = "CANARYAKZ0123456789Q"
SK = "CanarySecretKeyDoNotLeak0000000000000000"
STS = "CANARYSTS-securitytoken-Hn4Jm7Kp0Lq3"
PASSWORD = "CanaryPassw0rd-never-written-anywhere"
IAM_USER = "canary-iam-user-7731"
ENTERPRISE = "canary-eps-5d1e0a7f-9b22"
URL_SIG = "CANARYURLSIGNATURE0a1b2c3d4e5f"
URL_AK = "CANARYURLACCESSKEY77"
CANARIES = [PROJECT, TOKEN, IAM_TOKEN, AK, SK, STS, PASSWORD, IAM_USER, ENTERPRISE, URL_SIG, URL_AK]


def _iam_app() -> Starlette:
    async def tokens(request: Request) -> JSONResponse:
        body = await request.json()
        assert body["auth"]["identity"]["password"]["user"]["password"] == PASSWORD
        answer = {
            "token": {
                "expires_at": "2099-01-01T00:00:00.000000Z",
                "methods": ["password"],
                "user": {"name": IAM_USER, "id": "user-id-" + IAM_USER, "domain": {"name": "canary-domain-x1"}},
                "project": {"id": PROJECT, "name": "cn-north-4"},
            }
        }
        return JSONResponse(answer, status_code=201, headers={"X-Subject-Token": IAM_TOKEN})

    return Starlette(routes=[Route("/v3/auth/tokens", tokens, methods=["POST"])])


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    settings = EmulatorSettings(project_id=PROJECT, tokens=(TOKEN, IAM_TOKEN), credentials=((AK, SK),))
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def iam_url() -> Iterator[str]:
    with serve_in_thread(_iam_app()) as url:
        yield url


def _image() -> str:
    import io
    import random

    from PIL import Image

    rng = random.Random(7)
    picture = Image.frombytes("RGB", (120, 80), bytes(rng.randrange(256) for _ in range(120 * 80 * 3)))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _files_text(directory: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(directory.rglob("*")) if p.is_file())


def test_no_secret_and_no_image_bytes_in_any_written_file(emulator_url: str, iam_url: str, tmp_path: Path) -> None:
    data = _image()
    image_marker = data[2000:2040]
    assert len(image_marker) == 40
    signed_url = f"https://bucket.obs.example.com/card.jpg?AccessKeyId={URL_AK}&Expires=1&Signature={URL_SIG}"
    token = ClientConfig(endpoint=emulator_url, project_id=PROJECT, token=TOKEN, enterprise_project_id=ENTERPRISE)
    aksk = ClientConfig(endpoint=emulator_url, project_id=PROJECT, access_key=AK, secret_key=SK, security_token=STS)
    iam = ClientConfig(
        endpoint=emulator_url,
        project_id=PROJECT,
        iam_endpoint=iam_url,
        iam_user=IAM_USER,
        iam_password=PASSWORD,
        iam_domain="canary-domain-x1",
    )
    path = tmp_path / "cassettes" / "canary.json"
    seen: list[int] = []
    with use_cassette(path, record_mode="once"):
        for config in (token, aksk, iam):
            with IdClassifyClient(config, retry=None) as client:
                seen.append(client.classify(data=data, alarm=True).status)
                seen.append(client.classify(url=signed_url).status)
    assert seen.count(401) == 0 and len(seen) == 6
    recorded = json.loads(path.read_text())["interactions"]
    assert len(recorded) == 7  # six calls and one IAM token request

    # new_episodes appends, then drop_unused_requests rewrites the file with only what was played
    with use_cassette(path, record_mode="new_episodes"), IdClassifyClient(aksk) as client:
        client.classify(data=data, alarm=False)
    assert len(json.loads(path.read_text())["interactions"]) == 8
    with use_cassette(path, drop_unused_requests=True), IdClassifyClient(token) as client:
        assert client.classify(data=data, alarm=True).status == recorded[0]["response"]["status"]
    assert len(json.loads(path.read_text())["interactions"]) == 1
    with use_cassette(tmp_path / "cassettes" / "rewrite.json", record_mode="rewrite"), IdClassifyClient(iam) as c:
        c.classify(data=data)

    text = _files_text(tmp_path)
    for canary in CANARIES:
        assert canary not in text, canary
    assert image_marker not in text
    # Schema findings are about the emulator's answers; here only leaks matter.
    leaks = [f for f in lint_cassettes([tmp_path / "cassettes"]) if not f.rule.startswith("schema")]
    assert leaks == []


def test_a_7_mb_image_takes_at_most_4_kb(emulator_url: str, tmp_path: Path) -> None:
    header = png_flat(4000, 3000, (1, 2, 3))[:33]  # a real PNG signature and IHDR, then noise
    raw = header + os.urandom(7 * 1024 * 1024 - len(header))
    data = base64.b64encode(raw).decode("ascii")
    config = ClientConfig(endpoint=emulator_url, project_id=PROJECT, token=TOKEN)
    path = tmp_path / "big.json"
    with use_cassette(path, record_mode="once"), IdClassifyClient(config) as client:
        client.classify(data=data, alarm=True)
    stored = json.loads(path.read_text())["interactions"]
    assert len(stored) == 1
    size = len(path.read_bytes())
    assert size <= 4096, size
    digest = stored[0]["request"]["body"]["json"]["data"]
    assert digest["length"] == len(raw) and (digest["format"], digest["width"], digest["height"]) == ("png", 4000, 3000)
    with use_cassette(path), IdClassifyClient(config) as client:
        assert client.classify(data=data, alarm=True).status == stored[0]["response"]["status"]
