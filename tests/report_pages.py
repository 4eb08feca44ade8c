"""Conformance reports with many failures, for the HTML report's tests: a real run, then scaled up."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cli_child import VERIFY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.emulator import API_PATH

TOKEN = "a-loopback-token"


@contextmanager
def refusing_service() -> Iterator[str]:
    """A server that refuses every call with AIS.0103 and a wrong message: nearly every case fails."""

    async def classify(request: Request) -> JSONResponse:
        body = {"error_code": "AIS.0103", "error_msg": "Image too small."}
        return JSONResponse(body, status_code=400, headers={"X-Request-Id": "r-2"})

    app = Starlette(routes=[Route(API_PATH, classify, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield url


def verify_run(workdir: Path, base_url: str) -> tuple[Path, dict[str, Any]]:
    """Run ``idclassify verify`` against ``base_url``; return the HTML report's path and the JSON report."""
    command = [*VERIFY, "--base-url", base_url, "--project-id", "p1", "--auth", "token",
               "--report-html", "r.html", "--report-json", "r.json"]  # fmt: skip
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False, timeout=600,
                            env={**os.environ, "IDCLASSIFY_TOKEN": TOKEN})  # fmt: skip
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir / "r.html", json.loads((workdir / "r.json").read_text(encoding="utf-8"))


def scaled(records: Sequence[Mapping[str, Any]], failures: int) -> list[dict[str, Any]]:
    """The run's records with its failed cases repeated (as new cases) until ``failures`` cases fail.

    The copies carry what records of multi-call cases carry: each violation names the call that
    broke it, each call its attempts, each case its tier.
    """
    failed = [r for r in records if r["outcome"] == "failed"]
    out = [dict(r) for r in records]
    copies = 0
    while sum(r["outcome"] == "failed" for r in out) < failures:
        source = copy.deepcopy(failed[copies % len(failed)])
        source["case"] = f"{source['case']}#copy{copies}"
        source["tier"] = ("documented", "inferred", "assumed")[copies % 3]
        for index, call in enumerate(source["calls"]):
            call["attempts"] = [{"status": 503, "error": None, "request_id": f"r-{index}a", "elapsed": 0.01},
                                {"status": call["status"], "error": None, "request_id": call["request_id"],
                                 "elapsed": call["elapsed"]}]  # fmt: skip
        for violation in source["violations"]:
            violation["call"] = len(source["calls"]) - 1
        out.append(source)
        copies += 1
    return out
