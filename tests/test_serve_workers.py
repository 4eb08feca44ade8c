"""``idclassify serve --workers N``: each worker accepts on a socket of its own, with Nagle's algorithm off.

uvicorn's own supervisor shared one listening socket, so one worker accepted a whole pool of
kept-alive clients, and left ``TCP_NODELAY`` off, so every kept-alive request past the first waited
for the client's delayed acknowledgement.  These tests look at both from outside: the journal each
connection's worker keeps, and the option on the server's side of an accepted connection.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from cli_child import IDCLASSIFY

from pytest_idclassify._serve import free_port
from pytest_idclassify._workers import STARTUP_FAILURE, listening_socket, serve_workers
from pytest_idclassify.emulator import EmulatorSettings

SETTINGS = EmulatorSettings()
PATH = f"/v2/{SETTINGS.project_id}/ocr/auto-id-doc-classification"
JOURNAL = "/__idclassify/requests"


def _accepted_nodelay(listener: socket.socket) -> int:
    """Serve ``listener`` with asyncio (as uvicorn does), connect once, read TCP_NODELAY on the accepted side."""

    async def scenario() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        async with server:
            port = listener.getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            value = await asyncio.wait_for(seen, 10)
            writer.close()
            return value

    return asyncio.run(scenario())


def test_a_worker_socket_turns_nagle_off_on_what_it_accepts() -> None:
    assert _accepted_nodelay(listening_socket("127.0.0.1", 0)) == 1


def test_a_socket_bound_as_uvicorns_supervisor_binds_it_leaves_nagle_on() -> None:
    # The harmless-looking difference the worker sockets exist for: no protocol named, no TCP_NODELAY.
    plain = socket.socket(socket.AF_INET)
    plain.bind(("127.0.0.1", 0))
    assert _accepted_nodelay(plain) == 0


def test_every_worker_socket_shares_one_port() -> None:
    first = listening_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port)
    try:
        assert second.getsockname()[1] == port
    finally:
        first.close()
        second.close()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def _workers(pid: int) -> list[int]:
    # The worker processes, not multiprocessing's resource tracker (which ends on its own once its parent has).
    return [child for child in _children(pid) if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text()]


def _read_until(server: subprocess.Popen[bytes], line: bytes, *, count: int, timeout: float = 60) -> bytes:
    """Read the server's output until ``line`` has appeared ``count`` times; return what was read."""
    assert server.stdout is not None
    seen, deadline = b"", time.monotonic() + timeout
    while seen.count(line) < count:
        assert server.poll() is None, seen.decode()
        readable, _, _ = select.select([server.stdout], [], [], max(0.0, deadline - time.monotonic()))
        assert readable, f"not {count} times {line!r} within {timeout} s:\n{seen.decode()}"
        seen += os.read(server.stdout.fileno(), 65536)
    return seen


@pytest.fixture
def two_workers() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    # The server's settings are its defaults: none a test run in this process left in the environment.
    env = {name: value for name, value in os.environ.items() if not name.startswith("IDCLASSIFY_")}
    env["PYTHONPATH"] = os.getcwd()
    command = [*IDCLASSIFY, "serve", "--port", str(port),
               "--workers", "2", "--log-level", "info"]  # fmt: skip
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        # Both workers serving: each logs its start-up's end (a test may stop one only once it serves).
        _read_until(server, b"Application startup complete.", count=2)
        ready = httpx.get(base_url + JOURNAL, timeout=5)
        assert ready.status_code == 200, ready.text
        yield base_url, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)


def _journal_lengths(base_url: str, clients: int) -> list[int]:
    """Connect ``clients`` times at once, send one request on each connection, then read each one's worker's journal.

    At once, as a pool of clients starting together connects: every connection is made (the kernel
    completes the handshake) before any worker wakes to accept, where connections arriving one by
    one would find each worker waiting in turn, even on a shared socket.
    """
    address = httpx.URL(base_url)
    connections = [http.client.HTTPConnection(address.host, address.port, timeout=30) for _ in range(clients)]
    try:
        for connection in connections:
            connection.connect()
        headers = {"X-Auth-Token": SETTINGS.tokens[0], "Content-Type": "application/json"}
        for connection in connections:
            connection.request("POST", PATH, body=b'{"url": 5}', headers=headers)
            answer = connection.getresponse()
            assert answer.status == 400, answer.read()
            answer.read()
        lengths = []
        for connection in connections:
            connection.request("GET", f"{JOURNAL}?method=POST")
            lengths.append(len(json.loads(connection.getresponse().read())["requests"]))
        return lengths
    finally:
        for connection in connections:
            connection.close()


