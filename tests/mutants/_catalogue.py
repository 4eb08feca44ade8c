"""The mutants: the reference emulator made wrong in exactly one documented way each.

Each mutant is a :class:`Rewrite` around the real emulator (or the emulator with one setting
changed) and names the clauses a contract run must report when it catches the fault.  The hooks
touch only the requests or answers their fault concerns, so every other clause still holds.
"""

from __future__ import annotations

import base64
import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx
from starlette.types import ASGIApp

from mutants._asgi import After, Answer, Before, Rewrite, Seen
from pytest_idclassify.emulator._settings import DEFAULT_TOKEN

#: the emulator's URL fetch timeout in these runs: short, so slow-URL cases decide quickly.
FETCH_TIMEOUT = 1.0
_AUTH_CLAUSES = frozenset(
    {"auth.token.missing", "auth.token.invalid", "auth.token.expired", "auth.aksk.signature", "auth.aksk.date-skew"}
)


@dataclass(frozen=True)
class Mutant:
    """An emulator broken in one way: what is wrong, and the clauses that must catch it."""

    name: str
    fault: str
    kills: frozenset[str]
    before: Before | None = None
    after: After | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: run it on a real port through the suite's live target (retries on, URL images from loopback)
    #: rather than in-process: for faults that only a served target can show.
    served: bool = False

    def app(self) -> ASGIApp:
        """Build a fresh broken app around a fresh emulator."""
        from pytest_idclassify.emulator import EmulatorSettings, create_app

        app: ASGIApp = create_app(EmulatorSettings(**{"fetch_timeout": FETCH_TIMEOUT, **self.settings}))
        if self.before is None and self.after is None:
            return app
        return Rewrite(app, before=self.before, after=self.after)


def plausible_answer(seen: Seen) -> Answer:
    """A 200 a recogniser could give for the request's image: a passport inset in the frame."""
    info = seen.image
    width, height = (info.width, info.height) if info is not None else (640, 400)
    x0, y0, x1, y1 = width // 8, height // 8, width - 1 - width // 8, height - 1 - height // 8
    result: dict[str, Any] = {"type": "passport", "location": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                              "confidence": 0.9}  # fmt: skip
    if seen.alarm:
        result["alarm_result"] = dict.fromkeys(_FLAGS, False)
        result["alarm_confidence"] = dict.fromkeys(_SCORES, 0)
    return Answer.of_json(200, {"result": result})


_FLAGS = ("detect_blur_result", "detect_glare_result", "detect_blocking_within_border_result",
          "detect_insufficient_lighting_result", "detect_copy_result", "detect_border_integrity_result",
          "detect_reproduce_result")  # fmt: skip
_SCORES = ("blur_score", "glare_score", "blocking_within_border_score", "insufficient_lighting_score", "copy_score",
           "border_integrity_score", "reproduce_score")  # fmt: skip
_TYPES = ("peru_id_card", "cambodian_id_card", "hongkong_id_card", "macao_id_card", "myanmar_driver_license",
          "myanmar_id_card", "passport", "thailand_id_card", "id_card")  # fmt: skip


def _min_side(seen: Seen) -> int | None:
    return min(seen.image.width, seen.image.height) if seen.image is not None else None


def _max_side(seen: Seen) -> int | None:
    return max(seen.image.width, seen.image.height) if seen.image is not None else None


def _error(seen: Seen, status: int, code: str, message: str) -> Answer:
    return Answer.of_json(status, {"error_code": code, "error_msg": message})


def _on_result(change: Any) -> After:
    """An ``after`` hook that edits the ``result`` of 200 answers only."""

    def after(seen: Seen, answer: Answer) -> Answer:
        result = answer.result
        if result is None:
            return answer
        edited = change(seen, dict(result))
        return answer.with_json({**answer.json, "result": edited})

    return after


def _on_error(code: str, change: Callable[[Answer, dict[str, Any]], Answer]) -> After:
    """An ``after`` hook that edits error answers carrying ``code`` only."""

    def after(seen: Seen, answer: Answer) -> Answer:
        document = answer.json
        if not (isinstance(document, dict) and document.get("error_code") == code):
            return answer
        return change(answer, dict(document))

    return after


