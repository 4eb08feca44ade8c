"""Canaries through the reports, the JUnit XML, the logs and exception messages of a real suite run.

A live run against the reference emulator (behind a wrapper that echoes what it was sent into
its error messages) sends signed URLs with userinfo from an upload hook, a token, a project id
and an enterprise project id that are all canaries.  Nothing the run writes may hold one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from starlette.staticfiles import StaticFiles

from pytest_idclassify._serve import free_port, serve_in_thread
from pytest_idclassify.client import ClientConfig, IdClassifyClient
from pytest_idclassify.errors import ConfigurationError, TransportError

pytest_plugins = ["pytester"]

PROJECT = "cafe0000cafe0000cafe0000cafe0001"
TOKEN = "CANARY-R-token-7f3e9a1b2c4d"
ENTERPRISE = "canary-r-eps-0d9c8b7a"
URL_USER = "canary-r-user-11"
URL_PASSWORD = "CANARY-R-urlpassword-22"
URL_AK = "CANARY-R-accesskeyid-33"
URL_SIG = "CANARY-R-signature-44"
URL_STS = "CANARY-R-obstoken-55"
AMZ = "CANARY-R-amzcredential-66"
CANARIES = [PROJECT, TOKEN, ENTERPRISE, URL_USER, URL_PASSWORD, URL_AK, URL_SIG, URL_STS, AMZ]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def echoing(app: Any) -> Any:
    """Wrap an ASGI app so that every request with a ``url`` is answered 400 with the request echoed."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and "url" in doc:
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            message_text = (f"cannot fetch {doc['url']} with {headers.get('x-auth-token')} for "
                            f"{headers.get('enterprise-project-id')} at {scope['path']}")  # fmt: skip
            answer = json.dumps({"error_code": "AIS.0101", "error_msg": message_text}).encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"), (b"x-request-id", b"r-1")]})  # fmt: skip
            await send({"type": "http.response.body", "body": answer})
            return
        replayed = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await app(scope, replay, send)

    return wrapped


def _written(directory: Path) -> str:
    return "\n".join(p.read_text("utf-8", "replace") for p in sorted(directory.rglob("*")) if p.is_file())


def test_no_canary_in_the_reports_the_junit_xml_or_the_log_of_a_live_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pytest_idclassify.emulator import EmulatorSettings, create_app

    settings = EmulatorSettings(project_id=PROJECT, tokens=(TOKEN,))
    public = tmp_path / "public"
    public.mkdir()
    out = tmp_path / "out"
    pytester.makepyfile(
        signed_uploads=f"""
        import os
        from pathlib import Path
        from urllib.parse import quote

        def upload(path, content, content_type):
            target = Path(os.environ["UPLOAD_DIR"]) / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            base = os.environ["PUBLIC_BASE"].replace("://", "://{URL_USER}:{URL_PASSWORD}@")
            return (base + quote(path) + "?AccessKeyId={URL_AK}&Signature={URL_SIG}"
                    "&x-obs-security-token={URL_STS}&X-Amz-Credential={AMZ}&Expires=1")
        """
    )
    pytester.syspathinsert()
    monkeypatch.setenv("IDCLASSIFY_TOKEN", TOKEN)
    monkeypatch.setenv("IDCLASSIFY_ENTERPRISE_PROJECT_ID", ENTERPRISE)
    monkeypatch.setenv("UPLOAD_DIR", str(public))
    with serve_in_thread(StaticFiles(directory=public)) as files, serve_in_thread(echoing(create_app(settings))) as api:
        monkeypatch.setenv("PUBLIC_BASE", files)
        result = pytester.runpytest(
            "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider",
            "-k", "request.url or request.image.side",
            f"--idclassify-base-url={api}", f"--idclassify-project-id={PROJECT}", "--idclassify-auth=token",
            f"--idclassify-public-base-url={files}", "--idclassify-upload-hook=signed_uploads:upload",
            f"--idclassify-report-json={out / 'report.json'}", f"--idclassify-report-html={out / 'report.html'}",
            f"--junitxml={out / 'junit.xml'}", "-o", "junit_family=xunit1",
            f"--log-file={out / 'run.log'}", "--log-file-level=DEBUG", "-rf",
        )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1 and outcomes.get("passed", 0) >= 1, outcomes
    written = _written(out) + "\n" + "\n".join(result.outlines + result.errlines)
    for canary in CANARIES:
        assert canary not in written, canary
    # The places are there, with placeholders: the test looks where the canaries would have been.
    report = json.loads((out / "report.json").read_text())
    sent_urls = [c["sent"]["url"] for case in report["cases"] for c in case["calls"]]
    assert sent_urls and all("/v2/{project_id}/ocr/" in url for url in sent_urls)
    assert "%5BREDACTED%5D@" in written and "Signature=[REDACTED]" in written
    assert '<property name="idclassify"' in (out / "junit.xml").read_text()
    log = (out / "run.log").read_text()
    assert "sending POST" in log and "{enterprise_project_id}" in log