@pytest.mark.slow
def test_kept_alive_clients_are_spread_over_both_workers(two_workers: tuple[str, subprocess.Popen[bytes]]) -> None:
    base_url, _ = two_workers
    lengths = _journal_lengths(base_url, 16)
    # Each connection asks its own worker, whose journal holds one request per connection it took: with
    # one worker taking all 16, every journal would hold 16.  A worker that took n connections is
    # reported by n of them, so each count is reported a multiple of itself times.
    assert max(lengths) < 16, lengths
    assert all(lengths.count(count) % count == 0 for count in set(lengths)), lengths


@pytest.mark.slow
def test_a_worker_that_dies_is_replaced(two_workers: tuple[str, subprocess.Popen[bytes]]) -> None:
    base_url, server = two_workers
    workers = _workers(server.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        now = _workers(server.pid)
        if len(now) == 2 and workers[0] not in now:
            break
        assert time.monotonic() < deadline and server.poll() is None, f"no worker replaced the killed one: {now}"
        time.sleep(0.2)
    # The new worker accepts on the dead one's socket: requests keep being answered on every connection.
    deadline = time.monotonic() + 60
    while True:
        try:
            lengths = _journal_lengths(base_url, 8)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "the server stopped answering after a worker died"
            time.sleep(0.2)
    assert all(length >= 1 for length in lengths)


def test_a_worker_that_cannot_start_stops_the_server() -> None:
    status = serve_workers("no_such_module_here:app", workers=2, host="127.0.0.1", port=0, log_level="critical")
    assert status == STARTUP_FAILURE


@pytest.mark.slow
@pytest.mark.parametrize(
    ("send", "sig"),
    [(os.killpg, signal.SIGINT), (os.kill, signal.SIGTERM)],
    ids=["ctrl-c-to-the-group", "sigterm-to-the-server-alone"],
)
def test_a_stop_signal_stops_the_server_and_every_worker(
    two_workers: tuple[str, subprocess.Popen[bytes]], send: Callable[[int, int], None], sig: signal.Signals
) -> None:
    _, server = two_workers
    workers = _workers(server.pid)
    assert len(workers) == 2
    send(server.pid, sig)  # a terminal's Ctrl-C reaches the whole group; a service manager signals the server
    output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived the server"
    # Each worker shut down as uvicorn does on a signal, closing its connections, rather than being killed.
    assert all(f"Finished server process [{pid}]" in output for pid in workers), output[-2000:]


@pytest.mark.slow
def test_a_worker_whose_start_up_fails_late_stops_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # However long a start-up takes before it fails, restarting would only fail again: no timer decides.
    (tmp_path / "late_failure_app.py").write_text(
        "import time\ntime.sleep(5.5)\nraise RuntimeError('this app cannot start')\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers start from this process's sys.path
    status = serve_workers("late_failure_app:app", workers=2, host="127.0.0.1", port=0, log_level="critical")
    assert status == STARTUP_FAILURE


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--worker-timeout", "5"], "--worker-timeout needs --workers 2 or more"),
        (["--workers", "2", "--worker-timeout", "0.2"], "give 0 (no health check) or at least 1 second"),
    ],
    ids=["without-workers", "shorter-than-the-supervisor-can-keep"],
)
def test_a_worker_timeout_that_cannot_apply_is_a_usage_error(arguments: list[str], message: str) -> None:
    from click.testing import CliRunner

    from pytest_idclassify.cli import main

    result = CliRunner().invoke(main, ["serve", *arguments])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(("given", "shown"), [([], "after 30 s"), (["--worker-timeout", "0"], "never")])
def test_the_banner_says_when_a_stuck_worker_is_replaced(given: list[str], shown: str) -> None:
    from pytest_idclassify._workers import DEFAULT_WORKER_TIMEOUT

    assert f"after {DEFAULT_WORKER_TIMEOUT:g} s" == "after 30 s"  # the --help text says 30 too
    env = {name: value for name, value in os.environ.items() if not name.startswith("IDCLASSIFY_")}
    command = [*IDCLASSIFY, "serve", "--port", str(free_port()), "--workers", "2", *given]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _read_until(server, f"a worker whose event loop is stuck is replaced {shown}".encode(), count=1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)
