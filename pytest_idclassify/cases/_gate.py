"""The gate profile: fixed examples on every boundary of the contract, plus a small seeded sample.

Every case is built from recipes, so building the whole profile renders nothing; the 8,192 px
images and the 10 MB base64 texts are cheap to send only because the encoders write flat colours
as low-entropy files without materialising a raster.
"""

from __future__ import annotations

from pytest_idclassify.cases._builders import (
    SPECIMEN_SIZE,
    URL_SERVER,
    call,
    expect,
    flat,
    relate,
    specimen,
)
from pytest_idclassify.cases._model import Auth, Call, Case, Expect, Relation, UrlImage
from pytest_idclassify.cases._sample import sample_cases
from pytest_idclassify.catalogue import (
    BASE64_LIMIT_BINARY,
    BASE64_LIMIT_DECIMAL,
    BODY_LIMIT,
)
from pytest_idclassify.errors import StrategyArgumentError
from pytest_idclassify.images import DOCUMENT_TYPES

A, R, S = Expect.ACCEPTED, Expect.REFUSED, Expect.SERVED

#: Clauses no single request can target: the per-answer checks (``validate_response``) hold every
#: answer of every case to them, so the gate has no case of its own for them.
PER_ANSWER_CLAUSES: frozenset[str] = frozenset({
    # response shape and cross-field rules: checked on every 200 or error body
    "response.result", "response.result.location", "response.result.confidence",
    "response.alarm-result", "response.alarm-confidence", "response.error.error_code", "response.error.error_msg",
    *(f"response.alarm-result.detect_{n}_result" for n in ("blur", "glare", "blocking_within_border",
                                                            "insufficient_lighting", "copy", "border_integrity",
                                                            "reproduce")),
    *(f"response.alarm-confidence.{n}_score" for n in ("blur", "glare", "blocking_within_border",
                                                        "insufficient_lighting", "copy", "border_integrity",
                                                        "reproduce")),
    "cross.result.absent-on-failure", "cross.error.absent-on-success", "cross.location.inside-image",
    "cross.location.clockwise", "cross.confidence.range", "cross.alarm.result-matches-score",
    "cross.error.message-matches-code",
    # checked on every alarm answer, and over all of them at the end of the run
    "cross.alarm.threshold-consistent",
    "behaviour.statuses", "behaviour.request-id", "behaviour.json-content-type",
    # error codes no request can provoke: token internals, permissions, throttling, backend and OBS failures
    "error.ModelArts.0203", "error.ModelArts.4101", "error.ModelArts.4102", "error.ModelArts.4103",
    "error.ModelArts.4203", "error.ModelArts.4204", "error.ModelArts.4401", "error.ModelArts.4402",
    "error.ModelArts.4403", "error.ModelArts.4505", "error.ModelArts.4703", "error.ModelArts.4704",
    "error.ModelArts.4705", "error.ModelArts.4706", "error.APIG.0201.504", "error.APIG.0307",
    "error.APIG.0308", "error.APIG.0601",
})  # fmt: skip

#: Each Table 7 score and the degradation that must never lower it.
SCORE_DEGRADATIONS: dict[str, str] = {
    "blur_score": "blur",
    "glare_score": "glare",
    "blocking_within_border_score": "occlusion",
    "insufficient_lighting_score": "darkness",
    "copy_score": "copy",
    "border_integrity_score": "cut_border",
    "reproduce_score": "recapture",
}

_PREFIX_LABELS = {
    "data-uri-jpeg": "prefix-data-image-jpeg",
    "data-uri-jpg": "prefix-data-image-jpg",
    "data-uri-png": "prefix-data-image-png",
    "data-uri-empty": "prefix-data-empty-type",
    "data-uri-upper": "prefix-upper-case",
    "data-uri-space": "prefix-space-after-comma",
}
#: Wrong JSON types for data and url, label -> value.
_NOT_STRINGS: dict[str, object] = {"null": None, "number": 12345, "true": True, "array": [], "object": {}}
#: Wrong JSON types for alarm, label -> value.
_NOT_BOOLEANS: dict[str, object] = {"null": None, "string-true": "true", "number-1": 1, "array": [], "object": {}}
_INVALID_JSON: dict[str, bytes] = {
    "empty-body": b"",
    "truncated": b'{"data": "iVBORw0KGgo',
    "single-quotes": b"{'data': 'iVBORw0KGgo='}",
    "trailing-comma": b'{"data": "iVBORw0KGgo=",}',
    "nan": b'{"data": "iVBORw0KGgo=", "alarm": NaN}',
    "form-encoded": b"data=iVBORw0KGgo%3D",
    "invalid-utf8": b'{"data": "\xff\xfe"}',
}
_ENTERPRISE_PROJECT_IDS = {
    "default": "0",
    "non-existent": "3f1c0d2e-9b8a-4c7d-8e6f-5a4b3c2d1e0f",
    "malformed": "not an id!#$%",
}
_CHINESE_NAME = "/身份证照片.jpg"


