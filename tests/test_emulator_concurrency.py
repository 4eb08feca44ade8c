"""Recognition under load: a cap on concurrent decoding and analysis, and an engine warm before the first request."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from thread_overlap import overlap_of, run_clients

from pytest_idclassify.cli import main
from pytest_idclassify.emulator import EmulatorSettings, _app, serve
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.images import ImageRecipe

ENV = "IDCLASSIFY_EMULATOR_RECOGNITION_CONCURRENCY"


def test_the_default_is_the_cpus_this_process_may_use() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert EmulatorSettings().recognition_concurrency == max(1, expected or 1)


def test_it_is_set_like_every_other_setting(tmp_path: Path) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text("[emulator]\nrecognition_concurrency = 2\n")
    assert EmulatorSettings.load(config_file=config).recognition_concurrency == 2
    assert EmulatorSettings.load(config_file=config, environ={ENV: "3"}).recognition_concurrency == 3
    overridden = EmulatorSettings.load(config_file=config, environ={ENV: "3"}, overrides={"recognition_concurrency": 5})
    assert overridden.recognition_concurrency == 5


@pytest.mark.parametrize(("value", "fragment"), [("0", "must be positive"), ("many", "expected an integer")])
def test_a_bad_value_names_the_variable(value: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as caught:
        EmulatorSettings.load(environ={ENV: value})
    assert ENV in str(caught.value)


def test_serve_has_a_flag_for_it() -> None:
    assert "--recognition-concurrency" in CliRunner().invoke(main, ["serve", "--help"]).output
    refused = CliRunner().invoke(main, ["serve", "--recognition-concurrency", "0"])
    assert refused.exit_code == 2
    assert "--recognition-concurrency" in refused.output


@pytest.mark.parametrize("cap", [1, 2])
def test_no_more_images_are_recognised_at_once_than_the_cap(cap: int) -> None:
    settings = EmulatorSettings(recognition_concurrency=cap)
    path = f"/v2/{settings.project_id}/ocr/auto-id-doc-classification"
    image = ImageRecipe(format="jpeg", width=1280, height=800, content="specimen", doc_type="passport").render()
    body = json.dumps({"data": base64.b64encode(image).decode(), "alarm": True}).encode()
    headers = {"X-Auth-Token": settings.tokens[0], "Content-Type": "application/json"}
    statuses: list[int] = []

    with serve(settings) as url, overlap_of(_app, "recognise") as recognitions:

        def client() -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                statuses.extend(http.post(path, content=body, headers=headers).status_code for _ in range(3))

        run_clients(client)
    assert statuses == [200] * 18
    # Six clients keep the emulator busy: the cap is reached, and never passed.
    assert recognitions.most == cap, f"at most {recognitions.most} recognitions at once, the cap is {cap}"


def test_a_served_emulator_is_warm_before_its_first_request() -> None:
    # A fresh interpreter, so no earlier test has drawn the templates.
    script = (
        "from pytest_idclassify.emulator import EmulatorSettings, serve\n"
        "from pytest_idclassify.emulator._vision._templates import templates\n"
        "before = templates.cache_info().currsize\n"
        "with serve(EmulatorSettings()):\n"
        "    print(before, templates.cache_info().currsize)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "1"]
