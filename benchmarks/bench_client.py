"""Client overheads, measured side by side in one run and printed as ratios.

- signing: our AkSkAuth vs the official SDK's Signer on the same request (1 KB and 7 MB bodies);
- verifying: verify_aksk vs signing the same request;
- in-process ASGI calls: sync client (through the blocking portal) vs async client, same app.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_client.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time

import httpx
from _ratio import best_of
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_idclassify.client import (
    AkSkAuth,
    AsyncIdClassifyClient,
    ClientConfig,
    IdClassifyClient,
    encode_json,
    verify_aksk,
)

AK, SK = "HPUAEXAMPLEAK0000001", "exampleSecretKey0000000000000000000000sk"
PROJECT = "0123456789abcdef0123456789abcdef"
URL = f"https://ocr.example.test/v2/{PROJECT}/ocr/auto-id-doc-classification"


def signing(size: int) -> None:
    body = json.dumps({"data": base64.b64encode(os.urandom(size * 3 // 4)).decode()}).encode()
    headers = {
        "Content-Type": "application/json;charset=utf-8",
        "User-Agent": "bench",
        "X-Project-Id": PROJECT,
        "X-Sdk-Date": "20240506T070809Z",
    }
    auth = AkSkAuth(AK, SK)
    # Built once: constructing an httpx.Request copies the body, which is not signing work.
    prepared = httpx.Request("POST", URL, headers=headers, content=body)

    def ours() -> object:
        prepared.headers.pop("authorization", None)
        return auth.sign(prepared)

    def sdk() -> object:
        request = SdkRequest(
            "POST",
            "https",
            "ocr.example.test",
            f"/v2/{PROJECT}/ocr/auto-id-doc-classification",
            query_params=[],
            header_params=dict(headers),
            body=body,
        )
        return Signer(BasicCredentials(AK, SK)).sign(request)

    signed = auth.sign(httpx.Request("POST", URL, headers=headers, content=body))
    pairs = list(signed.headers.raw)

    def verify() -> object:
        return verify_aksk(
            "POST",
            signed.url.raw_path,
            b"",
            pairs,
            body,
            credentials={AK: SK},
            max_skew=__import__("datetime").timedelta(days=36500),
        )

    t_ours, t_sdk, t_verify = best_of(ours, number=5), best_of(sdk, number=5), best_of(verify, number=5)
    print(
        f"sign {len(body):>9} B body: ours {t_ours * 1e6:9.1f} us, SDK {t_sdk * 1e6:9.1f} us, "
        f"ours/SDK = {t_ours / t_sdk:.2f}; verify/sign = {t_verify / t_ours:.2f}"
    )


def in_process() -> None:
    async def classify(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"result": {"type": "passport"}})

    app = Starlette(routes=[Route(f"/v2/{PROJECT}/ocr/auto-id-doc-classification", classify, methods=["POST"])])
    config = ClientConfig(endpoint="http://emulator.invalid", project_id=PROJECT, access_key=AK, secret_key=SK)
    n = 100
    with IdClassifyClient(config, app=app) as client:
        client.classify(data="aGVsbG8=")
        start = time.perf_counter()
        for _ in range(n):
            client.classify(data="aGVsbG8=")
        t_sync = (time.perf_counter() - start) / n

    async def run() -> float:
        async with AsyncIdClassifyClient(config, app=app) as aclient:
            await aclient.classify(data="aGVsbG8=")
            start = time.perf_counter()
            for _ in range(n):
                await aclient.classify(data="aGVsbG8=")
            return (time.perf_counter() - start) / n

    t_async = asyncio.run(run())
    print(
        f"in-process call: sync {t_sync * 1e6:.0f} us, async {t_async * 1e6:.0f} us, sync/async = "
        f"{t_sync / t_async:.2f}"
    )


def body_encoding() -> None:
    """A request body with a 10 MB image: the client's encode_json against json.dumps (the same bytes)."""
    body = {"data": base64.b64encode(os.urandom(7_500_000)).decode(), "alarm": True}
    reference = lambda: json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")  # noqa: E731
    assert encode_json(body) == reference()
    ours, theirs = best_of(lambda: encode_json(body), number=3), best_of(reference, number=3)
    print(f"10 MB body: encode_json {ours * 1e3:.1f} ms, json.dumps {theirs * 1e3:.1f} ms, ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    body_encoding()
    signing(1024)
    signing(7 * 1024 * 1024)
    in_process()
