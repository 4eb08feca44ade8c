"""The emulator's resource bounds, each against an input that would break it (docs/reference/security.md).

Memory is measured as the peak resident size a fresh process adds (``tests/hostile_images.py``);
connection bounds over real HTTP on loopback, against uvicorn serving the app.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import socket
import subprocess
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import hostile_images
import httpx
import numpy as np
import pytest
from cli_child import IDCLASSIFY
from PIL import Image
from thread_overlap import overlap_of, run_clients

from pytest_idclassify._serve import free_port
from pytest_idclassify.emulator import EmulatorSettings, asgi_transport, create_app
from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._budget import BodyBudget
from pytest_idclassify.emulator._pipeline import decode_scale, recognise
from pytest_idclassify.emulator._vision._decode import _check_tiff_scans, decode_image, jpeg_scan_count

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
TOKEN = SETTINGS.tokens[0]
MIB = 1024 * 1024
#: the 8-bit RGB raster of an 8192 x 8192 picture: what decoding one must produce anyway.
RASTER = 8192 * 8192 * 3


def _post(body: dict[str, object], settings: EmulatorSettings = SETTINGS) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(settings), base_url="http://emulator") as client:
            return await client.post(PATH, json=body, headers={"X-Auth-Token": TOKEN})

    return anyio.run(go)


def _specimen_jpeg(width: int, height: int, *, progressive: bool = False) -> bytes:
    from pytest_idclassify.images import render_scene

    scene = np.asarray(render_scene("id_card", width=1280, height=800).pixels)
    import cv2

    big = cv2.resize(scene, (width, height), interpolation=cv2.INTER_CUBIC)
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, format="JPEG", quality=90, progressive=progressive)
    return buffer.getvalue()


# --- decoding: memory -------------------------------------------------------------------------------


#: each hostile picture with the most its answer may add to the peak resident size.
HOSTILE = [
    # The figure the bound is stated for: a 16-bit grey TIFF of 190 kB used to peak near 2.9 GB.
    ("I;16", 600 * MIB),
    ("CMYK", int(2.5 * RASTER)),
    ("RGBA", int(2.5 * RASTER)),
    ("F", int(2.5 * RASTER)),
    ("1", int(2.5 * RASTER)),
    ("png", int(2.5 * RASTER)),
]


@pytest.mark.slow
def test_an_8192_square_image_costs_about_twice_its_8_bit_raster(tmp_path: Path) -> None:
    images = [hostile_images.flat_png() if name == "png" else hostile_images.tiff(name) for name, _ in HOSTILE]
    peaks = hostile_images.recognition_peaks(images, str(tmp_path))
    over = {name: peak // MIB for (name, limit), (_, peak) in zip(HOSTILE, peaks, strict=True) if peak > limit}
    # Flat pictures hold no document: decoded whole, analysed, refused for what they show.
    assert [outcome for outcome, _ in peaks] == ["AIS.0105"] * len(HOSTILE)
    assert not over, f"peak MiB over the bound: {over}"


def test_deep_and_odd_modes_still_decode_to_the_same_pixels() -> None:
    # The strip-wise conversion gives what a whole-frame conversion gave.
    deep = (np.arange(300 * 7, dtype=np.uint32).reshape(300, 7) * 31 % 65536).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(deep).save(buffer, format="TIFF")
    expected = np.clip(np.rint(deep.astype(np.float64) / 65535 * 255), 0, 255).astype(np.uint8)
    assert np.array_equal(decode_image(buffer.getvalue())[:, :, 0], expected)
    cmyk = Image.new("CMYK", (9, 600), (10, 20, 30, 40))
    buffer = io.BytesIO()
    cmyk.save(buffer, format="TIFF")
    assert np.array_equal(decode_image(buffer.getvalue()), np.asarray(cmyk.convert("RGB")))


# --- decoding: work -----------------------------------------------------------------------------------


def test_scans_are_counted_from_the_markers() -> None:
    ordinary = hostile_images.progressive_jpeg()
    assert jpeg_scan_count(ordinary, stop_after=100) == ordinary.count(b"\xff\xda") == 10
    baseline = _specimen_jpeg(64, 40)
    assert jpeg_scan_count(baseline, stop_after=100) == 1
    # Counting stops once past the limit: the cost does not grow with the file.
    many = hostile_images.many_scan_jpeg(64, 5_000)
    assert jpeg_scan_count(many, stop_after=32) == 33
    # A stray byte before the first scan, which the decoder skips, does not blind the count.
    first_scan = many.index(b"\xff\xda")
    padded = many[:first_scan] + b"\x00" + many[first_scan:]
    assert decode_image(padded, max_jpeg_scans=10_000).shape == (64, 64, 3)
    assert jpeg_scan_count(padded, stop_after=32) == 33
    # Nor does a stuffed zero, which a marker walk would take for a segment with a length.
    stuffed = many[:first_scan] + b"\xff\x00\x7f\x7f" + many[first_scan:]
    assert decode_image(stuffed, max_jpeg_scans=10_000).shape == (64, 64, 3)
    assert jpeg_scan_count(stuffed, stop_after=32) == 33


def test_a_many_scan_progressive_jpeg_is_refused_before_it_is_decoded() -> None:
    # 20,000 repeats of one tiny scan: each is a pass over 16 M pixels (minutes of CPU when decoded).
    hostile = hostile_images.many_scan_jpeg(4096, 20_000)
    answer = _post({"data": base64.b64encode(hostile).decode()})
    assert (answer.status_code, answer.json()["error_code"]) == (400, SETTINGS.code_undecodable)
    # An ordinary progressive JPEG is decoded as before, and a higher cap lets more scans through.
    assert decode_image(hostile_images.progressive_jpeg(), max_jpeg_scans=32).shape == (640, 640, 3)
    small = hostile_images.many_scan_jpeg(32, 40)
    assert decode_image(small, max_jpeg_scans=64).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="more than 32 scans"):
        decode_image(small, max_jpeg_scans=32)


def test_strips_that_share_their_bytes_are_walked_once() -> None:
    # 5,000 distinct strips over the same bytes: refused as overlapping once a file's worth is walked.
    ordinary = hostile_images.jpeg_in_tiff(hostile_images.many_scan_jpeg(64, 5), 64)
    entries = 5_000
    overlapping = [(i % 100, len(ordinary) - 100) for i in range(entries)]
    with pytest.raises(ValueError, match="overlap or run past the end"):
        _check_tiff_scans(hostile_images.tiff_with_strips(ordinary, overlapping), 32)
    # One distinct stretch named many times is walked once, and passes.
    start, end = ordinary.index(b"\xff\xd8"), ordinary.index(b"\xff\xd9") + 2
    shared = hostile_images.tiff_with_strips(ordinary, [(start, end - start)] * entries)
    _check_tiff_scans(shared, 32)


def test_a_jpeg_compressed_tiff_is_held_to_the_same_scan_limit() -> None:
    hostile = hostile_images.jpeg_in_tiff(hostile_images.many_scan_jpeg(1024, 80), 1024)
    answer = _post({"data": base64.b64encode(hostile).decode()})
    assert (answer.status_code, answer.json()["error_code"]) == (400, SETTINGS.code_undecodable)
    # The same wrapping of an ordinary JPEG decodes: the limit, not the compression, refused it.
    ordinary = hostile_images.jpeg_in_tiff(hostile_images.many_scan_jpeg(64, 5), 64)
    assert decode_image(ordinary, max_jpeg_scans=32).shape == (64, 64, 3)


# --- decoding: reduced scale ----------------------------------------------------------------------------


def test_large_jpegs_without_alarms_are_decoded_reduced_and_located_alike() -> None:
    assert decode_scale("JPEG", 4096, 2560, alarm=False, settings=SETTINGS) == 2
    assert decode_scale("JPEG", 8192, 5120, alarm=False, settings=SETTINGS) == 4
    assert decode_scale("JPEG", 4096, 2560, alarm=True, settings=SETTINGS) == 1  # the screen measure reads pixels
    assert decode_scale("PNG", 8192, 5120, alarm=False, settings=SETTINGS) == 1
    assert decode_scale("JPEG", 4000, 2500, alarm=False, settings=SETTINGS.replace(reduced_decode_side=0)) == 1
    image = _specimen_jpeg(4096, 2560)
    reduced = recognise(image, alarm=False, settings=SETTINGS)["result"]
    whole = recognise(image, alarm=False, settings=SETTINGS.replace(reduced_decode_side=0))["result"]
    assert reduced["type"] == whole["type"]
    # Corners in the picture's own pixels, within a few pixels of the full-resolution answer.
    assert np.abs(np.array(reduced["location"]) - np.array(whole["location"])).max() <= 8
    assert abs(reduced["confidence"] - whole["confidence"]) <= 0.05


# --- bad settings and headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    # The last is long but made of valid items: only the length bound refuses it.
    "value",
    ["error=\u00b9", "error=" + "5" * 4301, "throttle=\u0663", "latency=\u0661", ";".join(["latency=0"] * 30)],
)
def test_a_bad_fault_is_a_documented_refusal_or_a_configuration_error(value: str) -> None:
    from pytest_idclassify.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="IDCLASSIFY_EMULATOR_FAULT"):
        EmulatorSettings.load(environ={"IDCLASSIFY_EMULATOR_FAULT": value})

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=asgi_transport(SETTINGS), base_url="http://emulator") as client:
            return await client.post(PATH, content=b"{}", headers={"X-Idclassify-Fault": value.encode()})

    answer = anyio.run(go)
    assert (answer.status_code, answer.json()["error_code"]) == (400, "AIS.0101")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("body_budget", "\uff12\uff15\uff16"),
        ("header_timeout", "inf"),
        ("body_timeout", "nan"),
        ("parse_concurrency", "1" * 40),
    ],
)
def test_a_bound_setting_takes_ascii_digits_only(name: str, value: str) -> None:
    from pytest_idclassify.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=f"IDCLASSIFY_EMULATOR_{name.upper()}"):
        EmulatorSettings.load(environ={f"IDCLASSIFY_EMULATOR_{name.upper()}": value})


def test_serve_reports_a_bad_fault_in_the_environment_as_a_usage_error() -> None:
    from click.testing import CliRunner

    from pytest_idclassify.cli import main

    result = CliRunner().invoke(main, ["serve"], env={"IDCLASSIFY_EMULATOR_FAULT": "error=\u00b9"})
    assert result.exit_code == 2, result.output
    assert "IDCLASSIFY_EMULATOR_FAULT" in result.output
    assert "Traceback" not in result.output


# --- connections, over real HTTP -----------------------------------------------------------------------------


@pytest.fixture
def tight() -> Iterator[tuple[str, object]]:
    """An emulator on loopback with short timeouts and a body budget of one body (1 MiB)."""
    from pytest_idclassify.emulator import serve

    settings = EmulatorSettings(
        header_timeout=0.5,
        body_timeout=1.0,
        body_limit=MIB,
        body_budget=MIB,
        body_budget_wait=0.5,
        base64_limit=MIB,
    )
    app = create_app(settings)
    from pytest_idclassify._serve import serve_in_thread
    from pytest_idclassify.emulator._serving import uvicorn_options

    assert serve  # the public entry point applies the same options
    with serve_in_thread(app, **uvicorn_options(settings)) as base_url:
        yield base_url, app


def _connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(30)  # a guard against hanging the suite, far above every bound under test
    return sock


def _head(length: int, *, token: str | None = TOKEN) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", "Host: emulator", "Content-Type: application/json", f"Content-Length: {length}"]
    if token is not None:
        lines.append(f"X-Auth-Token: {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket) -> tuple[int, dict[str, object]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split()[1]), json.loads(rest[:length])


def _until(condition: Callable[[], bool]) -> None:
    """Wait for the server to reach a state; a guard of a minute keeps a broken server from hanging the suite."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the server never reached the state the test waits for"
        time.sleep(0.01)