#: The formats the page supports, each held to both side limits on each axis (a server may check
#: sides per decoder, so a limit right in one format says nothing of another).
BOUNDARY_FORMATS = ("png", "jpeg", "bmp", "tiff")


def _sides() -> list[Case]:
    out = []
    for fmt in BOUNDARY_FORMATS:
        for side, outcome in ((14, R), (15, A), (16, A)):
            companions = ("error.AIS.0103",) if side == 14 else ()
            for width, height in ((side, 64), (64, side)):
                out.append(expect("request.image.side-min", f"{fmt}-{width}x{height}",
                                  call(flat(fmt, width, height)), outcome, companions=companions))  # fmt: skip
    for fmt in BOUNDARY_FORMATS:
        for side, outcome in ((8191, A), (8192, A), (8193, R)):
            for width, height in ((side, 16), (16, side)):
                out.append(expect("request.image.side-max", f"{fmt}-{width}x{height}",
                                  call(flat(fmt, width, height)), outcome))  # fmt: skip
    out.append(expect("request.image.side-min", "url-png-14x64",
                      call(url=UrlImage(flat("png", 14, 64), "/narrow.png")), R, needs=URL_SERVER))  # fmt: skip
    out.append(expect("request.image.side-max", "url-png-16x8193",
                      call(url=UrlImage(flat("png", 16, 8193), "/tall.png")), R, needs=URL_SERVER))  # fmt: skip
    return out


def _sizes() -> list[Case]:
    def padded(chars: int) -> Call:
        return call(flat("png", 16, 16, pad_base64=chars))

    next_decimal, next_binary = BASE64_LIMIT_DECIMAL + 4, BASE64_LIMIT_BINARY + 4
    return [
        expect("request.data.base64-max", f"b64-{BASE64_LIMIT_DECIMAL}", padded(BASE64_LIMIT_DECIMAL), A),
        expect("request.data.base64-max", f"b64-{next_binary}", padded(next_binary), R,
               companions=("request.data.base64-max.code", "error.ModelArts.4104")),
        expect("request.data.base64-binary-reading", f"b64-{next_decimal}", padded(next_decimal), A),
        expect("request.data.base64-binary-reading", f"b64-{BASE64_LIMIT_BINARY}", padded(BASE64_LIMIT_BINARY), A),
        expect("request.data.recommended-7mb", "jpeg-7mib-file", call(flat("jpeg", 64, 64, pad_bytes=7 << 20)), A),
        expect("request.body.max-size", f"body-over-{BODY_LIMIT}", padded(BODY_LIMIT), R,
               companions=("error.APIG.0201.413",)),
    ]  # fmt: skip


def _base64_forms() -> list[Case]:
    out = [expect("request.data.prefix", label, call(flat("jpeg", base64_variant=variant)), R,
                  companions=("error.AIS.0102",) if variant == "data-uri-jpeg" else ())
           for variant, label in _PREFIX_LABELS.items()]  # fmt: skip
    # Line breaks need a text over 76 characters and dropped padding a size not divisible by 3: 200 bytes has both.
    for variant in ("mime", "newlines", "whitespace", "trailing-newline", "missing-padding", "excess-padding"):
        out.append(expect("request.data.base64-noncanonical", f"b64-{variant}",
                          call(flat("png", pad_bytes=200, base64_variant=variant)), R))  # fmt: skip
    out.append(expect("request.data.base64-noncanonical", "b64-urlsafe",
                      call(flat("png", 16, 16, content="noise", base64_variant="urlsafe")), R))  # fmt: skip
    out.append(
        expect("request.data.base64-invalid", "b64-star-inserted", call(flat("png", base64_variant="non-base64")), R)
    )
    out.append(expect("request.data.base64-invalid", "b64-punctuation", call("**not*base64!**"), R))
    return out