def _with_score(name: str, value: Any) -> Any:
    def change(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
        if "alarm_confidence" in result:
            result["alarm_confidence"] = {**result["alarm_confidence"], name: value}
        return result

    return change


def _score_100(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if "alarm_confidence" in result:
        result["alarm_confidence"] = {**result["alarm_confidence"], "blur_score": 100}
        result["alarm_result"] = {**result["alarm_result"], "detect_blur_result": True}
    return result


def _whole_fractions(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    # 139.0 for 139: the value is whole, the JSON text is not an Integer.
    location = result.get("location")
    if isinstance(location, list):
        result["location"] = [[float(v) for v in point] for point in location]
    if "alarm_confidence" in result:
        result["alarm_confidence"] = {k: float(v) for k, v in result["alarm_confidence"].items()}
    return result


def _float_score(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if "alarm_confidence" in result:
        result["alarm_confidence"] = {**result["alarm_confidence"],
                                      "blur_score": result["alarm_confidence"]["blur_score"] + 0.5}  # fmt: skip
    return result


def _blur_reversed(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if "alarm_confidence" in result:
        score = 99 - int(result["alarm_confidence"]["blur_score"])
        result["alarm_confidence"] = {**result["alarm_confidence"], "blur_score": score}
        result["alarm_result"] = {**result["alarm_result"], "detect_blur_result": score >= 50}
    return result


def _alarm_without_asking(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if not seen.alarm:
        result["alarm_result"] = dict.fromkeys(_FLAGS, False)
        result["alarm_confidence"] = dict.fromkeys(_SCORES, 0)
    return result


def _drop_glare_flag(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if "alarm_result" in result:
        result["alarm_result"] = {k: v for k, v in result["alarm_result"].items() if k != "detect_glare_result"}
    return result


def _shifted_type(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if seen.alarm and result.get("type") in _TYPES:
        result["type"] = _TYPES[(_TYPES.index(result["type"]) + 1) % len(_TYPES)]
    return result


def _location_outside(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if seen.image is not None:
        width = seen.image.width
        result["location"] = [[x + width, y] for x, y in result["location"]]
    return result


# A private generator: the fault is that answers vary between identical requests, not the seed.
_noise = random.Random(20240101)


def _random_confidence(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    result["confidence"] = round(_noise.uniform(0.5, 1.0), 4)
    return result


def _accept_if(predicate: Any) -> Before:
    def before(seen: Seen) -> Answer | None:
        return plausible_answer(seen) if predicate(seen) else None

    return before


def _refuse_side_15(seen: Seen) -> Answer | None:
    if _min_side(seen) == 15:
        return _error(seen, 400, "AIS.0103", "The image size does not meet the requirements.")
    return None


_UNREADABLE_ANSWER = (400, "AIS.0104", "The image is not supported or the image quality is poor.")


def _refuse_sides_over_8000(seen: Seen) -> Answer | None:
    # A limit narrower than the page's 8,192 px, given as the image's fault rather than its size's.
    side = _max_side(seen)
    return _error(seen, *_UNREADABLE_ANSWER) if side is not None and 8000 < side <= 8192 else None


def _refuse_files_over_5mb(seen: Seen) -> Answer | None:
    data = seen.fields.get("data")
    return _error(seen, *_UNREADABLE_ANSWER) if isinstance(data, str) and len(data) * 3 // 4 > 5 << 20 else None


def _any_path_served(seen: Seen) -> Seen | None:
    # A stand-in that answers wherever it is asked, as a mock routing on the method alone does.
    parts = seen.path.split("/")
    if len(parts) > 2 and parts[1] == "v2" and not seen.path.endswith("/ocr/auto-id-doc-classification"):
        return replace(seen, path=f"/v2/{parts[2]}/ocr/auto-id-doc-classification")
    return None


def _drop_url(seen: Seen) -> Seen | None:
    fields = seen.fields
    if isinstance(fields.get("data"), str) and fields["data"] and isinstance(fields.get("url"), str) and fields["url"]:
        return seen.with_json({k: v for k, v in fields.items() if k != "url"})
    return None


def _truthy_alarm(seen: Seen) -> Seen | None:
    fields = seen.fields
    if "alarm" in fields and not isinstance(fields["alarm"], bool):
        return seen.with_json({**fields, "alarm": bool(fields["alarm"])})
    return None


def null_alarm_absent(seen: Seen) -> Seen | None:
    """Read ``"alarm": null`` as no alarm at all: the request goes on without the field."""
    fields = seen.fields
    if "alarm" in fields and fields["alarm"] is None:
        return seen.with_json({k: v for k, v in fields.items() if k != "alarm"})
    return None


def _default_token(seen: Seen) -> Seen | None:
    if seen.header("x-auth-token") is None and seen.header("authorization") is None:
        return seen.with_headers(x_auth_token=DEFAULT_TOKEN)
    return None


def _any_signature(seen: Seen) -> Seen | None:
    if (seen.header("authorization") or "").startswith("SDK-HMAC-SHA256"):
        return seen.with_headers(authorization=None, x_sdk_date=None, x_auth_token=DEFAULT_TOKEN)
    return None


def _strict_enterprise_project(seen: Seen) -> Answer | None:
    value = seen.header("enterprise-project-id")
    if value is None or value == "0":
        return None
    parts = value.split("-")
    if [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in "0123456789abcdef" for c in value.replace("-", "")):
        return None
    return _error(seen, 400, "AIS.0101", "The input parameter is invalid.")


def _apig_0301_suffix(answer: Answer, document: dict[str, Any]) -> Answer:
    return answer.with_json({**document, "error_msg": "Incorrect IAM authentication information: unauthorized"})


def _token_codes_crossed(answer: Answer, document: dict[str, Any]) -> Answer:
    # Documented codes, each for the other condition.
    reason = str(document.get("error_msg", "")).rpartition(": ")[2]
    crossed = {"x-auth-token not found": ("ModelArts.0203", "Invalid token."),
               "decrypt token fail": ("ModelArts.4101", "Token header cannot be empty.")}  # fmt: skip
    if reason not in crossed:
        return answer
    return answer.with_json({"error_code": crossed[reason][0], "error_msg": crossed[reason][1]})


def _side_message(answer: Answer, document: dict[str, Any]) -> Answer:
    return answer.with_json({**document, "error_msg": "The image size is invalid."})


def _prefixed_code(seen: Seen, answer: Answer) -> Answer:
    data = seen.fields.get("data")
    if isinstance(data, str) and data.lstrip().lower().startswith("data:") and answer.status == 400:
        return answer.with_json({"error_code": "AIS.0101", "error_msg": "The input parameter is invalid."})
    return answer


def _json_500(answer: Answer, document: dict[str, Any]) -> Answer:
    return answer.with_json(document, status=500)


def _entity_400(answer: Answer, document: dict[str, Any]) -> Answer:
    return answer.with_json(document, status=400) if answer.status == 413 else answer


def _result_on_error(seen: Seen, answer: Answer) -> Answer:
    document = answer.json
    if answer.status != 200 and isinstance(document, dict) and "error_code" in document:
        return answer.with_json({**document, "result": {}})
    return answer


def _error_on_success(seen: Seen, answer: Answer) -> Answer:
    if answer.result is not None:
        return answer.with_json({**answer.json, "error_code": "AIS.0000", "error_msg": "success"})
    return answer


def _no_request_id(seen: Seen, answer: Answer) -> Answer:
    return answer.without_header("x-request-id")


def _xml_labelled(seen: Seen, answer: Answer) -> Answer:
    # The JSON body unchanged, labelled as XML: the official SDK then fails to parse every answer.
    labelled = answer.without_header("content-type")
    return replace(labelled, headers=(*labelled.headers, ("content-type", "application/xml")))


def _format_side(fmt: str, axis: str, side: int) -> Callable[[Seen], bool]:
    """Whether a request's image is a ``fmt`` file whose ``axis`` ("width"/"height") is ``side`` px."""
    return lambda s: s.image is not None and s.image.format == fmt and getattr(s.image, axis) == side


def _refuse_if(predicate: Callable[[Seen], bool]) -> Before:
    def before(seen: Seen) -> Answer | None:
        if predicate(seen):
            return _error(seen, 400, "AIS.0103", "The image size does not meet the requirements.")
        return None

    return before


def _url_of(seen: Seen) -> str | None:
    url = seen.fields.get("url")
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) and url.isascii() else None


def _fetch(url: str) -> httpx.Response | None:
    # The hooks run inside the served app's event loop; the image server has its own thread and loop.
    try:
        return httpx.get(url, timeout=FETCH_TIMEOUT, follow_redirects=True)
    except httpx.HTTPError:
        return None


def _refuse_valid_urls(seen: Seen) -> Answer | None:
    if _url_of(seen) is not None:
        return _error(seen, 400, "ModelArts.4603", "Obtaining the file from the URL failed.")
    return None


def _as_data(seen: Seen, content: bytes) -> Seen:
    """The request as if ``content`` (what a URL gave) had been sent as ``data``."""
    return seen.with_json({**seen.fields, "url": None, "data": base64.b64encode(content).decode()})


def _fetched(seen: Seen, *, any_status: bool = False) -> Seen | None:
    """The request with its URL's download as ``data``: a 200 only, unless ``any_status``."""
    url = _url_of(seen)
    fetched = _fetch(url) if url is not None else None
    if fetched is None or (fetched.status_code != 200) != any_status:
        return None
    return _as_data(seen, fetched.content)


def _url_sides_unchecked(seen: Seen) -> Answer | None:
    as_data = _fetched(seen)
    info = as_data.image if as_data is not None else None
    if as_data is None or info is None or (min(info.width, info.height) >= 15 and max(info.width, info.height) <= 8192):
        return None
    return plausible_answer(as_data)


def _follows_redirects_anywhere(seen: Seen) -> Answer | None:
    # A fetcher that follows a redirect to any scheme: a file: URL on this machine is read and served.
    url = _url_of(seen)
    try:
        first = httpx.get(url, timeout=FETCH_TIMEOUT, follow_redirects=False) if url is not None else None
    except httpx.HTTPError:
        return None
    location = first.headers.get("location", "") if first is not None else ""
    if not location.startswith("file:"):
        return None
    return plausible_answer(_as_data(seen, Path(url2pathname(urlsplit(location).path)).read_bytes()))


def _status_ignored(seen: Seen) -> Answer | None:
    # A fetcher that reads whatever body a download returns, 404 and 500 included, and serves it.
    as_data = _fetched(seen, any_status=True)
    return plausible_answer(as_data) if as_data is not None else None


def _url_max_side_unchecked(seen: Seen) -> Answer | None:
    # The 8192 px limit held for data only: a fetched image of any height is served.
    as_data = _fetched(seen)
    info = as_data.image if as_data is not None else None
    return (
        plausible_answer(as_data)
        if as_data is not None and info is not None and max(info.width, info.height) > 8192
        else None
    )


def _bmp_unprocessable(seen: Seen) -> Answer | None:
    # Sizes checked for every format, and then no BMP can be processed: each one is "not supported".
    info = seen.image
    if info is None or info.format != "bmp" or min(info.width, info.height) < 15 or max(info.width, info.height) > 8192:
        return None
    return _error(seen, 400, "AIS.0104", "The image is not supported or the image quality is poor.")


def _url_404_passed_on(seen: Seen, answer: Answer) -> Answer:
    url = _url_of(seen)
    if url is None or not isinstance(answer.json, dict) or answer.json.get("error_code") != "ModelArts.4603":
        return answer
    fetched = _fetch(url)
    if fetched is None or fetched.status_code != 404:
        return answer
    message = "The API does not exist or has not been published in the environment."
    return Answer.of_json(404, {"error_code": "APIG.0101", "error_msg": message})


def _every_nth(n: int, status: int, code: str, message: str) -> After:
    """An ``after`` hook that replaces every ``n``-th answer with a ``status`` error (a retry then succeeds)."""
    counter = itertools.count(1)

    def after(seen: Seen, answer: Answer) -> Answer:
        if next(counter) % n == 0:
            return Answer.of_json(status, {"error_code": code, "error_msg": message})
        return answer

    return after


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "accepts-side-14",
        "answers a plausible 200 for an image whose shorter side is 14 px",
        frozenset({"request.image.side-min"}),
        before=_accept_if(lambda s: _min_side(s) == 14),
    ),
    Mutant(
        "rejects-side-15",
        "refuses an image whose shorter side is 15 px with AIS.0103",
        frozenset({"request.image.side-min"}),
        before=_refuse_side_15,
    ),
    Mutant(
        "sides-over-8000-unreadable",
        "refuses a picture with a side over 8,000 px (but within 8,192) as unsupported, AIS.0104",
        frozenset({"behaviour.within-limits-equally-accepted"}),
        before=_refuse_sides_over_8000,
    ),
    Mutant(
        "files-over-5mb-unreadable",
        "refuses an image file over 5 MiB as unsupported, AIS.0104",
        frozenset({"behaviour.within-limits-equally-accepted"}),
        before=_refuse_files_over_5mb,
    ),
    Mutant(
        "any-path-served",
        "answers a POST to any path under /v2/{project_id}/ as this API (a misspelt path is served)",
        frozenset({"error.APIG.0101"}),
        before=_any_path_served,
    ),
    Mutant(
        "accepts-side-8193",
        "answers a plausible 200 for an image whose longer side is 8193 px",
        frozenset({"request.image.side-max"}),
        before=_accept_if(lambda s: _max_side(s) == 8193),
    ),
    Mutant(
        "prefixed-data-wrong-code",
        "refuses a data: prefixed image with AIS.0101 instead of AIS.0102",
        frozenset({"request.data.prefix"}),
        after=_prefixed_code,
    ),
    Mutant(
        "side-wrong-message",
        "answers AIS.0103 with another message",
        frozenset({"error.AIS.0103", "request.image.side-min", "request.image.side-max"}),
        after=_on_error("AIS.0103", _side_message),
    ),
    Mutant(
        "alarm-fields-unasked",
        "adds alarm_result and alarm_confidence when alarm is not true",
        frozenset({"cross.alarm.present-iff-requested", "cross.alarm.default-false"}),
        after=_on_result(_alarm_without_asking),
    ),
    Mutant(
        "alarm-field-missing",
        "leaves detect_glare_result out of alarm_result",
        frozenset({"response.alarm-result", "response.alarm-result.detect_glare_result"}),
        after=_on_result(_drop_glare_flag),
    ),
    Mutant(
        "score-100",
        "answers blur_score 100 (and raises its alarm)",
        frozenset({"response.alarm-confidence", "response.alarm-confidence.blur_score"}),
        after=_on_result(_score_100),
    ),
    Mutant(
        "score-float",
        "answers blur_score as a number with a fraction",
        frozenset({"response.alarm-confidence", "response.alarm-confidence.blur_score"}),
        after=_on_result(_float_score),
    ),
    Mutant(
        "integers-as-fractions",
        "writes every corner coordinate and score with a fraction part (139.0)",
        frozenset({"response.result.location"} | {f"response.alarm-confidence.{s}" for s in _SCORES}),
        after=_on_result(_whole_fractions),
    ),
    Mutant(
        "location-three-points",
        "answers location with three corners",
        frozenset({"response.result.location"}),
        after=_on_result(lambda s, r: {**r, "location": r["location"][:3]}),
    ),
    Mutant(
        "location-outside",
        "shifts location right by the image's width",
        frozenset({"cross.location.inside-image"}),
        after=_on_result(_location_outside),
    ),
    Mutant(
        "error-with-result",
        "adds an empty result to error bodies",
        frozenset({"cross.result.absent-on-failure"}),
        after=_result_on_error,
    ),
    Mutant("no-request-id", "sends no X-Request-Id header", frozenset({"behaviour.request-id"}), after=_no_request_id),
    Mutant(
        "xml-content-type",
        "labels its JSON answers Content-Type application/xml",
        frozenset({"behaviour.json-content-type"}),
        after=_xml_labelled,
    ),
    Mutant(
        "bad-json-500",
        "answers a body that is not JSON with HTTP 500",
        frozenset({"request.body.json", "error.ModelArts.4105", "behaviour.statuses"}),
        after=_on_error("ModelArts.4105", _json_500),
    ),
    Mutant(
        "type-follows-alarm",
        "answers another document type when alarm is true",
        frozenset({"behaviour.alarm-toggle", "behaviour.classifies-nine-types"}),
        after=_on_result(_shifted_type),
    ),
    Mutant(
        "blur-score-reversed",
        "answers 99 minus the blur score, so more blur scores lower",
        frozenset({"behaviour.score-monotone.blur_score"}),
        after=_on_result(_blur_reversed),
    ),
    Mutant(
        "data-and-url-served",
        "serves a body with both data and url from data",
        frozenset({"request.data-url.exclusive"}),
        before=_drop_url,
    ),
    Mutant(
        "gif-served",
        "answers a plausible 200 for a GIF",
        frozenset({"request.image.formats"}),
        before=_accept_if(lambda s: s.image is not None and s.image.format == "gif"),
    ),
    Mutant(
        "alarm-truthy",
        "reads a non-boolean alarm as its truth value instead of refusing it",
        frozenset({"request.alarm.type"}),
        before=_truthy_alarm,
    ),
    Mutant(
        "confidence-string",
        "answers confidence as a string",
        frozenset({"response.result.confidence"}),
        after=_on_result(lambda s, r: {**r, "confidence": str(r["confidence"])}),
    ),
    Mutant(
        "type-unknown",
        "answers a type that is not one of the nine",
        frozenset({"response.result.type"}),
        after=_on_result(lambda s, r: {**r, "type": "driving_licence"}),
    ),
    Mutant(
        "apig-0301-suffix",
        "ends APIG.0301 messages with an undocumented reason",
        _AUTH_CLAUSES | {"error.APIG.0301"},
        after=_on_error("APIG.0301", _apig_0301_suffix),
    ),
    Mutant(
        "token-codes-crossed",
        "answers a missing token with ModelArts.0203 and an invalid one with ModelArts.4101",
        frozenset({"auth.token.missing", "auth.token.invalid"}),
        after=_on_error("APIG.0301", _token_codes_crossed),
    ),
    Mutant(
        "token-optional",
        "serves a request without X-Auth-Token or signature",
        frozenset({"auth.token.missing"}),
        before=_default_token,
    ),
    Mutant(
        "signature-unchecked",
        "serves any AK/SK signed request without verifying the signature",
        frozenset({"auth.aksk.signature", "auth.aksk.date-skew"}),
        before=_any_signature,
    ),
    Mutant(
        "entity-400",
        "answers a body over 12 MB with HTTP 400 instead of 413",
        frozenset({"request.body.max-size", "error.APIG.0201.413"}),
        after=_on_error("APIG.0201", _entity_400),
    ),
    Mutant(
        "confidence-random",
        "answers a random confidence to each call",
        frozenset(
            {
                "behaviour.deterministic",
                "behaviour.alarm-toggle",
                "header.enterprise-project-id.any-value",
                "behaviour.reencode-keeps-type",
            }
        ),
        after=_on_result(_random_confidence),
    ),
    Mutant(
        "enterprise-project-validated",
        "refuses a malformed Enterprise-Project-Id with AIS.0101",
        frozenset({"header.enterprise-project-id.any-value"}),
        before=_strict_enterprise_project,
    ),
    Mutant(
        "success-with-error-code",
        "adds error_code and error_msg to 200 bodies",
        frozenset({"cross.error.absent-on-success"}),
        after=_error_on_success,
    ),
    Mutant(
        "lenient-base64",
        "repairs non-canonical base64 instead of refusing it (setting strict_base64)",
        frozenset({"request.data.base64-noncanonical"}),
        settings={"strict_base64": False},
    ),
    Mutant(
        "alarm-threshold-0",
        "raises every alarm whatever its score (setting alarm_threshold=0)",
        frozenset({"cross.alarm.result-matches-score"}),
        settings={"alarm_threshold": 0},
    ),
    Mutant(
        "no-document-as-0104",
        "answers an image without a document with AIS.0104 (setting code_no_document)",
        frozenset({"request.image.no-document"}),
        settings={"code_no_document": "AIS.0104"},
    ),
    Mutant(
        "tiff-accepts-8193",
        "answers a plausible 200 for a TIFF 8193 px wide (its limit off by one, every other format right)",
        frozenset({"request.image.side-max"}),
        before=_accept_if(_format_side("tiff", "width", 8193)),
    ),
    Mutant(
        "bmp-refuses-height-15",
        "refuses a BMP 15 px high with AIS.0103 (other formats, and BMP 15 px wide, are right)",
        frozenset({"request.image.side-min"}),
        before=_refuse_if(_format_side("bmp", "height", 15)),
    ),
    Mutant(
        "jpeg-accepts-height-8193",
        "answers a plausible 200 for a JPEG 8193 px high (JPEG 8193 px wide is refused)",
        frozenset({"request.image.side-max"}),
        before=_accept_if(_format_side("jpeg", "height", 8193)),
    ),
    Mutant(
        "refuses-valid-urls",
        "refuses every http(s) URL with ModelArts.4603, reachable or not (served on a real port)",
        frozenset({"request.url.chinese-encoded", "request.url.schemes"}),
        before=_refuse_valid_urls,
        served=True,
    ),
    Mutant(
        "redirects-refused",
        "refuses every URL that redirects (setting fetch_max_redirects=0): a choice the page leaves open",
        frozenset({"request.url.redirect-followed"}),
        settings={"fetch_max_redirects": 0},
    ),
    Mutant(
        "redirect-to-any-scheme",
        "follows a URL's redirect to a file: URL and serves the file it names (served on a real port)",
        frozenset({"request.url.schemes"}),
        before=_follows_redirects_anywhere,
        served=True,
    ),
    Mutant(
        "url-sides-unchecked",
        "fetches a URL's image and serves it whatever its sides (served on a real port)",
        frozenset({"request.image.side-min"}),
        before=_url_sides_unchecked,
        served=True,
    ),
    Mutant(
        "bmp-unprocessable",
        "refuses every BMP within the size limits with AIS.0104, as if it could not process the format",
        frozenset({"behaviour.formats-equally-accepted"}),
        before=_bmp_unprocessable,
    ),
    Mutant(
        "url-max-side-unchecked",
        "serves a fetched image past 8192 px (the limit held for data only; served on a real port)",
        frozenset({"request.image.side-max"}),
        before=_url_max_side_unchecked,
        served=True,
    ),
    Mutant(
        "fetch-status-ignored",
        "serves the body of a URL download whatever its HTTP status (served on a real port)",
        frozenset({"request.url.fetch-failure"}),
        before=_status_ignored,
        served=True,
    ),
    Mutant(
        "fetch-without-timeout",
        "waits for a slow URL as long as it takes (setting fetch_timeout=10, past the slow answer's stall)",
        frozenset({"request.url.fetch-slow"}),
        settings={"fetch_timeout": 10.0},
    ),
    Mutant(
        "url-size-unchecked",
        "downloads and serves a URL's image of any size (setting fetch_max_bytes=64 MiB)",
        frozenset({"request.url.size-max"}),
        settings={"fetch_max_bytes": 64 << 20},
    ),
    Mutant(
        "url-size-7mb",
        "refuses a URL's image over 7,000,000 bytes, a 7 MiB file among them (setting fetch_max_bytes)",
        frozenset({"request.url.size-max"}),
        settings={"fetch_max_bytes": 7_000_000},
    ),
    Mutant(
        "alarm-null-absent",
        "reads an alarm of null as not given and answers without alarms",
        frozenset({"request.alarm.null"}),
        before=null_alarm_absent,
    ),
    Mutant(
        "url-404-passed-on",
        "answers a URL that gives 404 with its own HTTP 404 APIG.0101 (served on a real port)",
        frozenset({"request.url.fetch-failure.code", "behaviour.statuses"}),
        after=_url_404_passed_on,
        served=True,
    ),
    Mutant(
        "every-7th-500",
        "answers every 7th call HTTP 500, which the client's retry then hides (served on a real port)",
        frozenset({"behaviour.statuses"}),
        after=_every_nth(7, 500, "ModelArts.4505", "Backend service internal error."),
        served=True,
    ),
    Mutant(
        "every-7th-429",
        "throttles every 7th call with 429 APIG.0308, which the client's retry then hides (served on a real port)",
        frozenset({"behaviour.statuses"}),
        after=_every_nth(
            7,
            429,
            "APIG.0308",
            "The throttling threshold has been reached: policy user over ratelimit,limit:30,time:1 minute",
        ),
        served=True,
    ),
    Mutant(
        "clock-skew-hour",
        "accepts an X-Sdk-Date an hour off (setting max_clock_skew_seconds)",
        frozenset({"auth.aksk.date-skew"}),
        settings={"max_clock_skew_seconds": 3600},
    ),
)


# --- Mutants that break an inferred clause: each is caught by the inferred clause it names. ---------------------


def _location_follows_alarm(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    if seen.alarm:
        result["location"] = [[max(0, x - 1), y] for x, y in result["location"]]
    return result


def _confidence_above_one(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "confidence": 1.2}


class _TypeOnRepeat:
    """Answers another type the second time it sees an image (a classifier whose cache is keyed wrongly)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    def __call__(self, seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
        key = hash(seen.fields.get("data"))
        if key in self.seen and result.get("type") in _TYPES:
            result["type"] = _TYPES[(_TYPES.index(result["type"]) + 1) % len(_TYPES)]
        self.seen.add(key)
        return result


def _blur_alarm_band(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    # Two thresholds at once: on from 50, off again from 85, so a higher score can have its alarm off.
    if "alarm_confidence" in result:
        score = result["alarm_confidence"]["blur_score"]
        result["alarm_result"] = {**result["alarm_result"], "detect_blur_result": 50 <= score < 85}
    return result


def _blur_alarm_at_zero(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    # One answer is enough to convict: a flag raised at score 0 needs a threshold of 0, outside (0, 99].
    if "alarm_confidence" in result and result["alarm_confidence"]["blur_score"] == 0:
        result["alarm_result"] = {**result["alarm_result"], "detect_blur_result": True}
    return result


def _scores_as_quality(seen: Seen, result: dict[str, Any]) -> dict[str, Any]:
    # Scores that measure quality, not likelihood: a clean image's 0 becomes 99 with its alarm still off.
    if "alarm_confidence" in result:
        result["alarm_confidence"] = {k: 99 - v for k, v in result["alarm_confidence"].items()}
    return result


INFERRED_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "location-follows-alarm",
        "moves location one pixel left when alarm is true",
        frozenset({"behaviour.alarm-toggle"}),
        after=_on_result(_location_follows_alarm),
    ),
    Mutant(
        "confidence-1.2",
        "answers a confidence of 1.2",
        frozenset({"cross.confidence.range"}),
        after=_on_result(_confidence_above_one),
    ),
    Mutant(
        "type-changes-on-repeat",
        "answers another type the second time the same image is sent",
        frozenset({"behaviour.same-image-same-type"}),
        after=_on_result(_TypeOnRepeat()),
    ),
    Mutant(
        "blur-alarm-band",
        "raises the blur alarm for scores 50..84 only: flags from two thresholds no single one explains",
        frozenset({"cross.alarm.threshold-consistent"}),
        after=_on_result(_blur_alarm_band),
    ),
    Mutant(
        "blur-alarm-at-score-0",
        "raises the blur alarm when blur_score is 0",
        frozenset({"cross.alarm.threshold-consistent"}),
        after=_on_result(_blur_alarm_at_zero),
    ),
    Mutant(
        "scores-as-quality",
        "answers each alarm score as 99 minus the likelihood, flags unchanged",
        frozenset({"cross.alarm.threshold-consistent"}),
        after=_on_result(_scores_as_quality),
    ),
)

MUTANTS = MUTANTS + INFERRED_MUTANTS
