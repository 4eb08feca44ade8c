"""Scrub, lint and diff; the miss message; the shipped examples replayed with the real client."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr
from click.testing import CliRunner

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.cassettes import (
    cassette_path,
    diff_cassettes,
    lint_cassettes,
    note_image,
    scrub_cassette,
    use_cassette,
)
from pytest_idclassify.cli import main
from pytest_idclassify.client import ClientConfig, IdClassifyClient
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.errors import CassetteError, CassetteMissError
from pytest_idclassify.images._flat import png_flat
from pytest_idclassify.validation import validate_response

PROJECT = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"
TOKEN = "SCRUBCANARY-token-Vb7Nq2Wx"
EXAMPLES = Path(__file__).parent.parent / "cassettes" / "examples" / "api-page-examples.json"


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with serve_in_thread(create_app(EmulatorSettings(project_id=PROJECT, tokens=(TOKEN,)))) as url:
        yield url


def _data(side: int = 30) -> str:
    return base64.b64encode(png_flat(side, side, (200, 10, 10))).decode("ascii")


def test_scrub_converts_a_plain_vcrpy_yaml_cassette_into_a_clean_one(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    config = ClientConfig(endpoint=emulator_url, project_id=PROJECT, token=TOKEN)
    with vcr.VCR().use_cassette(str(path)), IdClassifyClient(config) as client:
        expected = client.classify(data=_data(), alarm=True)
    raw = path.read_text()
    assert TOKEN in raw and PROJECT in raw and _data() in raw
    assert {f.rule for f in lint_cassettes([path])} >= {"format", "secret.project-id"}

    assert scrub_cassette(path) is True
    text = path.read_text()
    assert TOKEN not in text and PROJECT not in text and _data() not in text
    assert lint_cassettes([path]) == []
    assert scrub_cassette(path, check=True) is False  # idempotent

    with use_cassette(path), IdClassifyClient(config.replace(project_id="another0project")) as client:
        replayed = client.classify(data=_data(), alarm=True)
    assert (replayed.status, replayed.body) == (expected.status, expected.body)


def _cassette(interactions: list[dict[str, object]]) -> str:
    return json.dumps({"format": "pytest-idclassify-cassette/1", "interactions": interactions})


def _examples() -> list[dict[str, object]]:
    return list(json.loads(EXAMPLES.read_text())["interactions"])


@pytest.mark.parametrize(
    ("where", "value", "rule"),
    [
        ("authorization", "SDK-HMAC-SHA256 Access=ABCDEFGHIJ0123456789, SignedHeaders=host, Signature=[REDACTED]",
         "secret.access-key"),
        ("url", "https://b.obs.example.com/o?AccessKeyId=[REDACTED]&Signature=0a1b2c3d4e5f", "secret.signature"),
        ("token", "MII" + "A" * 60, "secret.token"),
        ("uri", "https://ocr.example.com/v2/0123456789abcdef0123456789abcdef/ocr/auto-id-doc-classification",
         "secret.project-id"),
        ("password", "hunter2-is-not-redacted", "secret.password"),
        ("image", "/9j/" + "A" * 600, "image.bytes"),
    ],
)  # fmt: skip
def test_lint_finds_each_kind_of_leak(tmp_path: Path, where: str, value: str, rule: str) -> None:
    interactions = _examples()
    request = copy.deepcopy(interactions[1]["request"])
    assert isinstance(request, dict)
    if where == "authorization":
        request["headers"]["Authorization"] = value
    elif where == "token":
        request["headers"]["X-Auth-Token"] = value
    elif where == "uri":
        request["uri"] = value
    elif where == "password":
        request["body"] = {"json": {"password": value}}
    else:
        request["body"] = {"json": {"url": value}} if where == "url" else {"json": {"data": value}}
    interactions[1]["request"] = request
    path = tmp_path / "leak.json"
    path.write_text(_cassette(interactions))
    rules = {f.rule for f in lint_cassettes([path])}
    assert rule in rules
    result = CliRunner().invoke(main, ["cassettes", "lint", str(path)])
    assert result.exit_code == 1 and rule in result.output


def test_lint_checks_answers_against_the_schemas_and_sizes(tmp_path: Path) -> None:
    interactions = _examples()
    broken = copy.deepcopy(interactions[0])
    broken["response"]["body"]["json"]["result"]["alarm_confidence"]["blur_score"] = 150  # type: ignore[index]
    path = tmp_path / "bad.json"
    path.write_text(_cassette([broken]))
    assert any(f.rule.startswith("schema:") and "blur_score" in f.message for f in lint_cassettes([path]))
    assert [f.rule for f in lint_cassettes([EXAMPLES], max_interaction_bytes=1000)] == ["size"]
    assert CliRunner().invoke(main, ["cassettes", "lint", str(EXAMPLES)]).exit_code == 0


def test_diff_reports_shape_changes_and_ignores_volatile_values(tmp_path: Path) -> None:
    old = _examples()
    new = copy.deepcopy(old)
    result = new[0]["response"]["body"]["json"]["result"]  # type: ignore[index]
    result["alarm_confidence"]["blur_score"] = 12
    result["confidence"] = 0.5
    result["type"] = "passport"
    result["side"] = "front"
    new[0]["response"]["headers"]["X-Request-Id"] = "ffffffffffffffffffffffffffffffff"  # type: ignore[index]
    new[1]["response"]["body"]["json"]["error_msg"] = "The image is too small."  # type: ignore[index]
    (tmp_path / "old.json").write_text(_cassette(old))
    (tmp_path / "new.json").write_text(_cassette(new))
    drift = diff_cassettes(tmp_path / "old.json", tmp_path / "new.json")
    kinds = sorted((d.kind, d.where.split(" ")[-1]) for d in drift)
    assert kinds == [
        ("enum", "/result/type"),
        ("error-message", "/error_msg"),
        ("field-added", "/result/side"),
    ]
    cli = CliRunner().invoke(main, ["cassettes", "diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")])
    assert cli.exit_code == 1 and "'id_card' -> 'passport'" in cli.output
    same = CliRunner().invoke(main, ["cassettes", "diff", str(EXAMPLES), str(EXAMPLES)])
    assert same.exit_code == 0, same.output


def test_a_miss_names_the_request_the_closest_recording_and_the_fix(emulator_url: str, tmp_path: Path) -> None:
    path = cassette_path(tmp_path, "tests/test_x.py::test_y[a/b c]")
    assert path.parent == tmp_path / "test_x" and "/" not in path.name and path.name != "test_y[a_b_c].json"
    config = ClientConfig(endpoint=emulator_url, project_id=PROJECT, token=TOKEN)
    with use_cassette(path, record_mode="once"), IdClassifyClient(config) as client:
        client.classify(data=_data(30), alarm=True)
        client.classify(url="http://127.0.0.1:1/a.png", alarm=False)
    with use_cassette(path), IdClassifyClient(config) as client, pytest.raises(CassetteMissError) as caught:
        client.classify(data=_data(30), alarm=False)
    message = str(caught.value)
    assert 'path = "/v2/{project_id}/ocr/auto-id-doc-classification"' in message
    assert "body.data = sha256:" in message and "png 30x30" in message
    assert "closest recorded: interaction 1 of 2" in message
    assert "body.alarm: recorded true, now false" in message
    # The hint names what re-records a use_cassette cassette: its own record_mode argument, not a pytest option.
    assert f"use_cassette({str(path)!r}, record_mode='rewrite')" in message
    assert "--idclassify-record-mode" not in message


def _record_red_recipe(emulator_url: str, path: Path, libraries: dict[str, str]) -> ClientConfig:
    then = _data(30)
    note_image(then, "png 30x30 red", libraries=libraries)
    config = ClientConfig(endpoint=emulator_url, project_id=PROJECT, token=TOKEN)
    with use_cassette(path, record_mode="once"), IdClassifyClient(config) as client:
        client.classify(data=then)
    recorded = json.loads(path.read_text())["interactions"][0]["request"]["body"]["json"]["data"]
    assert (recorded["recipe"], recorded["rendered_with"]) == ("png 30x30 red", libraries)
    return config


def test_a_recipe_drawn_by_another_library_release_replays_and_says_so(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "render.json"
    config = _record_red_recipe(emulator_url, path, {"OpenCV": "5.0.0", "Pillow": "9.5.0"})
    # A new Pillow draws the same recipe with other bytes: the recorded answer is still the recipe's.
    now = base64.b64encode(png_flat(30, 30, (201, 10, 10))).decode("ascii")
    note_image(now, "png 30x30 red", libraries={"OpenCV": "5.0.0", "Pillow": "11.0.0"})
    with use_cassette(path) as cassette, IdClassifyClient(config) as client:
        answer = client.classify(data=now)
    recorded = json.loads(path.read_text())["interactions"][0]["response"]
    assert (answer.status, answer.body) == (recorded["status"], recorded["body"]["json"])
    assert cassette.rendered_differently == {"Pillow 11.0.0 (recorded: 9.5.0)": {"png 30x30 red"}}
    # An image of the user's own, with no recipe, is matched by its bytes alone: other bytes miss.
    other = base64.b64encode(png_flat(30, 30, (202, 10, 10))).decode("ascii")
    with use_cassette(path), IdClassifyClient(config) as client, pytest.raises(CassetteMissError):
        client.classify(data=other)


def test_a_recipe_that_draws_otherwise_under_the_same_libraries_misses(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "render.json"
    libraries = {"OpenCV": "5.0.0", "Pillow": "9.5.0", "pytest-idclassify": "0.1.0"}
    config = _record_red_recipe(emulator_url, path, libraries)
    now = base64.b64encode(png_flat(30, 30, (201, 10, 10))).decode("ascii")
    note_image(now, "png 30x30 red", libraries=libraries)
    with use_cassette(path), IdClassifyClient(config) as client, pytest.raises(CassetteMissError) as caught:
        client.classify(data=now)
    assert (
        "the image for recipe 'png 30x30 red' renders differently than when recorded although the rendering "
        "libraries are the same (OpenCV 5.0.0, Pillow 9.5.0, pytest-idclassify 0.1.0): the recipe's renderer changed"
    ) in str(caught.value)
    # A release of this package alone may have changed the renderer: no match by recipe either.
    note_image(now, "png 30x30 red", libraries={**libraries, "pytest-idclassify": "0.2.0"})
    with use_cassette(path), IdClassifyClient(config) as client, pytest.raises(CassetteMissError) as caught:
        client.classify(data=now)
    assert "renders differently under pytest-idclassify 0.2.0 than when recorded (0.1.0)" in str(caught.value)


def test_recording_modes_record_a_recipe_drawn_otherwise_and_note_nothing(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "render.json"
    config = _record_red_recipe(emulator_url, path, {"Pillow": "9.5.0"})
    now = base64.b64encode(png_flat(30, 30, (201, 10, 10))).decode("ascii")
    note_image(now, "png 30x30 red", libraries={"Pillow": "11.0.0"})
    with use_cassette(path, record_mode="new_episodes") as cassette, IdClassifyClient(config) as client:
        client.classify(data=now)
    assert cassette.rendered_differently == {}
    recorded = [i["request"]["body"]["json"]["data"] for i in json.loads(path.read_text())["interactions"]]
    assert [d["rendered_with"]["Pillow"] for d in recorded] == ["9.5.0", "11.0.0"]
    # What new_episodes recorded replays by its bytes.
    with use_cassette(path) as cassette, IdClassifyClient(config) as client:
        client.classify(data=now)
    assert cassette.rendered_differently == {}
    with use_cassette(path, record_mode="rewrite") as cassette, IdClassifyClient(config) as client:
        client.classify(data=now)
    assert cassette.rendered_differently == {}


def test_a_recipe_replayed_more_often_than_recorded_says_so(emulator_url: str, tmp_path: Path) -> None:
    path = tmp_path / "render.json"
    config = _record_red_recipe(emulator_url, path, {"Pillow": "9.5.0"})
    now = base64.b64encode(png_flat(30, 30, (201, 10, 10))).decode("ascii")
    note_image(now, "png 30x30 red", libraries={"Pillow": "11.0.0"})
    with use_cassette(path), IdClassifyClient(config) as client, pytest.raises(CassetteMissError) as caught:
        client.classify(data=now)
        client.classify(data=now)
    message = str(caught.value)
    assert (
        "it matches recorded interaction 1 of 1 by recipe (drawn with Pillow 11.0.0 (recorded: 9.5.0)), already "
        "played: the test sends this request more times (2) than were recorded"
    ) in message
    assert "closest recorded" not in message and "renders differently" not in message


def test_the_shipped_examples_replay_with_the_real_client_and_validate() -> None:
    config = ClientConfig(region="cn-north-4", project_id="0000000000000000000000000000000a", token="a-fake-token")
    with use_cassette(EXAMPLES), IdClassifyClient(config) as client:
        ok = client.classify(data="/9j/4AAQSkZJRgABAgEASABIAAD/4RFZRXhpZgAATU0AKgAAAA...", alarm=True)
        error = client.classify(url="https://BucketName.obs.myhuaweicloud.com/ObjectName", alarm=True)
    assert ok.status == 200 and ok.body["result"]["type"] == "id_card"
    assert validate_response(ok.body, status=200, request={"alarm": True}, headers=dict(ok.headers)) == []
    assert (error.status, error.body["error_code"]) == (400, "AIS.0103")
    assert validate_response(error.body, status=400, headers=dict(error.headers)) == []


def test_the_public_names_are_exported_sorted_and_documented() -> None:
    import pytest_idclassify.cassettes as package

    # ruff's RUF022 order: constants, then classes, then functions, each alphabetical
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert package.__all__ == sorted(package.__all__, key=kind)
    public = {n for n, v in vars(package).items() if not n.startswith("_") and callable(v) and n != "annotations"}
    assert public <= set(package.__all__), public - set(package.__all__)
    assert all(getattr(package, n).__doc__ for n in package.__all__ if callable(getattr(package, n)))


def test_a_cassette_for_httpx_alone_still_records_and_replays_the_client(tmp_path: Path, emulator_url: str) -> None:
    # The contract suite patches httpx alone; what it records and replays is the same.
    path = tmp_path / "httpx-only.json"
    config = ClientConfig(endpoint=emulator_url, project_id=PROJECT, token=TOKEN)
    with use_cassette(path, record_mode="once", libraries=("httpx",)), IdClassifyClient(config) as client:
        recorded = client.classify(data=_data(), alarm=True)
    # Nothing listens there: the answer can only come from the cassette.
    nowhere = config.replace(endpoint="http://127.0.0.1:9")
    with use_cassette(path, libraries=("httpx",)), IdClassifyClient(nowhere) as client:
        replayed = client.classify(data=_data(), alarm=True)
    assert (
        (replayed.status, replayed.body)
        == (recorded.status, recorded.body)
        == (400, {"error_code": "AIS.0105", "error_msg": "Recognition failed."})
    )
    with pytest.raises(CassetteError, match="requestz"):
        use_cassette(path, libraries=("httpx", "requestz"))


_HAND_MADE = """interactions:
- request:
    body:
      string: '{"password":"CANARY-REQUEST-STRING-1234"}'
    headers: {}
    method: POST
    uri: http://127.0.0.1:8/x
  response:
    body:
      string: '{}'
    headers: {}
    status: {code: 200, message: OK}