def _formats() -> list[Case]:
    out = [
        expect("request.image.formats", f"{fmt}-32x32", call(flat(fmt)), A) for fmt in ("jpeg", "png", "bmp", "tiff")
    ]
    out.append(expect("request.image.formats", "jpg-alias-48x32", call(flat("jpg", 48, 32, colour=(200, 180, 160))), A))
    out += [expect("request.image.formats", f"{fmt}-32x32", call(flat(fmt)), R) for fmt in ("gif", "webp")]
    out.append(expect("request.image.formats", "wrong-magic-png", call(flat("png", corruption="wrong-magic")), R))
    out.append(expect("request.image.formats", "url-gif-32x32", call(url=UrlImage(flat("gif"), "/image.gif")), R,
                      needs=URL_SERVER))  # fmt: skip
    for fmt in ("jpeg", "png", "bmp", "tiff"):
        truncated = call(flat(fmt, 64, 48, corruption="truncated"))
        out.append(expect("request.image.undecodable", f"truncated-{fmt}", truncated, R,
                          companions=("error.AIS.0104",) if fmt == "jpeg" else ()))  # fmt: skip
        out.append(expect("request.image.undecodable", f"corrupt-{fmt}",
                          call(flat(fmt, 64, 48, corruption="corrupt-data")), R))  # fmt: skip
    out.append(expect("request.image.no-document", "blank-png-640x400", call(flat("png", *SPECIMEN_SIZE)), R,
                      companions=("error.AIS.0105",)))  # fmt: skip
    return out


def _fields() -> list[Case]:
    png = flat("png")
    out = [
        expect("request.data-url.exclusive", "data-and-url", call(png, url="http://127.0.0.1/image.jpg"), R,
               companions=("error.AIS.0101",)),
        expect("request.data-url.neither", "empty-object", Call(json={}), R),
        expect("request.data-url.neither", "alarm-only", Call(json={"alarm": True}), R),
        expect("request.data-url.neither", "empty-data", Call(json={"data": ""}), R),
        expect("request.data-url.neither", "empty-url", Call(json={"url": ""}), R),
        expect("request.data-url.neither", "empty-data-and-url", Call(json={"data": "", "url": ""}), R),
        expect("request.body.extra-fields", "unknown-field", Call(json={"data": png, "language": "en"}), A),
        expect("request.body.extra-fields", "unknown-null-field", Call(json={"data": png, "detect_all": None}), A),
    ]  # fmt: skip
    for label, value in _NOT_STRINGS.items():
        out.append(expect("request.data.type", f"data-{label}", Call(json={"data": value}), R))
        out.append(expect("request.url.type", f"url-{label}", Call(json={"url": value}), R))
    for label, value in _NOT_BOOLEANS.items():
        clause_id = "request.alarm.null" if value is None else "request.alarm.type"
        out.append(expect(clause_id, f"alarm-{label}", Call(json={"data": png, "alarm": value}), R))
    for label, content in _INVALID_JSON.items():
        raw = Call(content=content, headers={"Content-Type": "application/json"})
        out.append(expect("request.body.json", label, raw, R,
                          companions=("error.ModelArts.4105",) if label == "truncated" else ()))  # fmt: skip
    return out


