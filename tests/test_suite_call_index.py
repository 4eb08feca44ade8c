"""Which call of a case broke which rule: each violation names its call, a relation names none."""

from __future__ import annotations

import itertools
import json

from mutants._run import app_target
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_idclassify._paths import source_dir
from pytest_idclassify.cases import gate_cases
from pytest_idclassify.emulator import API_PATH
from pytest_idclassify.suite import check_case
from pytest_idclassify.suite._records import case_record
from pytest_idclassify.suite._urlhost import LoopbackImageServer


def _second_answer_broken() -> Starlette:
    """Answers every odd call with a full result, every even one with a result that lacks its location."""
    good = json.loads((source_dir() / "examples.json").read_text(encoding="utf-8"))["specimen"]["answer"]
    counter = itertools.count()

    async def classify(request: Request) -> JSONResponse:
        await request.body()
        body = good if next(counter) % 2 == 0 else {"result": {"type": "id_card", "confidence": 0.9}}
        return JSONResponse(body, headers={"X-Request-Id": "r-1"})

    return Starlette(routes=[Route(API_PATH, classify, methods=["POST"])])


def test_a_violation_names_the_call_that_broke_it_and_a_relation_names_none() -> None:
    case = next(c for c in gate_cases() if c.id == "behaviour.deterministic[specimen-twice]")
    with LoopbackImageServer().running() as images, app_target(_second_answer_broken(), images) as target:
        exchanges = [target.send(call) for call in case.calls]
    verdict = check_case(case, exchanges)
    record = case_record(case, exchanges, verdict, thumbnails=False)
    by_clause = {v["clause"]: v for v in record["violations"]}
    assert len(verdict.calls) == len(verdict.violations)
    shape = [v for v in record["violations"] if v["clause"].startswith("response.result")]
    assert shape and {v["call"] for v in shape} == {1}, record["violations"]
    assert by_clause["behaviour.deterministic"]["call"] is None


def _error_message_drifts() -> Starlette:
    """Refuses every call with AIS.0103, its message worded anew on the second call, a fresh request_id each time."""
    counter = itertools.count()

    async def classify(request: Request) -> JSONResponse:
        await request.body()
        n = next(counter)
        message = "The image size does not meet the requirements." + (" " if n % 2 else "")
        body = {"error_code": "AIS.0103", "error_msg": message, "request_id": f"r-{n}"}
        return JSONResponse(body, status_code=400, headers={"X-Request-Id": "r-1"})

    return Starlette(routes=[Route(API_PATH, classify, methods=["POST"])])


def test_a_same_answer_relation_names_where_the_answers_differ_and_ignores_request_ids() -> None:
    case = next(c for c in gate_cases() if c.id == "behaviour.deterministic[refusal-twice]")
    with LoopbackImageServer().running() as images, app_target(_error_message_drifts(), images) as target:
        exchanges = [target.send(call) for call in case.calls]
    (violation,) = [v for v in check_case(case, exchanges).violations if v.clause == "behaviour.deterministic"]
    assert "/error_msg is" in violation.message and "request_id" not in violation.message


def _refuses_everything_with(code: str) -> Starlette:
    """Refuses every call with ``code``, the same for every format."""
    messages = {
        "AIS.0105": "Recognition failed.",
        "AIS.0104": "The image is not supported or the image quality is poor.",
    }

    async def classify(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"error_code": code, "error_msg": messages[code]}, status_code=400,
                            headers={"X-Request-Id": "r-1"})  # fmt: skip

    return Starlette(routes=[Route(API_PATH, classify, methods=["POST"])])


def test_formats_refused_alike_are_no_fault_of_the_formats_relation() -> None:
    # The harmless side of bmp-unprocessable: a server that recognises nothing, in every format alike.
    case = next(c for c in gate_cases() if c.id == "behaviour.formats-equally-accepted[png-bmp-tiff]")
    for code in ("AIS.0105", "AIS.0104"):
        with LoopbackImageServer().running() as images, app_target(_refuses_everything_with(code), images) as target:
            exchanges = [target.send(call) for call in case.calls]
        assert not [v for v in check_case(case, exchanges).violations if v.clause == case.clause]
