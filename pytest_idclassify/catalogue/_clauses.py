"""The clause catalogue, written by hand from the API page and the reference pages.

Per-row response clauses and per-code error clauses are derived from the documented tables so
that nothing about the API's shape is written twice; every other rule is stated here once, with
the page's own sentence where it has one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from pytest_idclassify._limits import BASE64_LIMIT_BINARY, BASE64_LIMIT_DECIMAL
from pytest_idclassify._tables import ErrorCode, Tables
from pytest_idclassify.catalogue._model import Clause, ErrorSpec, Kind, Tier

DOCUMENTED, INFERRED, ASSUMED = Tier.DOCUMENTED, Tier.INFERRED, Tier.ASSUMED

PAGE = "API page"
ERROR_PAGE = "Error Codes page"
AUTH_PAGE = "Calling APIs: authentication"

#: the score at or above which an alarm is raised; the page states no threshold (see the clause).
ALARM_THRESHOLD = 50
#: the gateway's body limit (12 MB, read as MiB).
BODY_LIMIT = 12 * 1024 * 1024
#: how far X-Sdk-Date may be from the server's clock.
MAX_CLOCK_SKEW_SECONDS = 15 * 60


def spec(tables: Tables, code: str, message: str | None = None, *, suffix: str = "") -> ErrorSpec:
    """Build the :class:`ErrorSpec` of a documented code, reading status and message from the table."""
    row = tables.error(code, message)
    if row.message_kind == "prefix":
        return ErrorSpec(row.status, row.code, row.message + suffix, "prefix")
    if row.message_kind == "pattern" and row.pattern:
        return ErrorSpec(row.status, row.code, row.pattern, "pattern")
    return ErrorSpec(row.status, row.code, row.message)


def _error_id(row: ErrorCode, duplicates: set[str]) -> str:
    return f"error.{row.code}.{row.status}" if row.code in duplicates else f"error.{row.code}"


def error_clause_id(tables: Tables, code: str, message: str | None = None) -> str:
    """Return the id of the error-mapping clause of ``code`` (and ``message`` where a code has several)."""
    codes = [e.code for e in tables.error_codes]
    duplicates = {c for c in codes if codes.count(c) > 1}
    return _error_id(tables.error(code, message), duplicates)


def _row_clauses(tables: Tables) -> Iterator[Clause]:
    """Response-shape clauses, one per documented response row (Tables 4-8)."""
    result = tables["Table 4"].row("result")
    yield Clause(
        "response.result",
        Kind.RESPONSE,
        "A 200 body holds a `result` object (Table 5).",
        result.source,
        rows=("Table 4/result",),
        quote="Calling result of a successful API call.",
    )
    t5 = tables["Table 5"]
    yield Clause(
        "response.result.type",
        Kind.RESPONSE,
        "`result.type` is a String, one of the nine documented document types.",
        t5.row("type").source,
        rows=("Table 5/type",),
        quote="Document type. The options are:",
    )
    yield Clause(
        "response.result.location",
        Kind.RESPONSE,
        "`result.location` is an Array<Array<Integer>>: four [x, y] points of integers.",
        t5.row("location").source + "; Example Response",
        rows=("Table 5/location",),
        quote="Position of the ID document.",
    )
    yield Clause(
        "response.result.confidence",
        Kind.RESPONSE,
        "`result.confidence` is a Float (a JSON number).",
        t5.row("confidence").source,
        rows=("Table 5/confidence",),
        quote="Confidence of the ID document's position.",
    )
    for table, parent, kind in (("Table 6", "alarm_result", "Boolean"), ("Table 7", "alarm_confidence", "Integer")):
        yield Clause(
            f"response.{parent.replace('_', '-')}",
            Kind.RESPONSE,
            f"`result.{parent}` is an object with exactly the seven {table} fields.",
            t5.row(parent).source,
            rows=(f"Table 5/{parent}",),
            quote=t5.row(parent).description.split(". ")[0] + ".",
        )
        for row in tables[table].rows:
            rule = f"`result.{parent}.{row.name}` is {'an' if kind[0] in 'AEIOU' else 'a'} {kind}"
            if table == "Table 7":
                rule += " in [0, 99]"
            yield Clause(
                f"response.{parent.replace('_', '-')}.{row.name}",
                Kind.RESPONSE,
                rule + ".",
                row.source,
                rows=(f"{table}/{row.name}",),
                quote=row.description,
            )
    for row in tables["Table 8"].rows:
        yield Clause(
            f"response.error.{row.name}",
            Kind.RESPONSE,
            f"A failed call's body holds `{row.name}`, a String.",
            row.source,
            rows=(f"Table 8/{row.name}",),
            quote=row.description.split(". ")[0] + ".",
        )


def _error_clauses(tables: Tables) -> Iterator[Clause]:
    """Error-mapping clauses, one per row of the error-code table."""
    codes = [e.code for e in tables.error_codes]
    duplicates = {c for c in codes if codes.count(c) > 1}
    for row in tables.error_codes:
        if row.message_kind == "prefix":
            shown = f"starts with {row.message!r} followed by one of {list(row.suffixes)}"
        elif row.message_kind == "pattern":
            shown = f"matches {row.pattern!r}"
        else:
            shown = f"is exactly {row.message!r}"
        yield Clause(
            _error_id(row, duplicates),
            Kind.ERROR,
            f"An answer with error_code {row.code} has HTTP status {row.status} and an error_msg that {shown}.",
            f"{ERROR_PAGE} ({row.family}): {row.when}",
            rows=(f"Error codes/{row.code}/{row.status}",),
            error=spec(tables, row.code, row.message),
            tier=DOCUMENTED if row.status_documented else ASSUMED,
            rationale=None
            if row.status_documented
            else (
                f"the {row.family} error table gives the code and message but not the HTTP status; "
                f"{row.status} is the status of that kind of failure elsewhere in the platform"
            ),
        )


def _rule_clauses(tables: Tables) -> Iterator[Clause]:
    """The rules stated in sentences: request validation, cross-field rules and behaviour."""
    ais0101 = spec(tables, "AIS.0101")
    ais0102 = spec(tables, "AIS.0102")
    ais0103 = spec(tables, "AIS.0103")
    data, url, alarm = (tables["Table 3"].row(n) for n in ("data", "url", "alarm"))

    # --- authentication and headers -----------------------------------------------------------
    token = tables["Table 2"].row("X-Auth-Token")
    yield Clause(
        "uri.project-id",
        Kind.REQUEST,
        "The project id is a mandatory path segment of the URI.",
        tables["Table 1"].row("project_id").source,
        rows=("Table 1/project_id",),
        quote="POST /v2/{project_id}/ocr/auto-id-doc-classification",
    )
    yield Clause(
        "uri.project-id.mismatch",
        Kind.REQUEST,
        "A project id in the path that the credential does not belong to is refused with 403 APIG.0302.",
        tables["Table 1"].row("project_id").source,
        rows=("Table 1/project_id",),
        error=spec(tables, "APIG.0302"),
        refuses=True,
        tier=ASSUMED,
        rationale="the page does not say; a project-scoped credential used on another project is not "
        "authorised for the API, which the gateway reports as APIG.0302",
    )
    # The OCR error-code page documents ModelArts codes for the same token faults as the gateway's
    # APIG.0301, without saying which layer answers: each is as good an answer.
    for cid, suffix, rule, platform in (
        ("auth.token.missing", "x-auth-token not found", "A request without X-Auth-Token (and no AK/SK signature)",
         ("ModelArts.4101",)),
        ("auth.token.invalid", "decrypt token fail", "A request whose X-Auth-Token is not a valid token",
         ("ModelArts.0203", "ModelArts.4102", "ModelArts.4103")),
        ("auth.token.expired", "token expires, expires_at: ", "A request whose X-Auth-Token has expired",
         ("ModelArts.0203",)),
    ):  # fmt: skip
        gateway = spec(tables, "APIG.0301", suffix=suffix)
        # The ModelArts codes' statuses are assumed (401): any client-error status goes with them.
        alternatives = tuple(
            replace(spec(tables, code), any_client_status=not tables.error(code).status_documented) for code in platform
        )
        yield Clause(
            cid,
            Kind.REQUEST,
            f"{rule} is refused with 401 APIG.0301 '...: {suffix}'"
            + "".join(f" or {alternative}" for alternative in alternatives)
            + ".",
            token.source + "; API Gateway error codes" + ("; OCR error codes (ModelArts)" if platform else ""),
            rows=("Table 2/X-Auth-Token",),
            quote="User token.",
            error=replace(gateway, alternatives=alternatives),
            refuses=True,
        )
    for cid, rule in (
        ("auth.aksk.signature", "A request whose SDK-HMAC-SHA256 signature does not verify"),
        ("auth.aksk.date-skew", "A signed request whose X-Sdk-Date is more than 15 minutes off"),
    ):
        yield Clause(
            cid,
            Kind.REQUEST,
            f"{rule} is refused with 401 APIG.0301 '...: verify aksk signature fail'.",
            AUTH_PAGE + "; API Gateway error codes",
            rows=("Table 2/X-Auth-Token",),
            error=spec(tables, "APIG.0301", suffix="verify aksk signature fail"),
            refuses=True,
        )
    eps = tables["Table 2"].row("Enterprise-Project-Id")
    yield Clause(
        "header.enterprise-project-id.any-value",
        Kind.BEHAVIOUR,
        "A request with an Enterprise-Project-Id that is correct, well-formed but non-existent, or malformed is "
        "served exactly as one without it.",
        eps.source,
        rows=("Table 2/Enterprise-Project-Id",),
        quote="If no enterprise project ID or an enterprise project ID with incorrect format (such as special "
        "characters) is carried, and the OCR service can be used properly, the bills will be categorized under "
        "default.",
    )

    # --- the body ------------------------------------------------------------------------------
    yield Clause(
        "request.body.json",
        Kind.REQUEST,
        "A body that is not valid JSON is refused with ModelArts.4105.",
        ERROR_PAGE + " (ModelArts): body is not valid JSON",
        rows=("Error codes/ModelArts.4105/400",),
        error=spec(tables, "ModelArts.4105"),
        refuses=True,
        tier=ASSUMED,
        rationale="the code and message are documented for invalid JSON; the status 400 is not",
    )
    yield Clause(
        "request.body.max-size",
        Kind.REQUEST,
        f"A body over 12 MB ({BODY_LIMIT:,} bytes) is refused by the gateway with 413 APIG.0201.",
        "API Gateway error codes: Request entity too large (body over 12 MB)",
        rows=("Error codes/APIG.0201/413",),
        error=spec(tables, "APIG.0201", "Request entity too large."),
        refuses=True,
    )
    yield Clause(
        "request.body.extra-fields",
        Kind.REQUEST,
        "Unknown fields in the body are ignored.",
        data.source,
        rows=("Table 3/data",),
        tier=ASSUMED,
        rationale="the page lists three fields and says nothing of others; ignoring them is the platform's "
        "usual behaviour and refusing them would break forward compatibility",
    )
    yield Clause(
        "request.data-url.exclusive",
        Kind.REQUEST,
        "A body with both data and url is refused with AIS.0101.",
        data.source + "; " + url.source,
        rows=("Table 3/data", "Table 3/url"),
        quote="Set either this parameter or url.",
        error=ais0101,
        refuses=True,
    )
    yield Clause(
        "request.data-url.neither",
        Kind.REQUEST,
        "A body with neither data nor url (or with them empty) is refused with AIS.0101.",
        data.source + "; " + url.source,
        rows=("Table 3/data", "Table 3/url"),
        error=ais0101,
        refuses=True,
        tier=ASSUMED,
        rationale="the page says to set one of them but not what happens when neither is set; AIS.0101, "
        "the invalid-parameter code, is the natural reading",
    )
    for row in (data, url, alarm):
        # A null data or url alone leaves the body without an image whichever way null is read; a
        # null alarm beside an image is the one reading the page leaves open (request.alarm.null).
        null = "" if row is alarm else " (including null)"
        yield Clause(
            f"request.{row.name}.type",
            Kind.REQUEST,
            f"A `{row.name}` that is not a JSON {row.type.lower()}{null} is refused with AIS.0101.",
            row.source,
            rows=(f"Table 3/{row.name}",),
            error=ais0101,
            refuses=True,
        )
    yield Clause(
        "request.alarm.null",
        Kind.REQUEST,
        "An `alarm` of null beside an image is refused with AIS.0101, as a value that is not a Boolean.",
        alarm.source,
        rows=("Table 3/alarm",),
        error=ais0101,
        refuses=True,
        tier=ASSUMED,
        rationale="the page types alarm as an optional Boolean and says nothing of null; a server may as well "
        "read null as not given, and answer without alarms",
    )
    yield Clause(
        "request.data.base64-max",
        Kind.REQUEST,
        f"A `data` over 10 MB of base64 is refused: over {BASE64_LIMIT_BINARY:,} characters under either reading "
        f"of 10 MB, while a valid image of exactly {BASE64_LIMIT_DECIMAL:,} characters is accepted.",
        data.source,
        rows=("Table 3/data",),
        quote="The file size of a single image after Base64 encoding should not exceed 10 MB.",
        refuses=True,
    )
    yield Clause(
        "request.data.base64-max.code",
        Kind.REQUEST,
        "A `data` over the base64 limit is refused with ModelArts.4104.",
        data.source + "; " + ERROR_PAGE,
        rows=("Table 3/data", "Error codes/ModelArts.4104/400"),
        error=spec(tables, "ModelArts.4104"),
        refuses=True,
        tier=ASSUMED,
        rationale="the page states the limit but not the code; ModelArts.4104 is documented for an invalid "
        "content length whose size cannot exceed 10 MB",
    )
    yield Clause(
        "request.data.base64-binary-reading",
        Kind.REQUEST,
        f"10 MB means {BASE64_LIMIT_BINARY:,} characters: a valid image whose base64 is between "
        f"{BASE64_LIMIT_DECIMAL + 1:,} and {BASE64_LIMIT_BINARY:,} characters is accepted.",
        data.source,
        rows=("Table 3/data",),
        tier=ASSUMED,
        rationale="the page writes '10 MB' without saying decimal or binary; the platform measures sizes in "
        "binary units, so the generous reading is taken and both readings are tested",
    )
    yield Clause(
        "request.data.recommended-7mb",
        Kind.BEHAVIOUR,
        "An original image of 7 MB, whose base64 stays under the limit, is accepted.",
        data.source,
        rows=("Table 3/data",),
        quote="Since files increase in size after Base64 encoding, it is recommended that the original image "
        "size not exceed 7 MB.",
    )
    yield Clause(
        "request.data.prefix",
        Kind.REQUEST,
        "A `data` with a prefix such as `data:image/jpeg;base64,` is refused with AIS.0102.",
        data.source,
        rows=("Table 3/data",),
        quote='If the image data contains an unnecessary prefix, the error "The image format is not supported" '
        "is reported.",
        error=ais0102,
        refuses=True,
    )
    yield Clause(
        "request.data.base64-invalid",
        Kind.REQUEST,
        "A `data` that is not base64 (characters outside the alphabet) is refused with AIS.0102.",
        data.source + "; " + ERROR_PAGE,
        rows=("Table 3/data", "Error codes/AIS.0102/400"),
        quote="Base64 encoded string of an image.",
        error=ais0102,
        refuses=True,
    )
    yield Clause(
        "request.data.base64-noncanonical",
        Kind.REQUEST,
        "A `data` in a non-canonical base64 form (embedded whitespace or newlines, missing or excess padding, "
        "the URL-safe alphabet) is refused with AIS.0102.",
        data.source,
        rows=("Table 3/data",),
        error=ais0102,
        refuses=True,
        tier=ASSUMED,
        rationale="the page shows canonical base64 only; a strict decoder is the safe reading, and clients "
        "that send MIME-wrapped or URL-safe base64 are then told at once",
    )
    for cid, side, rule in (
        ("request.image.side-min", "min", "A side of 14 px or less is refused with AIS.0103; 15 px is accepted."),
        ("request.image.side-max", "max", "A side of 8,193 px or more is refused with AIS.0103; 8,192 px is accepted."),
    ):
        yield Clause(
            cid,
            Kind.REQUEST,
            rule + f" (side {side}; for `data` and `url` alike)",
            data.source + "; " + url.source,
            rows=("Table 3/data", "Table 3/url"),
            quote="No side of the image can be smaller than 15 or larger than 8,192 pixels.",
            error=ais0103,
            refuses=True,
        )
    yield Clause(
        "request.image.formats",
        Kind.REQUEST,
        "JPEG (JPG), PNG, BMP and TIFF images are accepted; any other format (GIF, WebP...) is refused with AIS.0102.",
        data.source + "; " + url.source,
        rows=("Table 3/data", "Table 3/url"),
        quote="Only images in JPEG, JPG, PNG, BMP, or TIFF format can be recognized.",
        error=ais0102,
        refuses=True,
    )
    yield Clause(
        "request.image.undecodable",
        Kind.REQUEST,
        "An image with a supported format's header but truncated or corrupt data is refused with AIS.0104.",
        ERROR_PAGE + " (OCR)",
        rows=("Error codes/AIS.0104/400",),
        error=spec(tables, "AIS.0104"),
        refuses=True,
        tier=ASSUMED,
        rationale="not documented; the format is supported, so AIS.0102 would mislead, and AIS.0104 says the "
        "image cannot be processed",
    )
    yield Clause(
        "request.image.no-document",
        Kind.REQUEST,
        "A decodable image in which no document is found is refused with AIS.0105.",
        ERROR_PAGE + " (OCR)",
        rows=("Error codes/AIS.0105/400",),
        error=spec(tables, "AIS.0105"),
        refuses=True,
        tier=ASSUMED,
        rationale="not documented; AIS.0105 'Recognition failed.' says nothing was recognised, while AIS.0104 "
        "would blame the image's quality",
    )

    # --- url ----------------------------------------------------------------------------------
    yield Clause(
        "request.url.schemes",
        Kind.REQUEST,
        "Only http and https URLs are fetched; other schemes are refused, given or reached by a redirect.",
        url.source,
        rows=("Table 3/url",),
        quote="Public HTTP/HTTPS URL",
        refuses=True,
    )
    yield Clause(
        "request.url.redirect-followed",
        Kind.REQUEST,
        "A URL that redirects (HTTP 302) to another http URL is followed, and its image served.",
        url.source,
        rows=("Table 3/url",),
        tier=ASSUMED,
        rationale="the page says nothing of redirects; public and OBS URLs often answer one (signed or moved "
        "objects), and the reference emulator follows them to http and https only. A server refusing every "
        "redirect is as the page allows",
    )
    yield Clause(
        "request.url.schemes.code",
        Kind.REQUEST,
        "A URL with another scheme is refused with ModelArts.4601.",
        url.source + "; " + ERROR_PAGE,
        rows=("Table 3/url", "Error codes/ModelArts.4601/400"),
        error=spec(tables, "ModelArts.4601"),
        refuses=True,
        tier=ASSUMED,
        rationale="the page lists the supported URLs only; ModelArts.4601 is documented for a URL that is not allowed",
    )
    yield Clause(
        "request.url.fetch-failure",
        Kind.REQUEST,
        "A URL whose image cannot be downloaded (unreachable, an HTTP error, not an image) makes the call fail.",
        url.source,
        rows=("Table 3/url",),
        quote="Ensure that the storage service where the image to be detected resides is stable and reliable.",
        refuses=True,
    )
    yield Clause(
        "request.url.fetch-slow",
        Kind.REQUEST,
        "A URL whose image starts arriving only after a long stall (past the embedded emulator's fetch timeout; "
        "two thirds of the client's timeout on a served target) is refused with ModelArts.4603.",
        url.source + "; " + ERROR_PAGE,
        rows=("Table 3/url", "Error codes/ModelArts.4603/400"),
        quote="If the image download takes a long time, the API call will fail.",
        error=spec(tables, "ModelArts.4603"),
        refuses=True,
        tier=ASSUMED,
        rationale="the page says a long download fails without saying how long is too long, nor the code; the "
        "stall is past any fetch timeout a server answering within the client's own timeout can have, but a "
        "server may wait longer and serve the image; ModelArts.4603 is documented for a failed URL download",
    )
    yield Clause(
        "request.url.size-max",
        Kind.REQUEST,
        f"An image behind a URL over 10 MB once base64-encoded (over {BASE64_LIMIT_BINARY * 3 // 4:,} bytes, "
        "under either reading of 10 MB) is refused, while a 7 MiB one, under 10 MB of base64 in either "
        "reading, is accepted.",
        url.source,
        rows=("Table 3/url",),
        quote="The file size of a single image after Base64 encoding should not exceed 10 MB.",
        refuses=True,
    )
    yield Clause(
        "request.url.size-max.code",
        Kind.REQUEST,
        "An image behind a URL over the limit is refused with ModelArts.4603.",
        url.source + "; " + ERROR_PAGE,
        rows=("Table 3/url", "Error codes/ModelArts.4603/400"),
        error=spec(tables, "ModelArts.4603"),
        refuses=True,
        tier=ASSUMED,
        rationale="the page states the limit but not the code; the file could not be obtained from the URL as "
        "an image the service takes, which ModelArts.4603 documents (ModelArts.4104, the data row's, speaks of "
        "the request's content length)",
    )
    yield Clause(
        "request.url.fetch-failure.code",
        Kind.REQUEST,
        "A failed download is refused with ModelArts.4603.",
        url.source + "; " + ERROR_PAGE,
        rows=("Table 3/url", "Error codes/ModelArts.4603/400"),
        error=spec(tables, "ModelArts.4603"),
        refuses=True,
        tier=ASSUMED,
        rationale="the page says the call fails; ModelArts.4603 is documented for a failed URL download",
    )
    yield Clause(
        "request.url.chinese-encoded",
        Kind.REQUEST,
        "A URL whose Chinese characters are percent-encoded UTF-8 is fetched and served.",
        url.source,
        rows=("Table 3/url",),
        quote="If Chinese characters exist, they must be encoded using UTF-8.",
    )
    yield Clause(
        "request.url.chinese-raw",
        Kind.REQUEST,
        "A URL with raw (unencoded) Chinese characters is refused.",
        url.source,
        rows=("Table 3/url",),
        quote="The URL cannot contain Chinese characters.",
        refuses=True,
    )
    yield Clause(
        "request.url.chinese-raw.code",
        Kind.REQUEST,
        "A URL with raw Chinese characters is refused with AIS.0101.",
        url.source + "; " + ERROR_PAGE,
        rows=("Table 3/url", "Error codes/AIS.0101/400"),
        error=ais0101,
        refuses=True,
        tier=ASSUMED,
        rationale="the page forbids them without naming the error; AIS.0101 is documented for bad characters "
        "in a value",
    )
    yield Clause(
        "request.url.obs",
        Kind.REQUEST,
        "An OBS URL the service is authorised to read is fetched and served.",
        url.source,
        rows=("Table 3/url",),
        quote="URL provided by OBS.",
        testable=False,
        rationale="needs an OBS bucket and an authorisation that no offline run has",
    )

    # --- alarm and cross-field rules ------------------------------------------------------------
    yield Clause(
        "cross.alarm.present-iff-requested",
        Kind.CROSS,
        "`alarm_result` and `alarm_confidence` are present if and only if the request had `alarm: true`.",
        tables["Table 5"].row("alarm_result").source,
        rows=("Table 5/alarm_result", "Table 5/alarm_confidence"),
        quote="This parameter is returned only when alarm is set to true.",
    )
    yield Clause(
        "cross.alarm.default-false",
        Kind.CROSS,
        "Omitting `alarm` is the same as `alarm: false`: no alarm fields.",
        alarm.source,
        rows=("Table 3/alarm",),
        quote="The default value is false.",
    )
    yield Clause(
        "cross.result.absent-on-failure",
        Kind.CROSS,
        "A failed call's body has no `result`.",
        tables["Table 4"].row("result").source,
        rows=("Table 4/result",),
        quote="This parameter is not included when the call fails.",
    )
    yield Clause(
        "cross.error.absent-on-success",
        Kind.CROSS,
        "A successful call's body has no `error_code` nor `error_msg`.",
        tables["Table 8"].row("error_code").source,
        rows=("Table 8/error_code", "Table 8/error_msg"),
        quote="This parameter is not included for a successful call.",
    )
    yield Clause(
        "cross.location.inside-image",
        Kind.CROSS,
        "Every point of `location` lies inside the image: 0 <= x < width and 0 <= y < height.",
        tables["Table 5"].row("location").source,
        rows=("Table 5/location",),
        tier=ASSUMED,
        rationale="the page says 'position of the ID document' in the image; a card cut by the frame is "
        "reported clipped to the image",
    )
    yield Clause(
        "cross.location.clockwise",
        Kind.CROSS,
        "`location` lists the corners clockwise from the top-left: top-left, top-right, bottom-right, bottom-left.",
        "Example Response",
        rows=("Table 5/location",),
        tier=ASSUMED,
        rationale="the page's example lists its four points in that order; the order is not stated",
    )
    yield Clause(
        "cross.confidence.range",
        Kind.CROSS,
        "`confidence` lies in [0, 1].",
        tables["Table 5"].row("confidence").source,
        rows=("Table 5/confidence",),
        quote="Confidence of the ID document's position.",
        tier=INFERRED,
        argument="Table 5 calls the value a confidence, a degree of certainty on the unit scale (the example "
        "gives 0.979); no correct answer is more than certain or less than not at all",
    )
    yield Clause(
        "cross.alarm.threshold-consistent",
        Kind.CROSS,
        "Over every alarm answer of a run, each alarm's flags agree with its scores as one threshold in (0, 99] "
        "explains: a flag is true exactly when its score is at least that threshold.",
        "Table 6; Table 7; Example Response",
        rows=tuple(f"Table 7/{r.name}" for r in tables["Table 7"].rows),
        quote="The higher the score, the more likely it is that the ID document image is blurry.",
        tier=INFERRED,
        run=True,
        argument="each Table 7 score measures how likely its Table 6 alarm is, so a score never has its alarm "
        "off while a lower one has it on; scores lie in [0, 99] and the example pairs 98 with true and 0 with "
        "false, so the cut lies in (0, 99]",
    )
    yield Clause(
        "cross.alarm.result-matches-score",
        Kind.CROSS,
        f"The threshold is {ALARM_THRESHOLD}: each detect_*_result is true exactly when its score is at least "
        f"{ALARM_THRESHOLD}.",
        "Table 6; Table 7",
        rows=tuple(f"Table 6/{r.name}" for r in tables["Table 6"].rows),
        tier=ASSUMED,
        rationale="the page states no threshold (that there is one is cross.alarm.threshold-consistent); a "
        "sibling API (Cambodian ID card) documents 'above 50 means alarm', and the page's example "
        "(blur_score 98, detect_blur_result true; 0 and false) agrees",
    )
    yield Clause(
        "cross.error.message-matches-code",
        Kind.CROSS,
        "A failed call's error_msg is the documented message of its error_code, with the documented status.",
        tables["Table 8"].row("error_msg").source,
        rows=("Table 8/error_msg",),
        quote='Error code when the API call fails. For details, see "Error Codes".',
    )

    # --- behaviour ------------------------------------------------------------------------------
    yield Clause(
        "behaviour.statuses",
        Kind.BEHAVIOUR,
        "The service answers a request that passes the gateway with 200 and a result, or 400 and an error body; "
        "bad input never gets a 5xx.",
        "API page, Status Codes",
        rows=("Table 4/result", "Table 8/error_code"),
        quote="Example response for a failed request",
    )
    yield Clause(
        "behaviour.request-id",
        Kind.BEHAVIOUR,
        "Every response, errors included, carries an X-Request-Id header.",
        ERROR_PAGE + " (every response carries X-Request-Id; the SDK reads the request id from it)",
    )
    yield Clause(
        "behaviour.json-content-type",
        Kind.BEHAVIOUR,
        "Every answer with a JSON body, errors included, is labelled JSON: its Content-Type is "
        "application/json (parameters such as charset allowed).",
        "Function",
        quote="This API classifies nine types of ID documents, detects alarms, and returns the results in JSON format.",
        tier=INFERRED,
        argument="the page returns JSON, and clients read an answer by its media type (the official SDK parses "
        "anything else as XML and fails on every call), so a JSON answer labelled otherwise is unreadable to them",
    )
    yield Clause(
        "behaviour.deterministic",
        Kind.BEHAVIOUR,
        "The same request sent twice gets the same answer.",
        "not stated",
        tier=ASSUMED,
        rationale="not documented; a classifier with no state answers the same image the same way, and "
        "cassette replay depends on it",
    )
    yield Clause(
        "behaviour.same-image-same-type",
        Kind.BEHAVIOUR,
        "The same image sent twice gets the same `type`.",
        tables["Table 5"].row("type").source,
        rows=("Table 5/type",),
        quote="Document type.",
        tier=INFERRED,
        argument="Table 5's type names the document the image shows, which does not change between two "
        "sendings; two types for one image are wrong at least once",
    )
    yield Clause(
        "behaviour.alarm-toggle",
        Kind.BEHAVIOUR,
        "Toggling `alarm` does not change `type`, `location` or `confidence`.",
        alarm.source,
        rows=("Table 3/alarm",),
        quote="Whether to enable the function to detect alarms for ID document images.",
        tier=INFERRED,
        argument="Table 3 says alarm only enables alarm detection and Table 5 adds the alarm objects when it is "
        "true; type, location and confidence describe the document, which the flag does not change",
    )
    yield Clause(
        "behaviour.formats-equally-accepted",
        Kind.BEHAVIOUR,
        "The same picture in PNG, BMP and TIFF (lossless: the same pixels) is never refused as unreadable "
        "(AIS.0102, AIS.0103, AIS.0104) in one of them while it is served in another.",
        data.source,
        rows=("Table 3/data",),
        quote="Only images in JPEG, JPG, PNG, BMP, or TIFF format can be recognized.",
        tier=INFERRED,
        argument="the page supports each of these formats; a lossless file of each decodes to the same pixels, "
        "so the same format support, size and quality apply to all three: a server that serves one and "
        "refuses another as unsupported cannot process that format",
    )
    yield Clause(
        "behaviour.within-limits-equally-accepted",
        Kind.BEHAVIOUR,
        "A picture that is served is not refused as unreadable (AIS.0102, AIS.0103, AIS.0104) once enlarged "
        "to a side of 8,192 px, its file padded to 7 MiB or its base64 padded to 10,000,000 characters.",
        data.source,
        rows=("Table 3/data",),
        quote="No side of the image can be smaller than 15 or larger than 8,192 pixels.",
        tier=INFERRED,
        argument="each of these stays within the page's limits (sides up to 8,192 px, base64 up to 10 MB, "
        "originals up to 7 MB recommended), and padding changes no pixel: a server that serves the picture "
        "and refuses the enlarged or padded one as unsupported applies a narrower limit than the page's",
    )
    yield Clause(
        "behaviour.reencode-keeps-type",
        Kind.BEHAVIOUR,
        "Re-encoding the image in another supported format, or rescaling it within the limits, keeps its `type`.",
        data.source,
        rows=("Table 3/data",),
        tier=ASSUMED,
        rationale="the page lists the formats as equivalent inputs; a classifier must not depend on the container",
    )
    for row in tables["Table 7"].rows:
        yield Clause(
            f"behaviour.score-monotone.{row.name}",
            Kind.BEHAVIOUR,
            f"A stronger degradation of its kind never lowers `{row.name}`.",
            row.source,
            rows=(f"Table 7/{row.name}",),
            quote=str(row.constraints["monotone"]),
        )
    yield Clause(
        "behaviour.classifies-nine-types",
        Kind.BEHAVIOUR,
        "A specimen of each of the nine document types is classified as that type.",
        "API page, Function",
        rows=("Table 5/type",),
        quote="This API classifies nine types of ID documents, detects alarms, and returns the results in JSON format.",
        tier=ASSUMED,
        metric=True,
        rationale="the page promises no accuracy; recognition is measured as figures and fails a run only "
        "when the user sets a threshold",
    )


def build_clauses(tables: Tables) -> tuple[Clause, ...]:
    """Return every clause, derived from ``tables`` and the rules above, in catalogue order."""
    return (*_rule_clauses(tables), *_row_clauses(tables), *_error_clauses(tables))
