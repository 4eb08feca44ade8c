"""A suite recorded once replays with zero misses in another order and from two xdist workers."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import base64
import os
import zlib

import pytest

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.cassettes import cassette_path, use_cassette
from pytest_idclassify.client import ClientConfig, IdClassifyClient
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.images._flat import png_flat

PROJECT = "0123456789abcdef0123456789abcdef"
MODE = os.environ["CASSETTE_MODE"]
DIRECTORY = os.environ["CASSETTE_DIR"]


def pytest_collection_modifyitems(items):
    if os.environ.get("REVERSE"):
        items.reverse()


@pytest.fixture(scope="session")
def endpoint():
    if MODE == "none":
        yield "http://127.0.0.1:9"  # nothing listens: replay must not need the network
        return
    with serve_in_thread(create_app(EmulatorSettings(project_id=PROJECT))) as url:
        yield url


@pytest.fixture
def client(request, endpoint):
    config = ClientConfig(endpoint=endpoint, project_id=PROJECT, token="idclassify-emulator-token")
    with use_cassette(cassette_path(DIRECTORY, request.node.nodeid), record_mode=MODE):
        with IdClassifyClient(config, retry=None) as c:
            yield c


def image(side, colour):
    return base64.b64encode(png_flat(side, side + 5, colour)).decode()
"""

TESTS = """
import pytest
from conftest import image


@pytest.mark.parametrize("side", [10, 15, 40, 9000])
def test_sizes(client, side):
    first = client.classify(data=image(side, (side % 255, 20, 30)), alarm=True)
    again = client.classify(data=image(side, (side % 255, 20, 30)), alarm=False)
    assert first.status == again.status == 400
    assert first.body["error_code"].startswith("AIS.")


def test_url_and_neither(client):
    assert client.classify(url="http://127.0.0.1:1/x.png").status == 400
    assert client.post(json={}).status == 400
    assert client.post(content=b"{not json").status == 400


def test_no_token(client):
    assert client.classify(data=image(20, (1, 2, 3)), auth=None).status == 401
"""


@pytest.mark.slow
def test_record_once_replay_reversed_and_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=TESTS)
    directory = pytester.path / "recorded"
    monkeypatch.setenv("CASSETTE_DIR", str(directory))

    monkeypatch.setenv("CASSETTE_MODE", "once")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=6)
    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.json"))
    assert len(files) == 6, files
    recorded = {p: (directory / p).read_bytes() for p in files}

    monkeypatch.setenv("CASSETTE_MODE", "none")
    monkeypatch.setenv("REVERSE", "1")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=6)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2").assert_outcomes(passed=6)
    # Replay writes nothing: the files are byte for byte what was recorded.
    assert {p: (directory / p).read_bytes() for p in files} == recorded

    # A cassette that lacks a test's requests makes that test fail with the miss message, not a network call.
    (directory / files[-1]).unlink()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(["*CassetteMissError: no recorded interaction in*", "*does not exist*"])
