"""``max_json_depth`` holds whatever the encoding an answer's JSON comes in, and its check takes linear time.

``json.loads`` reads bytes as UTF-8, UTF-8 after a BOM, UTF-16 or UTF-32, so the depth check reads
each of them too.  The answers come from a real socket server on 127.0.0.1; the clients are the real
sync and async clients, in this process (the bodies are small) or, for the one case whose failure
would be a hang, in a fresh interpreter with a time guard (see tests/hostile_servers.py).
"""

from __future__ import annotations

import asyncio
import codecs
import socketserver
from collections.abc import Iterator

import pytest
from hostile_servers import run_client_case, serving

from pytest_idclassify.client import AsyncIdClassifyClient, ClientConfig, IdClassifyClient, Outcome, json_too_deep
from pytest_idclassify.client._config import DEFAULT_MAX_JSON_DEPTH
from pytest_idclassify.errors import ResponseTooDeepError

PROJECT = "0123456789abcdef0123456789abcdef"
#: Deep enough to pass the limit many times over, shallow enough for Python's parser (about 1,000).
DEEP = 950
#: The encodings json.loads accepts in bytes, each as a server would send it.
ENCODINGS = {
    "utf8-bom": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf16": lambda text: text.encode("utf-16"),  # with its BOM
    "utf16-be": lambda text: text.encode("utf-16-be"),  # told by its zero bytes
    "utf16-le": lambda text: text.encode("utf-16-le"),
    "utf32": lambda text: text.encode("utf-32"),
    "utf32-le": lambda text: text.encode("utf-32-le"),
}
#: A body whose strings never end, with more brackets than the limit: the scan used to go back over
#: what each string held for every quote in it (minutes for this 2 MB).
UNENDING_STRINGS = b"[" * 50 + b'"' + b'\\"' * 1_000_000 + b"[" * 60
#: A case that takes longer than this hangs, whatever the machine's load.
HANG_GUARD_SECONDS = 60


def _error_body(depth: int) -> str:
    """An error answer of this API with a field nested ``depth`` levels (the object itself is one more)."""
    nested = "[" * depth + '"a\\"[b"' + "]" * depth
    return '{"error_code":"AIS.0101","error_msg":"The input parameter is invalid.","d":' + nested + "}"


def _body_for(path: str) -> tuple[str, bytes]:
    """The status and body bytes for ``/<encoding>-<deep|limit>/...``, ``/unending-strings`` or ``/ok``."""
    behaviour = path.split("/")[1]
    if behaviour == "unending-strings":
        return "200 OK", UNENDING_STRINGS
    encoding, _, depth = behaviour.rpartition("-")
    if encoding in ENCODINGS:
        # "limit": nested exactly as deep as the client accepts (the field's levels and the object's).
        levels = DEEP if depth == "deep" else DEFAULT_MAX_JSON_DEPTH - 1
        return "400 Bad Request", ENCODINGS[encoding](_error_body(levels))
    return "200 OK", b'{"result":{"type":"id_card"}}'


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1")
        length = 0
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        self.rfile.read(length)
        status, body = _body_for(request_line.split(" ")[1] if " " in request_line else "/")
        head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        self.wfile.write(head.encode("ascii") + body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serving(_Server(("127.0.0.1", 0), _Handler)) as url:
        yield url


def _call(url: str, behaviour: str, mode: str) -> Outcome:
    config = ClientConfig(endpoint=f"{url}/{behaviour}", project_id=PROJECT, auth="none", max_retries=0)
    if mode == "sync":
        with IdClassifyClient(config) as client:
            return client.post(json={})

    async def call() -> Outcome:
        async with AsyncIdClassifyClient(config) as client:
            return await client.post(json={})

    return asyncio.run(call())


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_deep_answer_is_refused_in_every_encoding_json_reads(server_url: str, encoding: str, mode: str) -> None:
    with pytest.raises(ResponseTooDeepError) as refused:
        _call(server_url, f"{encoding}-deep", mode)
    assert f"max_json_depth={DEFAULT_MAX_JSON_DEPTH}" in str(refused.value)
    assert PROJECT not in str(refused.value)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_an_answer_nested_as_deep_as_the_limit_is_parsed_in_every_encoding(
    server_url: str, encoding: str, mode: str
) -> None:
    # The harmless variant: the same encodings, within the bound, come back parsed.
    outcome = _call(server_url, f"{encoding}-limit", mode)
    assert (outcome.status, outcome.is_json, outcome.error_code) == (400, True, "AIS.0101")


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_the_depth_check_counts_the_levels_json_loads_would_build(encoding: str) -> None:
    limit = DEFAULT_MAX_JSON_DEPTH
    # The bracket inside a string (after an escaped quote) is no level: this body nests ``limit`` deep.
    assert json_too_deep(ENCODINGS[encoding](_error_body(limit - 1)), limit) is False
    assert json_too_deep(ENCODINGS[encoding](_error_body(limit)), limit) is True


def test_a_body_that_is_not_text_in_its_encoding_is_not_taken_for_json() -> None:
    # json.loads refuses it too, so the client keeps it as text: there is no depth to bound.
    assert json_too_deep(codecs.BOM_UTF8 + b"[" * 200 + b"\xff" + b"]" * 200, 100) is False


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_strings_that_never_end_are_scanned_in_linear_time(server_url: str, mode: str) -> None:
    # Not JSON, so the answer is kept as text; the quadratic scan took minutes, so the guard ends the
    # call and no status comes back (a hang guard, not a timing: the linear scan takes milliseconds).
    result = run_client_case(server_url, "unending-strings", mode, {"max_retries": 0}, HANG_GUARD_SECONDS)
    assert result.get("status") == 200, result