version: 1
"""


def test_scrub_reads_a_hand_made_body_form_and_goes_on_past_a_file_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "a_hand_made.yaml").write_text(_HAND_MADE)
    (tmp_path / "b_broken.yaml").write_text("interactions: [unclosed\n")
    (tmp_path / "c_plain.yaml").write_text(_HAND_MADE.replace("CANARY-REQUEST-STRING-1234", "CANARY-LATER-FILE-99"))
    result = CliRunner().invoke(main, ["cassettes", "scrub", str(tmp_path)])
    # The file it cannot read is named, and the batch went on: the files after it are clean.
    assert result.exit_code == 1 and "b_broken.yaml" in result.output and "Traceback" not in result.output
    assert "CANARY-REQUEST-STRING-1234" not in (tmp_path / "a_hand_made.yaml").read_text()
    assert "CANARY-LATER-FILE-99" not in (tmp_path / "c_plain.yaml").read_text()


def test_lint_of_a_folder_without_cassettes_fails_and_a_negative_bound_is_refused(tmp_path: Path) -> None:
    empty = CliRunner().invoke(main, ["cassettes", "lint", str(tmp_path)])
    assert empty.exit_code == 1 and "no cassette (*.json, *.yaml, *.yml) under" in empty.output
    negative = CliRunner().invoke(main, ["cassettes", "lint", "--max-interaction-bytes", "-1", str(tmp_path)])
    assert negative.exit_code == 2 and "'--max-interaction-bytes': -1 is not in the range" in negative.output


def test_lint_tells_a_file_that_is_not_json_from_a_vcrpy_cassette(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"broken', encoding="utf-8")
    (tmp_path / "plain.yaml").write_text("interactions: []\nversion: 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["cassettes", "lint", str(tmp_path)])
    assert result.exit_code == 1
    broken = next(line for line in result.output.splitlines() if "broken.json" in line)
    assert "is not JSON" in broken and "restore it from version control" in broken and "scrub" not in broken
    plain = next(line for line in result.output.splitlines() if "plain.yaml" in line)
    assert "a plain vcrpy cassette?" in plain and "idclassify cassettes scrub" in plain


def test_a_cassette_of_another_release_is_named_so_by_replay_scrub_and_lint(tmp_path: Path) -> None:
    from pytest_idclassify._paths import cassettes_dir

    shipped = cassettes_dir() / "gate" / "test_contract" / "test_clause[request.body.json[nan]].json"
    path = tmp_path / "newer.json"
    path.write_text(shipped.read_text().replace("pytest-idclassify-cassette/1", "pytest-idclassify-cassette/2", 1))
    before = path.read_bytes()
    with pytest.raises(CassetteError, match="written by another pytest-idclassify release"), use_cassette(path):
        pass
    scrubbed = CliRunner().invoke(main, ["cassettes", "scrub", str(path)])
    linted = CliRunner().invoke(main, ["cassettes", "lint", str(path)])
    for result in (scrubbed, linted):
        assert result.exit_code != 0 and "another pytest-idclassify release" in result.output, result.output
        assert "AttributeError" not in result.output and "vcrpy" not in result.output
    assert path.read_bytes() == before
    # Harmless: a cassette of this release still lints clean.
    assert CliRunner().invoke(main, ["cassettes", "lint", str(shipped)]).exit_code == 0