def _closed(sock: socket.socket) -> bool:
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_a_connection_that_sends_nothing_is_closed(tight: tuple[str, object]) -> None:
    with _connect(tight[0]) as sock:
        assert _closed(sock)


def test_a_connection_that_stops_inside_its_head_is_closed(tight: tuple[str, object]) -> None:
    with _connect(tight[0]) as sock:
        sock.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: emul")
        assert _closed(sock)


def test_a_kept_alive_connection_gets_a_new_head_deadline(tight: tuple[str, object]) -> None:
    with _connect(tight[0]) as sock:
        sock.sendall(_head(2) + b"{}")
        assert _answer(sock)[0] == 400
        sock.sendall(b"POST ")  # the next head starts, then stalls
        assert _closed(sock)


def test_pipelined_requests_are_all_answered(tight: tuple[str, object]) -> None:
    with _connect(tight[0]) as sock:
        sock.sendall((_head(2) + b"{}") * 3)
        answers = b""
        while answers.count(b"HTTP/1.1 ") < 3 or not answers.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, f"closed after {answers!r}"
            answers += chunk
        assert answers.count(b"HTTP/1.1 400 ") == 3
        time.sleep(1.0)  # past the head deadline: the connection is idle, and is closed
        assert _closed(sock)


def test_a_body_that_stops_coming_is_answered_and_cut(tight: tuple[str, object]) -> None:
    base_url, app = tight
    with _connect(base_url) as sock:
        sock.sendall(_head(1000) + b'{"data": "')
        status, payload = _answer(sock)
        assert (status, payload["error_code"]) == (400, "ModelArts.4104")
        assert _closed(sock)
    assert app.state.body_budget.held == 0  # type: ignore[attr-defined]


