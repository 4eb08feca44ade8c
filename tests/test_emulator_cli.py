"""``idclassify serve``: the banner, its masking, settings handling, and a real run with two workers."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cli_child import IDCLASSIFY
from click.testing import CliRunner

from pytest_idclassify._cores import threads_per_process
from pytest_idclassify._serve import free_port
from pytest_idclassify.cli import main
from pytest_idclassify.cli._serve import describe
from pytest_idclassify.emulator import EmulatorSettings


def test_banner_prints_published_fakes_and_masks_configured_secrets() -> None:
    default = describe(EmulatorSettings(), "http://127.0.0.1:8080")
    s = EmulatorSettings()
    assert f"http://127.0.0.1:8080/v2/{s.project_id}/ocr/auto-id-doc-classification" in default
    assert s.tokens[0] in default
    assert s.credentials[0][0] in default and s.credentials[0][1] in default
    mine = EmulatorSettings(tokens=("my-real-looking-token-123",), credentials=(("MYAK", "my-real-secret-key-456"),))
    banner = describe(mine, "http://127.0.0.1:1")
    assert "MYAK" in banner
    assert "my-real-looking-token" not in banner and "my-real-secret-key" not in banner


def test_serve_is_registered_and_documents_its_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--config", "--fault", "--no-fault-header"):
        assert option in result.output


def test_a_bad_setting_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "e.toml"
    config.write_text("alarm_threshold = 500\n")
    result = CliRunner().invoke(main, ["serve", "--config", str(config)])
    assert result.exit_code == 2
    assert "alarm_threshold" in result.output


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--port", "70000"], {}, "'--port': 70000 is not in the range 0<=x<=65535"),
        (["--log-level", "loud"], {}, "'--log-level': 'loud' is not one of"),
        (["--rate-burst", "5"], {}, "Error: --rate-burst is 5 but rate_limit is 0 (off), so nothing is throttled"),
        # A setting given as a flag is named by the flag; one from the environment by its variable.
        (["--proxy-to", "127.0.0.1:9"], {}, "Error: --proxy-to is '127.0.0.1:9'; give the real endpoint's base URL"),
        (["--alarm-threshold", "120"], {}, "Error: --alarm-threshold is 120; scores are 0..99"),
        (
            [],
            {"IDCLASSIFY_EMULATOR_ALARM_THRESHOLD": "120"},
            "setting alarm_threshold (IDCLASSIFY_EMULATOR_ALARM_THRESHOLD) is 120",
        ),
        (["--host", "256.1.1.1"], {}, "cannot listen on 256.1.1.1:"),
        ([], {"IDCLASSIFY_EMULATOR_PROJECTID": "x"}, "did you mean IDCLASSIFY_EMULATOR_PROJECT_ID?"),
    ],
)
def test_a_start_up_mistake_is_one_usage_error_before_the_banner(
    args: list[str], env: dict[str, str], fragment: str
) -> None:
    result = CliRunner().invoke(main, ["serve", *args], env=env)
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "endpoint:" not in result.output and len(result.output.strip().splitlines()) <= 4


def test_a_port_in_use_is_refused_before_the_banner() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "endpoint:" not in result.output


@pytest.mark.slow
def test_serve_with_two_workers_answers_with_env_settings(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "emulator.json"
    config.write_text('{"project_id": "feedfacefeedfacefeedfacefeedface"}')
    env = {**os.environ, "IDCLASSIFY_EMULATOR_TOKENS": "worker-token-abcdefgh", "PYTHONPATH": os.getcwd()}
    env.pop("OPENCV_FOR_THREADS_NUM", None)  # a pytest-xdist worker's own share is not the server's to keep
    command = [*IDCLASSIFY, "serve", "--port", str(port),
               "--workers", "2", "--config", str(config), "--fault", "throttle", "--fault-every", "2"]  # fmt: skip
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        path = "/v2/feedfacefeedfacefeedfacefeedface/ocr/auto-id-doc-classification"
        deadline = time.monotonic() + 30
        while True:
            try:
                first = httpx.post(
                    f"http://127.0.0.1:{port}{path}", content=b"{}", headers={"X-Auth-Token": "worker-token-abcdefgh"}
                )
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None, "server did not start"
                time.sleep(0.2)
        statuses = {first.status_code}
        for _ in range(8):
            r = httpx.post(
                f"http://127.0.0.1:{port}{path}", content=b"{}", headers={"X-Auth-Token": "worker-token-abcdefgh"}
            )
            statuses.add(r.status_code)
        # The config file's project and the environment's token reached the workers, and so did the fault.
        assert statuses == {400, 429}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert "feedfacefeedfacefeedfacefeedface" in output
    assert "worker-token-abcdefgh" not in output
    # Two workers share the CPUs out: each one's OpenCV keeps to its share instead of one thread per CPU.
    assert f"workers:    2 (OpenCV threads: {threads_per_process(2)} each)" in output
    assert "journal, run-time stubs and throttle buckets are per worker process" in output


def test_the_log_levels_serve_offers_are_uvicorns() -> None:
    # Written out so that `idclassify --help` does not import uvicorn; a uvicorn that changes its
    # levels must show here, not as a KeyError when the server starts.
    import uvicorn.config

    from pytest_idclassify.cli._serve import _LOG_LEVELS

    assert set(_LOG_LEVELS) == set(uvicorn.config.LOG_LEVELS)
