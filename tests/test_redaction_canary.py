"""Canaries through every write path: cassettes (each record mode, scrub), lint, and the policy itself.

Each canary is a distinctive fake secret put where the API's traffic (or a leaky server) could
carry one: a header, a URL query or fragment parameter, URL userinfo, a JSON or form field, a
gzip-encoded answer, an echo of any of them, an image's base64.  No canary may reach a written
file; ``lint`` must flag each leaky input, and ``scrub`` must remove each.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.cassettes import lint_cassettes, scrub_cassette, use_cassette
from pytest_idclassify.cli import main
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.images._flat import png_flat
from pytest_idclassify.redaction import (
    ENTERPRISE_PLACEHOLDER,
    PROJECT_PLACEHOLDER,
    REDACTED,
    RedactionPolicy,
    redact_body,
    rules_from_file,
)

PROJECT = "ca0a1e5e0123456789abcdef01234567"
ENTERPRISE = "canary-eps-44b1-9e0f-5c2d"
#: name -> canary value, for every header the issue lists and the usual credential headers.
HEADERS = {
    "X-Access-Key": "CANARY-H-xaccesskey-0001",
    "Api_Key": "CANARY-H-apikey-0002",
    "Authentication": "CANARY-H-authentication-0003",
    "X-Forwarded-Authorization": "Bearer CANARY-H-fwdauth-0004",
    "Ocp-Apim-Subscription-Key": "CANARY-H-ocpapim-0005",
    "X-Auth-Token": "CANARY-H-xauthtoken-0006",
    "Cookie": "session=CANARY-H-cookie-0007",
    "X-Session-Id": "CANARY-H-session-0008",
}
#: query/fragment parameter -> canary.
PARAMS = {
    "access_token": "CANARY-Q-accesstoken-0101",
    "OSSAccessKeyId": "CANARY-Q-ossakid-0102",
    "api_key": "CANARY-Q-apikey-0103",
    "password": "CANARY-Q-password-0104",
    "AccessKeyId": "CANARY-Q-accesskeyid-0105",
    "Signature": "CANARY-Q-signature-0106",
    "x-obs-security-token": "CANARY-Q-obssts-0107",
    "X-Amz-Credential": "CANARY-Q-amzcred-0108",
    "X-Amz-Signature": "CANARY-Q-amzsig-0109",
}
FRAGMENT_TOKEN = "CANARY-F-idtoken-0201"
URL_USER = "canary-url-user-0301"
URL_PASSWORD = "CANARY-U-password-0302"
#: JSON / form field -> canary.
FIELDS = {
    "client_secret": "CANARY-B-clientsecret-0401",
    "refresh_token": "CANARY-B-refreshtoken-0402",
    "private_key": "CANARY-B-privatekey-0403",
    "passwd": "CANARY-B-passwd-0404",
    "credential": "CANARY-B-credential-0405",
}
FORM_SECRET = "CANARY-B-formsecret-0501"
GZIP_SECRET = "CANARY-Z-gzipsecret-0601"
CANARIES = [
    PROJECT, ENTERPRISE, *HEADERS.values(), *PARAMS.values(), FRAGMENT_TOKEN, URL_USER, URL_PASSWORD,
    *FIELDS.values(), FORM_SECRET, GZIP_SECRET,
]  # fmt: skip
# A header's canary without its scheme ("Bearer ...", "session=...") is what must not survive.
BARE = [c.split(" ")[-1].split("=")[-1] for c in CANARIES]


def _jpeg(side: int, quality: int = 70) -> bytes:
    import random

    from PIL import Image

    rng = random.Random(side)
    picture = Image.frombytes("RGB", (side, side), bytes(rng.randrange(256) for _ in range(side * side * 3)))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _wrapped(text: str, width: int = 76) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


SMALL_JPEG = base64.b64encode(_jpeg(8, 30)).decode("ascii")  # a few hundred characters
WRAPPED_JPEG = _wrapped(base64.b64encode(_jpeg(24)).decode("ascii"))
LONG_PNG_TEXT = base64.b64encode(png_flat(64, 48, (9, 8, 7))).decode("ascii")
#: a piece of each image's base64 that must not survive.
IMAGE_MARKERS = [SMALL_JPEG[40:80], WRAPPED_JPEG[100:140], LONG_PNG_TEXT[-60:-20]]


def signed_url() -> str:
    query = "&".join(f"{k}={v}" for k, v in PARAMS.items())
    return f"https://{URL_USER}:{URL_PASSWORD}@bucket.obs.example.com/card.jpg?{query}&Expires=99#id_token={FRAGMENT_TOKEN}&state=s1"


def _leaky_app() -> Starlette:
    """Answers with everything a leaky server could: echoes, secret headers, gzip, images."""

    async def echo(request: Request) -> Response:
        body = await request.body()
        answer = {
            "echo_headers": dict(request.headers),
            "echo_query": str(request.url.query),
            "echo_body": body.decode("utf-8", "replace"),
            "refresh_token": FIELDS["refresh_token"],
            "thumbnail": SMALL_JPEG,
            "scan": WRAPPED_JPEG,
            "note": f"your key is {HEADERS['X-Access-Key']} and the project {PROJECT}",
            "keyed": {HEADERS["X-Access-Key"]: 1, HEADERS["X-Session-Id"]: 2},  # secrets as keys
        }
        raw = json.dumps(answer).encode()
        headers = {"Set-Cookie": f"session={HEADERS['X-Session-Id']}", "X-Access-Key": HEADERS["X-Access-Key"],
                   "X-Request-Id": "req-1"}  # fmt: skip
        if request.query_params.get("binary"):
            # One stray byte makes the body no UTF-8: the echo in it is as plain as in text.
            return Response(f"\xff{HEADERS['X-Access-Key']}\xfe".encode("latin-1"), headers=headers)
        if request.query_params.get("gzip"):
            raw = gzip.compress(json.dumps({**answer, "client_secret": GZIP_SECRET}).encode())
            headers["Content-Encoding"] = "gzip"
        return Response(raw, media_type="application/json", headers=headers)

    return Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def leaky_url() -> Iterator[str]:
    with serve_in_thread(_leaky_app()) as url:
        yield url


def _send_everything(base: str, *, gzip_answer: bool = False, form: bool = False) -> None:
    host = base.split("://", 1)[1]
    query = "&".join(f"{k}={v}" for k, v in PARAMS.items()) + ("&gzip=1" if gzip_answer else "")
    url = f"http://{URL_USER}:{URL_PASSWORD}@{host}/v2/{PROJECT}/ocr/auto-id-doc-classification?{query}"
    headers = {**HEADERS, "Enterprise-Project-Id": ENTERPRISE, "X-Project-Id": PROJECT}
    with httpx.Client() as client:
        if form:
            client.post(url, headers=headers, data={"grant_type": "password", "client_secret": FORM_SECRET})
        else:
            body = {"url": signed_url(), "data": SMALL_JPEG, "alarm": True, **FIELDS, "echo_image": LONG_PNG_TEXT}
            client.post(url, headers=headers, json=body)


def _written(directory: Path) -> str:
    return "\n".join(p.read_text("utf-8", "replace") for p in sorted(directory.rglob("*")) if p.is_file())


def _leaks(text: str) -> list[str]:
    return [c for c in BARE if c in text] + [m for m in IMAGE_MARKERS if m in text]


def _secret_findings(paths: list[Path]) -> list[str]:
    return [str(f) for f in lint_cassettes(paths) if f.rule.startswith(("secret", "image"))]


@pytest.mark.parametrize("mode", ["once", "new_episodes", "all", "rewrite"])
def test_no_canary_survives_any_record_mode(leaky_url: str, tmp_path: Path, mode: str) -> None:
    path = tmp_path / "cassettes" / f"{mode}.json"
    # A policy that knows none of the canaries: only the rules can hide them.
    with use_cassette(path, record_mode=mode, secrets=RedactionPolicy(from_environment=False)):
        _send_everything(leaky_url)
        _send_everything(leaky_url, gzip_answer=True)
        _send_everything(leaky_url, form=True)
        with httpx.Client() as client:
            client.post(f"{leaky_url}/v2/{PROJECT}/x?binary=1", headers=HEADERS, content=b"{}")
    if mode == "new_episodes":
        with use_cassette(path, record_mode=mode, secrets=RedactionPolicy(from_environment=False)):
            _send_everything(leaky_url, gzip_answer=True, form=True)
    text = _written(tmp_path)
    assert len(json.loads(path.read_text())["interactions"]) >= 3
    assert _leaks(text) == []
    assert REDACTED in text and PROJECT_PLACEHOLDER in text and ENTERPRISE_PLACEHOLDER in text
    assert "[image sha256:" in text, "echoed images are replaced by their digest"
    assert "Content-Encoding" not in text, "a gzip answer is stored decoded"
    assert _secret_findings([path]) == []


def _vcrpy_cassette(leaky_url: str, path: Path, serializer: str = "yaml") -> None:
    import vcr

    with vcr.VCR(serializer=serializer).use_cassette(str(path), record_mode="all"):
        _send_everything(leaky_url)
        if serializer == "yaml":  # vcrpy's JSON serializer cannot hold a compressed (binary) body
            _send_everything(leaky_url, gzip_answer=True)
        _send_everything(leaky_url, form=True)


@pytest.mark.parametrize("serializer", ["yaml", "json"])
def test_lint_flags_and_scrub_removes_every_leak_of_a_plain_vcrpy_cassette(
    leaky_url: str, tmp_path: Path, serializer: str
) -> None:
    path = tmp_path / f"plain.{serializer}"
    _vcrpy_cassette(leaky_url, path, serializer)
    before = path.read_text()
    assert URL_PASSWORD in before and HEADERS["X-Access-Key"] in before, "the plain cassette is leaky"
    rules = {f.rule for f in lint_cassettes([path])}
    expected = {"format", "secret.userinfo", "secret.query", "secret.header", "secret.field", "secret.form",
                "secret.echo", "secret.project-id", "image.bytes"}  # fmt: skip
    assert expected <= rules, expected - rules
    result = CliRunner().invoke(main, ["cassettes", "lint", str(path)])
    assert result.exit_code == 1
    for rule in expected:
        assert rule in result.output

    result = CliRunner().invoke(main, ["cassettes", "scrub", str(path)])
    assert result.exit_code == 0, result.output
    assert _leaks(path.read_text()) == []
    assert _secret_findings([path]) == []


def _own_format_leaky(tmp_path: Path) -> Path:
    """A cassette in our format, hand-edited to carry every kind of leak (the mutants lint must kill)."""
    interaction = {
        "request": {
            "method": "POST",
            "uri": f"https://{URL_USER}:{URL_PASSWORD}@ocr.example.com/v2/{PROJECT}/ocr/auto-id-doc-classification"
            f"?access_token={PARAMS['access_token']}#id_token={FRAGMENT_TOKEN}",
            "headers": {**HEADERS, "Enterprise-Project-Id": ENTERPRISE},
            "body": {"json": {"url": signed_url(), **FIELDS, "data": {"sha256": "0" * 64, "length": 1}}},
        },
        "response": {
            "status": 200,
            "reason": "OK",
            "headers": {"X-Request-Id": "r1", "Content-Type": "application/json"},
            "body": {"json": {"echo": f"{FIELDS['client_secret']} {SMALL_JPEG}", "scan": WRAPPED_JPEG}},
        },
    }
    path = tmp_path / "own.json"
    path.write_text(json.dumps({"format": "pytest-idclassify-cassette/1", "interactions": [interaction]}))
    return path


def test_lint_flags_and_scrub_removes_every_leak_of_our_own_format(tmp_path: Path) -> None:
    path = _own_format_leaky(tmp_path)
    rules = {f.rule for f in lint_cassettes([path])}
    expected = {"secret.userinfo", "secret.query", "secret.fragment", "secret.header", "secret.field",
                "secret.echo", "secret.project-id", "image.bytes"}  # fmt: skip
    assert expected <= rules, expected - rules
    assert scrub_cassette(path) is True
    assert _leaks(path.read_text()) == []
    assert _secret_findings([path]) == []
    assert scrub_cassette(path, check=True) is False, "scrubbing is idempotent"


def test_a_gzip_body_in_a_vcrpy_cassette_is_decoded_before_it_is_checked(tmp_path: Path) -> None:
    body = gzip.compress(json.dumps({"client_secret": GZIP_SECRET, "type": "id_card"}).encode())
    doc = {"version": 1, "interactions": [{
        "request": {"method": "GET", "uri": "https://api.example.com/x", "body": None, "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "body": {"string": body},
                     "headers": {"Content-Encoding": ["gzip"], "Content-Type": ["application/json"]}},
    }]}  # fmt: skip
    path = tmp_path / "gz.yaml"
    path.write_text(yaml.dump(doc))
    assert GZIP_SECRET.encode() not in path.read_bytes(), "the secret is only inside the compressed bytes"
    assert "secret.field" in {f.rule for f in lint_cassettes([path])}
    scrub_cassette(path)
    stored = json.loads(path.read_text())["interactions"][0]["response"]
    assert stored["body"] == {"json": {"client_secret": REDACTED, "type": "id_card"}}
    assert "Content-Encoding" not in stored["headers"]


def test_the_harmless_variants_pass_lint_untouched(tmp_path: Path) -> None:
    # Names that look close but are not secrets, and base64 that is not an image, stay as they are.
    harmless = {"type": "id_card", "keep": "yes", "task": "classify", "category": "none", "X-Request-Id": "r-1"}
    plain_base64 = base64.b64encode(b"just some bytes that are not an image at all" * 3).decode()
    interaction = {
        "request": {"method": "POST", "uri": "https://ocr.example.com/v2/{project_id}/ocr/x?page=2&lang=en",
                    "headers": {"X-Request-Id": "r-12345678", "Content-Type": "application/json"},
                    "body": {"json": {**harmless, "note": plain_base64}}},
        "response": {"status": 200, "reason": "OK", "headers": {"X-Request-Id": "r-12345678"},
                     "body": {"json": {"result": harmless}}},
    }  # fmt: skip
    path = tmp_path / "harmless.json"
    path.write_text(json.dumps({"format": "pytest-idclassify-cassette/1", "interactions": [interaction]}))
    assert _secret_findings([path]) == []
    policy = RedactionPolicy(from_environment=False)
    assert policy.redact_mapping(interaction) == interaction


def test_the_policy_hides_each_kind_by_name_by_value_and_keeps_the_rest() -> None:
    policy = RedactionPolicy(from_environment=False)
    url = policy.redact_url(signed_url())
    assert all(v not in url for v in [*PARAMS.values(), FRAGMENT_TOKEN, URL_USER, URL_PASSWORD])
    assert url.endswith("&Expires=99#id_token=[REDACTED]&state=s1")
    headers = policy.redact_headers({**HEADERS, "Enterprise-Project-Id": ENTERPRISE, "X-Request-Id": "r1"})
    assert headers["Enterprise-Project-Id"] == ENTERPRISE_PLACEHOLDER and headers["X-Request-Id"] == "r1"
    assert all(headers[name] == REDACTED for name in HEADERS)
    body = policy.redact_mapping({**FIELDS, "type": "id_card", "nested": {"token": {"expires_at": "2099"}}})
    assert body["type"] == "id_card" and body["nested"] == {"token": {"expires_at": "2099"}}
    assert all(body[name] == REDACTED for name in FIELDS)
    # by value: everything redacted above is now hidden wherever it appears
    echoed = policy.redact_text(f"the server said {PARAMS['Signature']} and {FIELDS['passwd']} for you")
    assert echoed == "the server said [REDACTED] and [REDACTED] for you"
    for image in (SMALL_JPEG, WRAPPED_JPEG, WRAPPED_JPEG.replace("\n", "\\n"), LONG_PNG_TEXT):
        assert policy.redact_text(f"x {image} y").startswith("x [image sha256:")
    assert policy.redact_text("a refused https://h.example/x?access_token=abcdefgh123") == (
        "a refused https://h.example/x?access_token=[REDACTED]"
    )
    assert policy.redact_form(f"grant_type=password&client_secret={FORM_SECRET}") == (
        "grant_type=password&client_secret=[REDACTED]"
    )
    gz = gzip.compress(json.dumps({"client_secret": GZIP_SECRET}).encode())
    assert redact_body(gz, content_encoding="gzip", policy=policy) == b'{"client_secret":"[REDACTED]"}'
    for text in ("type=id_card&page=2", "Basic authentication is not used", "X-Request-Id: r1"):
        assert policy.redact_text(text) == text
    assert policy.redact_text(policy.redact_text(url)) == url, "idempotent"


def test_extra_names_come_from_a_file_the_user_points_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# ours\n=badge\nx-tenant-*\n")
    plain = RedactionPolicy(from_environment=False)
    extended = RedactionPolicy(from_environment=False, names=rules_from_file(names))
    fields = {"badge": "B-1234567890", "X-Tenant-Ref": "T-1234567890", "badges": "kept"}
    assert plain.redact_mapping(fields) == fields
    assert extended.redact_mapping(fields) == {"badge": REDACTED, "X-Tenant-Ref": REDACTED, "badges": "kept"}

    cassette = tmp_path / "c.json"
    interaction = {"request": {"method": "GET", "uri": "https://a.example/x", "headers": {"X-Tenant-Ref": "T-99"},
                               "body": None},
                   "response": {"status": 204, "reason": "No Content", "headers": {}, "body": None}}  # fmt: skip
    cassette.write_text(json.dumps({"format": "pytest-idclassify-cassette/1", "interactions": [interaction]}))
    assert CliRunner().invoke(main, ["cassettes", "lint", str(cassette)]).exit_code == 0
    monkeypatch.setenv("IDCLASSIFY_REDACT_NAMES_FILE", str(names))
    flagged = CliRunner().invoke(main, ["cassettes", "lint", str(cassette)])
    assert flagged.exit_code == 1 and "header X-Tenant-Ref" in flagged.output

    monkeypatch.delenv("IDCLASSIFY_REDACT_NAMES_FILE")
    by_option = CliRunner().invoke(main, ["cassettes", "--redact-names-file", str(names), "lint", str(cassette)])
    assert by_option.exit_code == 1 and "header X-Tenant-Ref" in by_option.output
    from pytest_idclassify.redaction import use_names_file

    use_names_file(None)  # the option set the process's rules; later tests get the shipped ones back
    monkeypatch.setenv("IDCLASSIFY_REDACT_NAMES_FILE", str(tmp_path / "missing.txt"))
    missing = CliRunner().invoke(main, ["cassettes", "lint", str(cassette)])
    assert missing.exit_code == 1 and "IDCLASSIFY_REDACT_NAMES_FILE=" in missing.output
    assert ("Traceback" not in missing.output and missing.exception is None) or isinstance(
        missing.exception, SystemExit
    )
    monkeypatch.delenv("IDCLASSIFY_REDACT_NAMES_FILE")

    names.write_text("not a rule!\n")
    with pytest.raises(ConfigurationError, match=r"names.txt:1: 'not a rule!' is not a name rule"):
        rules_from_file(names, "--idclassify-redact-names-file")
    with pytest.raises(ConfigurationError, match="--idclassify-redact-names-file='/no/such/file'"):
        rules_from_file("/no/such/file", "--idclassify-redact-names-file")


def _one_leak(where: str, name: str, value: str) -> dict[str, object]:
    """One recorded exchange, clean but for a single leak of ``value``."""
    request: dict[str, object] = {
        "method": "POST",
        "uri": "https://ocr.example.com/v2/{project_id}/ocr/x",
        "headers": {"Content-Type": "application/json"},
        "body": {"json": {"type": "a"}},
    }
    response: dict[str, object] = {"status": 200, "reason": "OK", "headers": {"X-Request-Id": "r1"},
                                   "body": {"json": {"result": {"type": "id_card"}}}}  # fmt: skip
    if where == "query":
        request["uri"] = f"https://ocr.example.com/v2/{{project_id}}/ocr/x?page=1&{name}={value}"
    elif where == "fragment":
        request["body"] = {"json": {"url": f"https://idp.example.com/cb#{name}={value}&state=1"}}
    elif where == "userinfo":
        request["uri"] = f"https://user:{value}@ocr.example.com/v2/{{project_id}}/ocr/x"
    elif where == "path":
        request["uri"] = f"https://ocr.example.com/v2/{value}/ocr/x"
    elif where == "header":
        request["headers"] = {"Content-Type": "application/json", name: value}
    elif where == "field":
        request["body"] = {"json": {"type": "a", name: value}}
    elif where == "form":
        request["body"] = {"text": f"grant_type=x&{name}={value}"}
    elif where == "echo":
        request["headers"] = {"X-Auth-Token": value}
        response["body"] = {"json": {"result": {"type": "id_card", "note": f"seen {value}"}}}
    elif where == "image":
        response["body"] = {"json": {"result": {"type": "id_card", "copy": value}}}
    elif where == "text":
        response["body"] = {"text": name.format(value)}
    return {"request": request, "response": response}


#: secrets that only their name shows, in the text forms answers and logs carry (XML, prose, commands).
TEXT_LEAKS = {
    "xml-key": "<Error><Code>AccessDenied</Code><AccessKeyId>{}</AccessKeyId></Error>",
    "xml-secret": "<Credentials><SecretAccessKey>{}</SecretAccessKey></Credentials>",
    "spaced-colon": "login failed\npassword : {}\n",
    "curl-header": "retry with: curl -H 'X-Auth-Token: {}' https://ocr.example.test/",
    "cli-flag": "run again: tool --password {} --verbose",
}


LEAKS = (
    [("query", name, value) for name, value in PARAMS.items()]
    + [("fragment", "id_token", FRAGMENT_TOKEN), ("userinfo", "", URL_PASSWORD), ("path", "", PROJECT)]
    + [("header", name, value) for name, value in HEADERS.items()]
    + [("header", "Enterprise-Project-Id", ENTERPRISE)]
    + [("field", name, value) for name, value in FIELDS.items()]
    + [("form", "client_secret", FORM_SECRET), ("echo", "", "CANARY-E-echoed-token-0701")]
    + [("image", "short", SMALL_JPEG), ("image", "wrapped", WRAPPED_JPEG), ("image", "long", LONG_PNG_TEXT)]
    + [("text", form, f"CANARY-T-{label}-0{i}42") for i, (label, form) in enumerate(TEXT_LEAKS.items())]
)


@pytest.mark.parametrize(("where", "name", "value"), LEAKS, ids=[f"{w}-{n[:16]}" for w, n, _ in LEAKS])
def test_lint_fails_each_leak_alone_and_scrub_removes_it(tmp_path: Path, where: str, name: str, value: str) -> None:
    path = tmp_path / "one.json"
    path.write_text(
        json.dumps({"format": "pytest-idclassify-cassette/1", "interactions": [_one_leak(where, name, value)]})
    )
    result = CliRunner().invoke(main, ["cassettes", "lint", str(path)])
    assert result.exit_code == 1 and _secret_findings([path]), result.output
    scrub_cassette(path)
    shown = value.split(" ")[-1].split("=")[-1]
    marker = value[40:80] if where == "image" else shown
    assert marker not in path.read_text()
    assert _secret_findings([path]) == []