def test_an_unauthenticated_body_is_refused_before_it_is_read(tight: tuple[str, object]) -> None:
    base_url, app = tight
    with _connect(base_url) as sock:
        sock.sendall(_head(MIB, token=None) + b"{")
        status, payload = _answer(sock)
        assert (status, payload["error_code"]) == (401, "APIG.0301")
    with _connect(base_url) as sock:
        sock.sendall(_head(MIB, token="not-a-token") + b"{")
        assert _answer(sock)[0] == 401
    assert app.state.body_budget.held == 0  # type: ignore[attr-defined]


#: all of a body the budget's size but its last byte: it holds all of the budget but one byte.
_ALMOST = b'{"data": "' + b"A" * (MIB - 11)


def test_a_body_over_the_budget_waits_then_is_refused_with_429(tight: tuple[str, object]) -> None:
    base_url, app = tight
    with _connect(base_url) as holder:
        holder.sendall(_head(MIB) + _ALMOST)  # takes the whole budget but one byte, then stalls
        _until(lambda: app.state.body_budget.held >= len(_ALMOST))  # type: ignore[attr-defined]
        refused = httpx.post(base_url + PATH, content=b"{}", headers={"X-Auth-Token": TOKEN})
        assert (refused.status_code, refused.json()["error_code"]) == (429, "ModelArts.4401")
        assert refused.headers["retry-after"] == "1"
    # Once the holder is gone, room is back.
    _until(lambda: not app.state.body_budget.held)  # type: ignore[attr-defined]
    answer = httpx.post(base_url + PATH, content=b"{}", headers={"X-Auth-Token": TOKEN})
    assert answer.json()["error_code"] == "AIS.0101"