def _urls() -> list[Case]:
    page = specimen()
    code = "request.url.schemes.code"
    out = [
        expect("request.url.schemes", "ftp", call(url="ftp://127.0.0.1/image.jpg"), R,
               companions=(code, "error.ModelArts.4601")),
        expect("request.url.schemes", "file", call(url="file:///tmp/image.jpg"), R, companions=(code,)),
        expect("request.url.schemes", "data", call(url="data:image/png;base64,iVBORw0KGgo="), R, companions=(code,)),
        expect("request.url.redirect-followed", "http-to-http", call(url=UrlImage(page, "/moved.jpg", "redirect")), S,
               needs=URL_SERVER),
        # Refused, with no code held to: a redirect elsewhere is as much a failed download (4603) as a bad scheme.
        expect("request.url.schemes", "redirect-to-file",
               call(url=UrlImage(page, "/elsewhere.jpg", "redirect-to-file")), R, needs=URL_SERVER),
        expect("request.url.chinese-encoded", "percent-encoded-path", call(url=UrlImage(page, _CHINESE_NAME)), S,
               needs=URL_SERVER),
        expect("request.url.chinese-raw", "raw-path", call(url=UrlImage(page, _CHINESE_NAME, raw=True)), R,
               companions=("request.url.chinese-raw.code",), needs=URL_SERVER),
        expect("request.url.chinese-raw", "raw-host", call(url="http://证件.例子/image.jpg"), R,
               companions=("request.url.chinese-raw.code",)),
    ]  # fmt: skip
    failures = {"http-500": "fail", "http-404": "missing", "unreachable": "unreachable", "slow": "slow",
                "wrong-content-type": "wrong-type"}  # fmt: skip
    for label, behaviour in failures.items():
        slow = behaviour == "slow"  # its own assumed clause holds the code: the page sets no time
        companions: tuple[str, ...] = () if slow else ("request.url.fetch-failure.code",)
        companions += ("error.ModelArts.4603",) if label == "http-500" else ()
        clause_id = "request.url.fetch-slow" if slow else "request.url.fetch-failure"
        # A specimen a correct server would serve: only the failed download may make it refuse.
        out.append(expect(clause_id, label, call(url=UrlImage(page, "/image.jpg", behaviour)),
                          R, companions=companions, needs=URL_SERVER))  # fmt: skip
    # The url row's limit, as the data row's: a file whose base64 would pass 10 MB under either reading.
    # Padded specimens, not flat images: a server may refuse those as holding no document, which would
    # pass for the limit's refusal (and hide a limit narrower than 7 MiB).
    over = BASE64_LIMIT_BINARY * 3 // 4 + 1
    out += [
        expect("request.url.size-max", "specimen-7mib-file",
               call(url=UrlImage(page.replace(pad_bytes=7 << 20), "/seven.jpg")), S, needs=URL_SERVER),
        expect("request.url.size-max", f"specimen-{over}-bytes",
               call(url=UrlImage(page.replace(pad_bytes=over), "/over.jpg")), R,
               companions=("request.url.size-max.code",), needs=URL_SERVER),
    ]  # fmt: skip
    return out


def _auth() -> list[Case]:
    png = flat("png")
    return [
        expect("auth.token.missing", "no-credentials", call(png, auth=Auth.NONE), R, companions=("error.APIG.0301",)),
        expect("auth.token.invalid", "bad-token", call(png, auth=Auth.BAD_TOKEN), R),
        expect("auth.token.expired", "expired-token", call(png, auth=Auth.EXPIRED_TOKEN), R, needs={"expired-token"}),
        expect("auth.aksk.signature", "bad-signature", call(png, auth=Auth.BAD_SIGNATURE), R, needs={"aksk"}),
        expect("auth.aksk.date-skew", "skewed-date", call(png, auth=Auth.SKEWED_DATE), R, needs={"aksk"}),
        expect("uri.project-id", "other-project", call(png, auth=Auth.OTHER_PROJECT), R,
               companions=("uri.project-id.mismatch", "error.APIG.0302")),
        # A path the gateway publishes no API at, one letter short of this one's.
        expect("error.APIG.0101", "misspelt-path", call(png, path="/v2/{project_id}/ocr/auto-id-doc-classificatio"),
               R),
    ]  # fmt: skip


def _served() -> list[Case]:
    page = specimen()
    out = [
        expect("cross.alarm.present-iff-requested", "alarm-true", call(page, alarm=True), S),
        expect("cross.alarm.present-iff-requested", "alarm-false", call(page, alarm=False), S),
        expect("cross.alarm.default-false", "alarm-omitted", call(page), S),
    ]
    # behaviour.classifies-nine-types is a metric over these answers; each answer is held to the Table 5 type.
    out += [expect("response.result.type", doc_type, call(specimen(doc_type, size=(1280, 800), seed=1)), S)
            for doc_type in DOCUMENT_TYPES]  # fmt: skip
    return out


