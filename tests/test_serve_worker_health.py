"""The workers' health check: a stuck event loop is replaced; a busy, draining or paused worker is not.

Each test serves a small ASGI app of its own from ``serve_workers`` in a process of its own (one
worker, short timeouts) and looks at it from outside: which worker process answers, what the
supervisor logs, how it exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_idclassify._serve import free_port
from pytest_idclassify._workers import STARTUP_FAILURE, beat_period

# /pid answers the worker's process id; /block blocks its event loop for good; /thread sleeps in a
# worker thread (the loop stays free), as recognition runs.  HANG_AT_IMPORT hangs before serving.
APP = """
import asyncio, os, time

if os.environ.get("HANG_AT_IMPORT"):
    time.sleep(600)

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/block":
        time.sleep(600)
    if scope["path"] == "/thread":
        await asyncio.to_thread(time.sleep, float(os.environ.get("THREAD_SECONDS", "3")))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})
"""

SERVE = (
    "import sys; from pytest_idclassify._workers import serve_workers; "
    "sys.exit(serve_workers('health_app:app', workers=1, host='127.0.0.1', port=int(sys.argv[1]), "
    "worker_timeout=float(sys.argv[2]), start_timeout=float(sys.argv[3]), log_level='info'))"
)


class Server:
    """``serve_workers`` of the test app in a session of its own; its log read when it is stopped."""

    def __init__(self, folder: Path, *, worker_timeout: float, start_timeout: float = 60, **env: str) -> None:
        (folder / "health_app.py").write_text(APP, encoding="utf-8")
        self.port = free_port()
        path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
        environment = {**os.environ, "PYTHONPATH": path, **env}
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(self.port), str(worker_timeout), str(start_timeout)],
            cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = ""

    def worker_pid(self, timeout: float = 60) -> int:
        """The pid of the worker that answers /pid, waiting for one to serve."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return int(httpx.get(self.base_url + "/pid", timeout=2).text)
            except httpx.HTTPError:
                assert self.process.poll() is None, self.stop()
                assert time.monotonic() < deadline, f"no worker answered within {timeout} s"
                time.sleep(0.1)

    def stop(self) -> str:
        """Stop the server (SIGTERM to its group), and return everything it logged."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGCONT)
            os.killpg(self.process.pid, signal.SIGTERM)
        self.log += self.process.communicate(timeout=60)[0]
        return self.log


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start a :class:`Server` in the test's folder (with :class:`Server`'s arguments); stopped at the end."""
    started: list[Server] = []

    def start(**options: Any) -> Server:
        started.append(Server(tmp_path, **options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


STUCK = "its event loop has been stuck"


def test_a_worker_whose_event_loop_is_stuck_is_replaced(serve: Callable[..., Server]) -> None:
    server = serve(worker_timeout=1.5)
    first = server.worker_pid()
    started = time.monotonic()
    # The request that blocks the loop gets no answer: its connection goes with the killed worker.
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.base_url + "/block", timeout=30)
    assert time.monotonic() - started < 20
    second = server.worker_pid()
    assert second != first
    log = server.stop()
    assert f"worker {first}: {STUCK}" in log, log
    assert f"worker {first} stopped (killed by SIGKILL): starting another" in log, log
    assert server.process.returncode == 0, log


def test_a_worker_busy_on_a_thread_longer_than_the_timeout_is_left_alone(serve: Callable[..., Server]) -> None:
    # Recognition runs on threads: the loop keeps beating meanwhile, however long the work takes.
    server = serve(worker_timeout=2.0, THREAD_SECONDS="4")
    first = server.worker_pid()
    answer = httpx.get(server.base_url + "/thread", timeout=30)
    assert (answer.status_code, int(answer.text)) == (200, first)
    assert STUCK not in server.stop()


def test_a_draining_worker_finishes_its_request(serve: Callable[..., Server]) -> None:
    # SIGTERM to a worker alone: uvicorn stops accepting and drains what it has in hand, past the timeout.
    server = serve(worker_timeout=2.0, THREAD_SECONDS="4")
    first = server.worker_pid()
    answers: list[httpx.Response] = []
    request = threading.Thread(target=lambda: answers.append(httpx.get(server.base_url + "/thread", timeout=30)))
    request.start()
    time.sleep(0.5)
    os.kill(first, signal.SIGTERM)
    request.join(30)
    assert [(a.status_code, int(a.text)) for a in answers] == [(200, first)]
    assert server.worker_pid() != first  # it ended as asked, and another took its place
    log = server.stop()
    assert STUCK not in log, log


def test_a_whole_server_paused_longer_than_the_timeout_keeps_its_worker(serve: Callable[..., Server]) -> None:
    # Ctrl-Z, `docker pause` or a starved machine stops the supervisor with its workers: their
    # silence while it did not run says nothing of them.  The hardest order: the worker stops a
    # moment before the supervisor (which sees it fall silent), and the supervisor runs again first.
    server = serve(worker_timeout=3.0)
    first = server.worker_pid()
    os.kill(first, signal.SIGSTOP)
    time.sleep(0.6)
    os.killpg(server.process.pid, signal.SIGSTOP)
    time.sleep(4)
    os.kill(server.process.pid, signal.SIGCONT)
    time.sleep(0.3)
    os.killpg(server.process.pid, signal.SIGCONT)
    time.sleep(2 * beat_period(3.0) + 1.5)  # the supervisor polls again, and would have judged by now
    assert server.worker_pid() == first
    assert STUCK not in server.stop()


def test_a_worker_that_hangs_before_serving_stops_the_server(serve: Callable[..., Server]) -> None:
    server = serve(worker_timeout=1.0, start_timeout=3, HANG_AT_IMPORT="1")
    server.process.wait(timeout=60)
    log = server.stop()
    assert server.process.returncode == STARTUP_FAILURE, log
    assert "did not start serving within 3 s (does importing the app or its start-up hang?): stopping" in log, log


def test_with_the_timeout_off_a_stuck_worker_is_kept(serve: Callable[..., Server]) -> None:
    # 0 turns the check off (a worker held at a breakpoint stays where it is).
    server = serve(worker_timeout=0)
    server.worker_pid()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.base_url + "/block", timeout=3)
    log = server.stop()
    assert STUCK not in log, log


def test_the_beat_comes_often_enough_to_be_judged() -> None:
    assert beat_period(30) == 1.0
    assert beat_period(1.0) == pytest.approx(0.1)
    assert beat_period(0) == 1.0
