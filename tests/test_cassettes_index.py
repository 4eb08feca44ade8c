"""Replay looks requests up by their match key and plays what vcrpy's scan would play, in the same order."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.cassettes import use_cassette
from pytest_idclassify.cassettes._vcr import make_vcr
from pytest_idclassify.client import ClientConfig, IdClassifyClient
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.errors import CassetteMissError
from pytest_idclassify.images._flat import png_flat

PROJECT = "1dea1dea1dea1dea1dea1dea1dea1dea"
TOKEN = "index-test-token-000000"


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with serve_in_thread(create_app(EmulatorSettings(project_id=PROJECT, tokens=(TOKEN,)))) as url:
        yield url


def _data(side: int) -> str:
    return base64.b64encode(png_flat(side, side + 1, (side % 256, 40, 50))).decode("ascii")


def _config(endpoint: str) -> ClientConfig:
    return ClientConfig(endpoint=endpoint, project_id=PROJECT, token=TOKEN, max_retries=0)


def test_many_interactions_replay_each_to_its_own_answer_in_any_order(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    sides = list(range(10, 70))
    with use_cassette(path, record_mode="once"), IdClassifyClient(_config(emulator_url)) as client:
        recorded = {side: client.classify(data=_data(side), alarm=side % 2 == 0).body for side in sides}
    # Nothing listens on port 9: every answer must come from the cassette, matched to its own request.
    with use_cassette(path), IdClassifyClient(_config("http://127.0.0.1:9")) as client:
        for side in reversed(sides):
            assert client.classify(data=_data(side), alarm=side % 2 == 0).body == recorded[side]
        with pytest.raises(CassetteMissError, match="already played"):
            client.classify(data=_data(10), alarm=True)


def test_the_same_request_sent_twice_plays_its_recordings_in_order(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    with use_cassette(path, record_mode="once"), IdClassifyClient(_config(emulator_url)) as client:
        first = client.classify(data=_data(20)).headers["x-request-id"]
        second = client.classify(data=_data(20)).headers["x-request-id"]
    assert first != second
    with use_cassette(path), IdClassifyClient(_config("http://127.0.0.1:9")) as client:
        assert client.classify(data=_data(20)).headers["x-request-id"] == first
        assert client.classify(data=_data(20)).headers["x-request-id"] == second
    with use_cassette(path, allow_playback_repeats=True), IdClassifyClient(_config("http://127.0.0.1:9")) as client:
        assert [client.classify(data=_data(20)).headers["x-request-id"] for _ in range(3)] == [first] * 3


def test_interactions_added_by_new_episodes_are_found(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "grow.json"
    with use_cassette(path, record_mode="once"), IdClassifyClient(_config(emulator_url)) as client:
        client.classify(data=_data(30))
    with use_cassette(path, record_mode="new_episodes") as cassette, IdClassifyClient(_config(emulator_url)) as client:
        client.classify(data=_data(30))
        added = client.classify(data=_data(31)).headers["x-request-id"]
        # Recorded moments ago in this cassette: the lookup must see it without a reload.
        assert cassette.play_count == 1 and len(cassette) == 2
    with use_cassette(path), IdClassifyClient(_config("http://127.0.0.1:9")) as client:
        assert client.classify(data=_data(31)).headers["x-request-id"] == added


def test_the_index_and_vcrpys_own_scan_find_the_same_interactions(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "scan.json"
    with use_cassette(path, record_mode="once"), IdClassifyClient(_config(emulator_url)) as client:
        for side in (16, 17, 16, 18):
            client.classify(data=_data(side), alarm=True)
        client.classify(url="http://127.0.0.1:1/x.png")
    with make_vcr().use_cassette(str(path)) as cassette:
        from vcr.cassette import Cassette

        for stored, _ in cassette.data:
            ours = [index for index, _ in cassette._responses(stored)]
            theirs = [index for index, _ in Cassette._responses(cassette, stored)]
            assert ours == theirs and ours