def _relations() -> list[Case]:
    page = specimen()
    out = [
        relate("behaviour.alarm-toggle", "alarm-false-true", (call(page, alarm=False), call(page, alarm=True)),
               Relation.SAME_CLASSIFICATION),
        relate("behaviour.deterministic", "specimen-twice", (call(page, alarm=True),) * 2, Relation.SAME_ANSWER),
        relate("behaviour.same-image-same-type", "specimen-twice", (call(page),) * 2, Relation.SAME_TYPE),
        relate("behaviour.deterministic", "refusal-twice", (call(flat("png", 14, 64)),) * 2, Relation.SAME_ANSWER),
        relate("behaviour.formats-equally-accepted", "png-bmp-tiff",
               [call(specimen(fmt=fmt)) for fmt in ("png", "bmp", "tiff")], Relation.EQUALLY_ACCEPTED),
        # The limits with a picture a server serves: flat boundary images may be refused as holding no
        # document, which hides a limit narrower than the page's.
        relate("behaviour.within-limits-equally-accepted", "enlarged-to-8192",
               (call(specimen(size=(1280, 800))), call(specimen(size=(8192, 5120)))), Relation.EQUALLY_ACCEPTED),
        relate("behaviour.within-limits-equally-accepted", "file-padded-to-7mib",
               (call(page), call(page.replace(pad_bytes=7 << 20))), Relation.EQUALLY_ACCEPTED),
        relate("behaviour.within-limits-equally-accepted", f"base64-padded-to-{BASE64_LIMIT_DECIMAL}",
               (call(page), call(page.replace(pad_base64=BASE64_LIMIT_DECIMAL))), Relation.EQUALLY_ACCEPTED),
        relate("behaviour.reencode-keeps-type", "jpeg-png-bmp-tiff",
               [call(specimen(fmt=fmt)) for fmt in ("jpeg", "png", "bmp", "tiff")], Relation.SAME_TYPE),
        relate("behaviour.reencode-keeps-type", "rescale-640-960-1280",
               [call(specimen(size=size)) for size in ((640, 400), (960, 600), (1280, 800))], Relation.SAME_TYPE),
    ]  # fmt: skip
    for label, value in _ENTERPRISE_PROJECT_IDS.items():
        pair = (call(page), call(page, headers={"Enterprise-Project-Id": value}))
        out.append(relate("header.enterprise-project-id.any-value", label, pair, Relation.SAME_CLASSIFICATION))
    for score, degradation in SCORE_DEGRADATIONS.items():
        calls = [call(specimen(degradations={degradation: severity}), alarm=True) for severity in (0.0, 0.5, 1.0)]
        out.append(relate(f"behaviour.score-monotone.{score}", f"{degradation}-0-0.5-1", calls,
                          Relation.SCORE_NON_DECREASING, score=score))  # fmt: skip
    return out


def fixed_cases() -> list[Case]:
    """Return the gate profile's fixed examples, in a stable order (no sample)."""
    return [*_sides(), *_sizes(), *_base64_forms(), *_formats(), *_fields(), *_urls(), *_auth(), *_served(),
            *_relations()]  # fmt: skip


def sampled_cases(*, seed: int = 0, sample: int = 8) -> list[Case]:
    """Return ``sample`` cases drawn from :func:`valid_requests` and :func:`invalid_requests` with ``seed``.

    The draws are made by Hypothesis under a fixed seed with the database off, so the same seed
    gives the same cases; of the draws, the first of each clause is taken before any second one,
    which spreads a small sample over many clauses.  Labels start with ``s<seed>.<n>-``.  The
    default draw (seed 0, 8 cases) is read from its pinned copy, without starting Hypothesis.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise StrategyArgumentError(f"seed={seed!r} is not a seed; pass an int >= 0")
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
        raise StrategyArgumentError(f"sample={sample!r} is not a count; pass an int >= 0 (0 turns the sample off)")
    if sample == 0:
        return []
    return sample_cases(seed, sample)


def gate_cases(*, seed: int = 0, sample: int = 8) -> list[Case]:
    """Return the gate profile: fixed examples on every boundary, then ``sample`` seeded draws.

    The fixed part covers every testable clause of the catalogue that a request can target (see
    :data:`PER_ANSWER_CLAUSES` for the ones left to per-answer checks): both sides of each size
    limit, each base64 spelling, each format, each wrong type, each URL failure, each credential
    variant, and the metamorphic relations.  The sample is :func:`sampled_cases`: the same seed
    gives the same cases, in the same order.  Nothing is rendered until a case is sent.

    Raises:
        StrategyArgumentError: ``seed`` or ``sample`` is not a non-negative int.

    """
    return [*fixed_cases(), *sampled_cases(seed=seed, sample=sample)]