def test_heads_that_declare_the_whole_budget_and_send_nothing_keep_nobody_out(tight: tuple[str, object]) -> None:
    # Room is taken for bytes received: a head's Content-Length alone costs the server nothing.
    base_url, app = tight
    idle = [_connect(base_url) for _ in range(3)]
    try:
        for sock in idle:
            sock.sendall(_head(MIB) + b"{")
        _until(lambda: app.state.body_budget.held >= 3)  # type: ignore[attr-defined]
        answer = httpx.post(base_url + PATH, content=b'{"alarm": true}', headers={"X-Auth-Token": TOKEN})
        assert answer.json()["error_code"] == "AIS.0101", answer.text
        assert app.state.body_budget.held == 3  # type: ignore[attr-defined]
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize("length", ["9" * 19, "9" * 20, "0" * 12 + str(2 * MIB)])
def test_a_content_length_of_any_number_of_digits_over_the_limit_is_refused_at_once(
    tight: tuple[str, object], length: str
) -> None:
    with _connect(tight[0]) as sock:
        sock.sendall(_head(MIB).replace(f"Content-Length: {MIB}".encode(), f"Content-Length: {length}".encode()))
        status, payload = _answer(sock)
    assert (status, payload["error_code"]) == (413, "APIG.0201")


def test_a_content_length_with_leading_zeros_is_its_number(tight: tuple[str, object]) -> None:
    with _connect(tight[0]) as sock:
        sock.sendall(_head(2).replace(b"Content-Length: 2", b"Content-Length: " + b"0" * 19 + b"2") + b"{}")
        status, payload = _answer(sock)
    assert (status, payload["error_code"]) == (400, "AIS.0101")


