"""The floor of a classification server: a Starlette app that only decodes the request's JPEG.

Served by uvicorn as load_emulator.py's baseline (``uvicorn _decode_only:app --workers 2``): it
parses the JSON body, base64-decodes ``data`` strictly and decodes the image with OpenCV, the
least any server answering the API must do per request, and answers a fixed body.
"""

from __future__ import annotations

import base64
import json

import cv2
import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def classify(request: Request) -> JSONResponse:
    body = await request.body()

    def decode() -> int:
        raw = base64.b64decode(json.loads(body)["data"], validate=True)
        pixels = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
        return int(pixels.shape[0])

    from starlette.concurrency import run_in_threadpool

    height = await run_in_threadpool(decode)  # CPU work off the event loop, as the emulator does
    return JSONResponse({"result": {"height": height}})


async def root(request: Request) -> PlainTextResponse:
    return PlainTextResponse("decode-only")


app = Starlette(routes=[Route("/v2/{project_id}/ocr/auto-id-doc-classification", classify, methods=["POST"]),
                        Route("/", root)])  # fmt: skip
