"""A hostile HTTP server on 127.0.0.1, raw sockets: the answers a client must survive.

The first path segment picks the behaviour, so one server covers every case:

* ``/bomb``: a 2 MB gzip answer that inflates to 2 GiB (a valid stream, built by repeating one
  fully-flushed deflate block, so it takes a second to make rather than compressing 2 GiB);
* ``/endless``: a chunked answer that never ends;
* ``/huge``: ``Content-Length`` of 10 GB, then zeros for as long as the client reads;
* ``/huge-unannounced``: 10 GB of zeros with no length, ended by closing the connection;
* ``/drip-head``: the status line and headers, one byte every ``DRIP_SECONDS``;
* ``/drip-body``: honest headers, then the body one byte every ``DRIP_SECONDS``;
* ``/deep``: 200 KB of nested ``[[[...]]]`` as ``application/json``;
* ``/ok``: a small conforming-looking JSON answer (the baseline);
* ``/after-first-<behaviour>``: ``/ok`` for the first request to the path (a suite's pre-flight probe),
  then ``<behaviour>`` for every later one (its cases).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from functools import lru_cache

DRIP_SECONDS = 4.0
_MIB = 1 << 20


@lru_cache(maxsize=1)
def gzip_bomb(inflated_mib: int = 2048) -> bytes:
    """A valid gzip stream of about 2 MB that inflates to ``inflated_mib`` MiB of zeros."""
    zeros = bytes(_MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor's state repeats: every further MiB of zeros is these bytes.
    repeated = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(inflated_mib):
        crc = zlib.crc32(zeros, crc)
    trailer = compressor.flush()[:-8] + struct.pack("<II", crc, (inflated_mib * _MIB) & 0xFFFFFFFF)
    return first + repeated * (inflated_mib - 1) + trailer


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        more = conn.recv(65536)
        if not more:
            return
        body += more


_SEEN: set[str] = set()
_SEEN_LOCK = threading.Lock()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        first = conn.recv(65536, socket.MSG_PEEK)
        path = first.split(b" ", 2)[1] if first.count(b" ") >= 2 else b"/"
        behaviour = path.split(b"/")[1].decode("ascii", "replace") if path.startswith(b"/") else ""
        if behaviour.startswith("after-first-"):
            with _SEEN_LOCK:
                first_time = behaviour not in _SEEN
                _SEEN.add(behaviour)
            behaviour = "ok" if first_time else behaviour.removeprefix("after-first-")
        _read_request(conn)
        with contextlib.suppress(OSError):
            getattr(self, "_" + behaviour.replace("-", "_"), self._ok)(conn)

    @staticmethod
    def _send(conn: socket.socket, status: str, headers: dict[str, str], body: bytes = b"") -> None:
        lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body)

    def _ok(self, conn: socket.socket) -> None:
        body = b'{"result":{"type":"id_card"}}'
        self._send(conn, "200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}, body)

    def _bomb(self, conn: socket.socket) -> None:
        body = gzip_bomb()
        self._send(conn, "200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip",
                                    "Content-Length": str(len(body))}, body)  # fmt: skip

    def _nested_bomb(self, conn: socket.socket) -> None:
        # Two gzip layers: a few KB on the wire, a 2 MB stream after the first, 1.5 GiB after the second.
        body = zlib.compress(gzip_bomb(1536), 9, wbits=31)
        self._send(conn, "200 OK", {"Content-Type": "application/json", "Content-Encoding": "gzip, gzip",
                                    "Content-Length": str(len(body))}, body)  # fmt: skip

    def _non_ascii_header(self, conn: socket.socket) -> None:
        body = b'{"result":{"type":"id_card"}}'
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n").encode()
        conn.sendall(head + "X-Note: café\r\n\r\n".encode() + body)

    def _endless(self, conn: socket.socket, status: str = "200 OK") -> None:
        self._send(conn, status, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        while True:
            conn.sendall(chunk)

    def _huge(self, conn: socket.socket) -> None:
        self._send(conn, "200 OK", {"Content-Type": "application/json", "Content-Length": str(10 * 1024**3)})
        zeros = bytes(65536)
        for _ in range(10 * 1024**3 // 65536):
            conn.sendall(zeros)

    def _huge_unannounced(self, conn: socket.socket) -> None:
        self._send(conn, "200 OK", {"Content-Type": "application/json", "Connection": "close"})
        zeros = bytes(65536)
        for _ in range(10 * 1024**3 // 65536):
            conn.sendall(zeros)

    def _drip_head(self, conn: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}":
            conn.sendall(bytes([byte]))
            time.sleep(DRIP_SECONDS)

    def _drip_body(self, conn: socket.socket) -> None:
        body = b'{"result":{"type":"id_card"}}'
        self._send(conn, "200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))})
        for byte in body:
            conn.sendall(bytes([byte]))
            time.sleep(DRIP_SECONDS)

    def _refused_endless(self, conn: socket.socket) -> None:
        # A 401 whose body never ends: what a token client reads before it retries with a fresh token.
        self._endless(conn, "401 Unauthorized")

    def _iam(self, conn: socket.socket) -> None:
        # An IAM that issues a token to anyone (the password flow of IamTokenSource).
        body = b'{"token":{"expires_at":"2999-01-01T00:00:00.000000Z"}}'
        self._send(conn, "201 Created", {"Content-Type": "application/json", "Content-Length": str(len(body)),
                                         "X-Subject-Token": "MIIhostile-token-" + "x" * 40}, body)  # fmt: skip

    def _deep(self, conn: socket.socket) -> None:
        body = b"[" * 100_000 + b"]" * 100_000
        self._send(conn, "200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}, body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[str]:
    """Run a socket server bound on 127.0.0.1 in a thread; yield ``http://127.0.0.1:<port>``; stop it on exit."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def hostile_server() -> Iterator[str]:
    """Serve the hostile behaviours on a free 127.0.0.1 port; yields ``http://127.0.0.1:<port>``."""
    gzip_bomb()  # built before the first request, so no case waits on it
    with serving(_Server(("127.0.0.1", 0), _Handler)) as url:
        yield url