def test_a_waiting_body_gets_room_as_soon_as_it_is_freed(tight: tuple[str, object]) -> None:
    app = tight[1]
    settings = app.state.settings  # type: ignore[attr-defined]
    relaxed = create_app(settings.replace(body_budget_wait=30.0))
    from pytest_idclassify._serve import serve_in_thread

    with serve_in_thread(relaxed) as url, _connect(url) as holder:
        holder.sendall(_head(MIB) + _ALMOST)
        _until(lambda: relaxed.state.body_budget.held >= len(_ALMOST))
        with httpx.Client(base_url=url, timeout=60) as client:
            import threading

            answers: list[httpx.Response] = []
            waiter = threading.Thread(
                target=lambda: answers.append(client.post(PATH, content=b"{}", headers={"X-Auth-Token": TOKEN}))
            )
            waiter.start()
            time.sleep(0.3)
            holder.close()  # the holder hangs up: its reservation goes to the waiter
            waiter.join(60)
        assert answers and answers[0].json()["error_code"] == "AIS.0101"


def test_a_client_hanging_up_mid_body_is_one_log_line(
    tight: tuple[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    base_url, app = tight
    caplog.set_level(logging.INFO)
    with _connect(base_url) as sock:
        sock.sendall(_head(1000) + b'{"data": "AAAA')
        _until(lambda: app.state.body_budget.held >= 14)  # type: ignore[attr-defined]
    _until(lambda: not app.state.body_budget.held)  # type: ignore[attr-defined]
    records = [r for r in caplog.records if r.name.startswith(("pytest_idclassify", "uvicorn"))]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert "hung up" in records[0].getMessage()
    assert records[0].exc_info is None


# --- many unfinished bodies, in a server process of its own ----------------------------------------------------


def _kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


@pytest.mark.slow
def test_a_hundred_unfinished_12_mib_bodies_stay_within_800_mib(tmp_path: Path) -> None:
    port = free_port()
    # The attack's bodies are cut after 30 s; room freed by a refused one is taken by another meanwhile.
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "IDCLASSIFY_EMULATOR_BODY_TIMEOUT": "30"}
    command = [*IDCLASSIFY, "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    socks: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        image = base64.b64encode(_specimen_jpeg(1280, 800)).decode()
        httpx.post(base_url + PATH, json={"data": image}, headers={"X-Auth-Token": TOKEN}, timeout=60)
        base = _kib(server.pid, "VmRSS")
        statuses: list[int] = []

        def meanwhile() -> None:  # a normal client, while the attack holds the budget
            time.sleep(1.0)
            with httpx.Client(base_url=base_url, timeout=60) as client:
                for _ in range(3):
                    answer = client.post(PATH, json={"data": image}, headers={"X-Auth-Token": TOKEN})
                    statuses.append(answer.status_code)

        import threading

        normal = threading.Thread(target=meanwhile)
        normal.start()
        socks, sent = hostile_images.stall_bodies(base_url, _head(12 * MIB), 100, 12 * MIB)
        normal.join(120)
        assert statuses == [200] * 3, statuses
        grown = (_kib(server.pid, "VmHWM") - base) * 1024
        assert sent >= 20 * 12 * MIB, "the attack did not get its bodies in: the test proves nothing"
        assert grown <= 800 * MIB, f"+{grown / MIB:.0f} MiB after {sent / MIB:.0f} MiB of bodies"
    finally:
        for sock in socks:
            sock.close()
        server.terminate()
        server.wait(timeout=30)


def test_a_budget_below_the_body_limit_is_a_configuration_error() -> None:
    from pytest_idclassify.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"IDCLASSIFY_EMULATOR_BODY_BUDGET.*at least body_limit"):
        EmulatorSettings(body_budget=MIB)
    assert EmulatorSettings(body_budget=MIB, body_limit=MIB).body_budget == MIB


def test_a_waiter_cancelled_in_the_queue_leaves_no_room_reserved() -> None:
    budget = BodyBudget(10)

    async def scenario() -> None:
        async def wait_then_be_cancelled() -> None:
            async with budget.account(wait=60, retry_after=1) as take:
                await take(10)
                raise AssertionError("granted room it was never given")

        async with anyio.create_task_group() as group, budget.account(wait=0, retry_after=1) as take:
            await take(10)
            group.start_soon(wait_then_be_cancelled)
            await anyio.sleep(0.05)
            group.cancel_scope.cancel()
        async with budget.account(wait=0, retry_after=1) as take:
            await take(10)
            assert budget.held == 10
        assert budget.held == 0

    anyio.run(scenario)
    assert budget.held == 0


async def _hold_then_wait(
    budget: BodyBudget, outcome: list[str], *, declared: int, hold: int, more: int, pause: float = 0
) -> None:
    """A request that holds ``hold`` bytes of a ``declared``-byte body, ``pause`` s later asks for ``more``: the end."""
    try:
        async with budget.account(wait=30, retry_after=1, declared=declared) as take:
            await take(hold)
            await anyio.sleep(pause)
            await take(more)
            outcome.append("granted")
    except Refusal as refusal:
        outcome.append(f"{refusal.code}: {refusal.reason}")


def test_a_request_nearer_its_end_has_the_furthest_waiter_make_room() -> None:
    budget = BodyBudget(10)
    far: list[str] = []

    async def scenario() -> None:
        async with budget.account(wait=0, retry_after=1) as stalled, anyio.create_task_group() as group:
            await stalled(4)  # a request that holds room and sends no more
            group.start_soon(lambda: _hold_then_wait(budget, far, declared=100, hold=6, more=2))
            await anyio.sleep(0.05)  # it holds 6 and waits: the budget is full
            async with budget.account(wait=5, retry_after=1, declared=3) as take:
                await take(3)  # without making room it would wait its 5 s, then be refused
                assert budget.held == 4 + 3

    anyio.run(scenario)
    assert far == ["ModelArts.4401: its room was handed to a request nearer its end"]
    assert budget.held == 0


def test_a_request_further_from_its_end_waits_its_turn() -> None:
    budget = BodyBudget(10)
    near: list[str] = []

    async def scenario() -> None:
        async with budget.account(wait=0, retry_after=1) as stalled, anyio.create_task_group() as group:
            await stalled(4)
            group.start_soon(lambda: _hold_then_wait(budget, near, declared=12, hold=6, more=2))
            await anyio.sleep(0.05)
            with pytest.raises(Refusal, match="no room for 3 bytes"):
                async with budget.account(wait=0.1, retry_after=1, declared=100) as take:
                    await take(3)
            assert not near  # still waiting, not refused for the sake of a request further from its end
            group.cancel_scope.cancel()

    anyio.run(scenario)
    assert budget.held == 0


def test_a_waiting_request_gets_the_room_of_waiters_that_queue_after_it() -> None:
    budget = BodyBudget(10)
    far: list[str] = []

    async def scenario() -> None:
        async with budget.account(wait=0, retry_after=1) as stalled, anyio.create_task_group() as group:
            await stalled(7)
            # It holds 3 and asks for more only once the request below waits (its next bytes still on the wire).
            group.start_soon(lambda: _hold_then_wait(budget, far, declared=100, hold=3, more=5, pause=0.1))
            await anyio.sleep(0.05)
            async with budget.account(wait=5, retry_after=1, declared=2) as near:
                await near(2)  # without a second look when the other starts waiting: 5 s, then refused
                assert budget.held == 7 + 2

    anyio.run(scenario)
    assert far == ["ModelArts.4401: its room was handed to a request nearer its end"]
    assert budget.held == 0


def test_room_handed_over_refuses_no_more_waiters_than_it_takes() -> None:
    budget = BodyBudget(10)
    far: list[str] = []
    near: list[str] = []

    async def scenario() -> None:
        async with budget.account(wait=0, retry_after=1) as stalled, anyio.create_task_group() as group:
            await stalled(4)
            group.start_soon(lambda: _hold_then_wait(budget, far, declared=100, hold=3, more=5))
            group.start_soon(lambda: _hold_then_wait(budget, far, declared=99, hold=3, more=5))
            await anyio.sleep(0.05)  # both hold 3 and wait: the budget is full
            group.start_soon(lambda: _hold_then_wait(budget, near, declared=1, hold=0, more=1))
            group.start_soon(lambda: _hold_then_wait(budget, near, declared=1, hold=0, more=1))
            await anyio.sleep(0.05)
            assert near == ["granted", "granted"]
            assert far == ["ModelArts.4401: its room was handed to a request nearer its end"]
            group.cancel_scope.cancel()

    anyio.run(scenario)
    assert budget.held == 0


def _parses_at_once(cap: int, body: bytes, *, clients: int, each: int) -> tuple[list[str], int]:
    """Send ``body`` ``each`` times from ``clients`` clients; the error codes, and the most parses at once."""
    from pytest_idclassify.emulator import _app, serve

    codes: list[str] = []
    with serve(EmulatorSettings(parse_concurrency=cap)) as url, overlap_of(_app, "parse_body") as parses:

        def client() -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                for _ in range(each):
                    answer = http.post(PATH, content=body, headers={"X-Auth-Token": TOKEN})
                    codes.append(answer.json()["error_code"])

        run_clients(client, clients=clients)
    return codes, parses.most


@pytest.mark.parametrize("cap", [1, 2])
def test_no_more_bodies_are_parsed_at_once_than_the_cap(cap: int) -> None:
    # 8 MB of JSON whose data turns out not to be base64 at its very end: all the parsing work, no recognition.
    data = base64.b64encode(os.urandom(6 * MIB)).decode() + "!"
    codes, most = _parses_at_once(cap, json.dumps({"data": data}).encode(), clients=6, each=3)
    assert codes == ["AIS.0102"] * 18
    assert most == cap, f"at most {most} parses at once, the cap is {cap}"


def test_a_small_body_of_many_values_is_parsed_under_the_cap_too() -> None:
    # Small plain requests are parsed on the event loop; 170 KB of small JSON values costs milliseconds
    # to parse and must queue for the capped threads like a large body, not hold the loop up.
    from pytest_idclassify.emulator import _app

    body = json.dumps({"data": "!", "pad": [0] * 85_000}, separators=(",", ":")).encode()
    assert len(body) <= _app.INLINE_PARSE_BYTES and body.count(b",") > _app.INLINE_PARSE_COMMAS
    codes, most = _parses_at_once(2, body, clients=8, each=8)
    assert codes == ["AIS.0102"] * 64
    # Parsed on the event loop, no two would ever be inside at once.
    assert most == 2, f"at most {most} parses at once, the cap is 2"


def test_a_refusal_leaves_its_worker_thread_without_the_pictures_its_frames_held() -> None:
    # A refused 8192 px picture must be freed when its answer is sent, not when the cyclic collector
    # happens to run: six clients looping tiny refused pictures once held gigabytes that way.
    from pytest_idclassify.emulator._app import _framelessly

    held: list[weakref.ref[np.ndarray[Any, Any]]] = []

    def recognise_and_refuse() -> None:
        raster = np.zeros((64, 64, 3), np.uint8)
        held.append(weakref.ref(raster))
        try:
            raise ValueError("nothing recognisable")
        except ValueError as exc:
            raise Refusal("AIS.0105") from exc

    with pytest.raises(Refusal) as caught:
        _framelessly(recognise_and_refuse)
    assert caught.value.__cause__ is not None  # the exception and its chain survive...
    assert held[0]() is None  # ...but not the locals of the frames it passed through