def test_exception_messages_do_not_echo_secrets() -> None:
    with pytest.raises(ConfigurationError) as refused:
        ClientConfig(endpoint=f"https://ocr.example.com/?access_token={TOKEN}#id_token={URL_STS}", project_id=PROJECT,
                     token=TOKEN)  # fmt: skip
    assert TOKEN not in str(refused.value) and URL_STS not in str(refused.value)
    assert "access_token=[REDACTED]" in str(refused.value)

    config = ClientConfig(endpoint=f"http://127.0.0.1:{free_port()}", project_id=PROJECT, token=TOKEN, max_retries=0)
    with pytest.raises(TransportError) as unreachable, IdClassifyClient(config) as client:
        client.classify(data="aGVsbG8=")
    assert PROJECT not in str(unreachable.value) and "{project_id}" in str(unreachable.value)


def test_the_client_debug_log_shows_placeholders(caplog: pytest.LogCaptureFixture) -> None:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def answer(request: object) -> JSONResponse:
        return JSONResponse({"result": {}}, headers={"X-Access-Key": URL_AK, "Set-Cookie": f"session={URL_STS}"})

    app = Starlette(routes=[Route("/{path:path}", answer, methods=["POST"])])
    caplog.set_level(logging.DEBUG)
    with serve_in_thread(app) as url:
        config = ClientConfig(endpoint=url, project_id=PROJECT, token=TOKEN, enterprise_project_id=ENTERPRISE)
        with IdClassifyClient(config) as client:
            body = {"url": f"https://{URL_USER}:{URL_PASSWORD}@h.example/a?Signature={URL_SIG}"}
            outcome = client.post(json=body)
    shown = caplog.text + repr(outcome) + repr(outcome.sent) + str(dict(outcome.headers))
    for canary in CANARIES:
        assert canary not in shown, canary
    assert "'enterprise-project-id': '{enterprise_project_id}'" in caplog.text.lower()
    assert "/v2/{project_id}/ocr/" in caplog.text
    assert "HTTP Request: POST" in caplog.text, "httpx's own log line is there, redacted"


def test_the_pytest_option_adds_names_and_a_bad_file_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".txt", names="=badge\n")
    pytester.makepyfile(
        """
        from pytest_idclassify.redaction import redact_mapping

        def test_badge_is_secret():
            assert redact_mapping({"badge": "B-1234567890"}) == {"badge": "[REDACTED]"}
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(failed=1)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--idclassify-redact-names-file=names.txt").assert_outcomes(
        passed=1
    )
    pytester.makeini("[pytest]\nidclassify_redact_names_file = names.txt\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    bad = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--idclassify-redact-names-file=missing.txt")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--idclassify-redact-names-file='missing.txt' cannot be read*"])


def test_uvicorn_and_vcrpy_log_lines_are_redacted_and_keep_their_shape() -> None:
    import io
    import logging

    from uvicorn.logging import AccessFormatter

    from pytest_idclassify.redaction import redact_logs

    redact_logs()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        # As uvicorn's h11 protocol logs a request: its formatter unpacks exactly these five arguments.
        access.warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST",
                       "/v2/p/ocr/x?access_token=CANARY-ACCESS-LOG-77", "1.1", 401)  # fmt: skip
    finally:
        access.removeHandler(handler)
    line = stream.getvalue()
    assert "CANARY-ACCESS-LOG-77" not in line and "access_token=[REDACTED]" in line and "401" in line
    assert "Logging error" not in line
    recorded = logging.getLogger("vcr.cassette")
    captured = io.StringIO()
    plain = logging.StreamHandler(captured)
    recorded.addHandler(plain)
    try:
        recorded.warning("Appending request %s and response %s", "<Request (POST) x?api_key=CANARY-VCR-88>", "{}")
    finally:
        recorded.removeHandler(plain)
    assert "CANARY-VCR-88" not in captured.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "--no-password --verbose-output-level",
        "--admin-token --verbose-logging, then rerun with --verbose-logging",
        "--token-file /home/u/secrets.txt",
        "idclassify verify --auth token",
        "<Error><Code>NoSuchKey</Code><Key>idclassify/run-42/passport.jpg</Key></Error>",
        "'Content-Type: application/json'",
    ],
)
def test_text_that_only_looks_like_a_secret_is_left_whole(text: str) -> None:
    from pytest_idclassify.redaction import RedactionPolicy

    policy = RedactionPolicy(from_environment=False)
    assert policy.redact_text(text) == text
    # Nothing of it was remembered as a secret either: later text that repeats it stays whole.
    assert policy.redact_text(f"see {text} again") == f"see {text} again"


@pytest.mark.parametrize("cut_at", [60, 70, 75])
def test_a_message_quoting_a_body_redacts_before_it_cuts(cut_at: int) -> None:
    # A secret across the quote's 80th character: cut first, its first half was no value the policy knew.
    from pytest_idclassify.redaction import remember
    from pytest_idclassify.validation import validate_response

    secret = "CutCanaryPassw0rd-c0ffee00deadbeef"
    remember(secret)
    body = "x" * (cut_at - 1) + secret + " is bad"
    messages = [v.message for status in (200, 400) for v in validate_response(body, status=status)]
    assert messages and all(secret[:4] not in message for message in messages), messages