#: The client side of a case: one call in a fresh interpreter, printing what it ended with, how
#: long it took and how much its peak RSS grew over a warmed-up client's.
CLIENT_CASE = r"""
import asyncio, json, resource, sys, time
from pytest_idclassify.client import AsyncIdClassifyClient, ClientConfig, IdClassifyClient

base, behaviour, mode, settings = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
# A client that loses its bounds must fail here, not take the machine's memory with it.
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, resource.getrlimit(resource.RLIMIT_AS)[1]))
project = "0123456789abcdef0123456789abcdef"
warm = ClientConfig(endpoint=f"{base}/ok", project_id=project, auth="none")
config = ClientConfig(endpoint=f"{base}/{behaviour}", project_id=project, **{"auth": "none", **settings})

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def call_sync():
    with IdClassifyClient(warm) as client:
        client.post(json={})
    before = peak_mb()
    with IdClassifyClient(config, sleep=time.sleep) as client:
        return before, client.post(json={})

async def call_async():
    async with AsyncIdClassifyClient(warm) as client:
        await client.post(json={})
    before = peak_mb()
    async with AsyncIdClassifyClient(config) as client:
        return before, await client.post(json={})

started = time.monotonic()
before = peak_mb()
try:
    before, outcome = call_sync() if mode == "sync" else asyncio.run(call_async())
    result = {"status": outcome.status}
except Exception as exc:
    result = {"error": type(exc).__name__, "module": type(exc).__module__, "message": str(exc)}
result["elapsed"] = time.monotonic() - started
result["growth_mb"] = peak_mb() - before
print(json.dumps(result))
"""


def run_client_case(
    url: str, behaviour: str, mode: str, settings: dict[str, object], guard: float
) -> dict[str, object]:
    """Run :data:`CLIENT_CASE` against ``url/behaviour`` (``mode`` sync or async); ``guard`` stops a hang."""
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_CASE, url, behaviour, mode, json.dumps(settings)],
        capture_output=True, text=True, timeout=guard, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the client case failed to run: {done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
