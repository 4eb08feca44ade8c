"""Hostile inputs: files that cost a decoder much (deep or wide TIFFs, flat PNGs, many-scan JPEGs), stalled bodies.

Shared by the emulator's bound tests and ``benchmarks/bench_bounds.py``.  Every file is a valid
image within the documented limits (sides 15..8192), so the emulator must answer it, cheaply.
"""

from __future__ import annotations

import io
import selectors
import socket
import time

from PIL import Image

SIDE = 8192
#: how long no connection may take a byte before an attack counts as stalled by the server.
STALL_SECONDS = 5.0


def tiff(mode: str, side: int = SIDE) -> bytes:
    """A flat ``side`` x ``side`` TIFF of Pillow ``mode`` (``I;16``, ``CMYK``, ``RGBA``, ``F``, ``1``), deflated."""
    fill: object = {"I;16": 40000, "CMYK": (10, 20, 30, 40), "RGBA": (90, 120, 150, 200), "F": 0.5, "1": 1}[mode]
    image = Image.new(mode, (side, side), fill)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF", compression="tiff_adobe_deflate")
    return buffer.getvalue()


def flat_png(side: int = SIDE, mode: str = "RGB") -> bytes:
    """A flat ``side`` x ``side`` PNG: a few hundred kB that decode to the full raster."""
    buffer = io.BytesIO()
    Image.new(mode, (side, side), (90, 120, 150) if mode == "RGB" else 128).save(buffer, format="PNG")
    return buffer.getvalue()


def _segments(jpeg: bytes) -> tuple[bytes, list[bytes]]:
    """Split a JPEG into its header (SOI .. first SOS) and its scans (SOS segment + entropy-coded data)."""
    pos = 2
    while jpeg[pos + 1] != 0xDA:
        length = int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        pos += 2 + length
    header = jpeg[:pos]
    scans = []
    start = pos
    while True:
        length = int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
        pos += 2 + length
        while not (jpeg[pos] == 0xFF and jpeg[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
            pos += 1
        if jpeg[pos + 1] != 0xDA:
            # a table between scans belongs to the scan after it
            if jpeg[pos + 1] == 0xD9:
                scans.append(jpeg[start:pos])
                return header, scans
            length = int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
            scans.append(jpeg[start:pos])
            start = pos
            pos += 2 + length
            while jpeg[pos + 1] != 0xDA:
                pos += 2 + int.from_bytes(jpeg[pos + 2 : pos + 4], "big")
            continue
        scans.append(jpeg[start:pos])
        start = pos


def many_scan_jpeg(side: int = 4096, repeats: int = 20_000) -> bytes:
    """A progressive JPEG whose last (refinement) scan is repeated ``repeats`` times: small, and slow to decode."""
    buffer = io.BytesIO()
    Image.new("L", (side, side), 128).save(buffer, format="JPEG", progressive=True, quality=90)
    header, scans = _segments(buffer.getvalue())
    return header + b"".join(scans) + scans[-1] * repeats + b"\xff\xd9"


def jpeg_in_tiff(jpeg: bytes, side: int) -> bytes:
    """A greyscale ``side`` x ``side`` TIFF with JPEG compression (7) whose one strip is ``jpeg``."""
    import struct

    strip_at = 8
    directory_at = strip_at + len(jpeg) + (len(jpeg) % 2)
    tags = [(256, 4, side), (257, 4, side), (258, 3, 8), (259, 3, 7), (262, 3, 1), (273, 4, strip_at),
            (277, 3, 1), (278, 4, side), (279, 4, len(jpeg))]  # fmt: skip
    entries = b"".join(
        struct.pack("<HHII", tag, kind, 1, value) if kind == 4 else struct.pack("<HHIHH", tag, kind, 1, value, 0)
        for tag, kind, value in tags
    )
    body = jpeg + b"\0" * (len(jpeg) % 2)
    return b"II*\x00" + struct.pack("<I", directory_at) + body + struct.pack("<H", len(tags)) + entries + b"\0" * 4


def tiff_with_strips(base: bytes, strips: list[tuple[int, int]]) -> bytes:
    """``base`` (a :func:`jpeg_in_tiff` file) with a new directory whose strips are ``strips`` (offset, count)."""
    import struct

    side = struct.unpack_from("<I", base, base.index(struct.pack("<HHI", 256, 4, 1)) + 8)[0]
    directory_at = len(base) + (len(base) % 2)
    tags = [(256, 4, 1, side), (257, 4, 1, side), (258, 3, 1, 8), (259, 3, 1, 7), (262, 3, 1, 1),
            (273, 4, len(strips), 0), (277, 3, 1, 1), (278, 4, 1, side), (279, 4, len(strips), 0)]  # fmt: skip
    arrays_at = directory_at + 2 + 12 * len(tags) + 4
    offsets_at, counts_at = arrays_at, arrays_at + 4 * len(strips)
    entries = b""
    for tag, kind, count, value in tags:
        value = {273: offsets_at, 279: counts_at}.get(tag, value)
        entries += (
            struct.pack("<HHII", tag, kind, count, value)
            if kind == 4
            else struct.pack("<HHIHH", tag, kind, count, value, 0)
        )
    arrays = struct.pack(f"<{len(strips)}I", *(o for o, _ in strips)) + struct.pack(
        f"<{len(strips)}I", *(c for _, c in strips)
    )
    body = base + b"\0" * (len(base) % 2)
    head = body[:4] + struct.pack("<I", directory_at) + body[8:]
    return head + struct.pack("<H", len(tags)) + entries + b"\0" * 4 + arrays


def progressive_jpeg(side: int = 640) -> bytes:
    """An ordinary progressive JPEG (about ten scans), which must keep decoding."""
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (90, 120, 150)).save(buffer, format="JPEG", progressive=True, quality=90)
    return buffer.getvalue()


_PROBE = """
import sys
from pytest_idclassify.emulator import EmulatorSettings, _vision
from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._pipeline import recognise

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

_vision.warm_up()
settings = EmulatorSettings()
alarm = sys.argv[1] == "1"
for path in sys.argv[2:]:
    with open(path, "rb") as file:
        data = file.read()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets the peak (VmHWM) to the current resident size
    base = kib("VmRSS")
    try:
        recognise(data, alarm=alarm, settings=settings)
        outcome = "200"
    except Refusal as refusal:
        outcome = refusal.code
    del data
    print(outcome, (kib("VmHWM") - base) * 1024, flush=True)
"""


def recognition_peaks(images: list[bytes], tmp_dir: str, *, alarm: bool = True) -> list[tuple[str, int]]:
    """Answer each image in one fresh process; return each outcome (``200`` or a code) and the peak RSS it added.

    The peak is reset before each image (``/proc/self/clear_refs``), so each figure is that image's own.
    """
    import os
    import subprocess
    import sys

    paths = []
    try:
        for index, image in enumerate(images):
            path = os.path.join(tmp_dir, f"hostile-{index}.img")
            with open(path, "wb") as file:
                file.write(image)
            paths.append(path)
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, "1" if alarm else "0", *paths],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    finally:
        for path in paths:
            os.unlink(path)
    return [(outcome, int(peak)) for outcome, peak in (line.split() for line in done.stdout.splitlines())]


def recognition_peak(image: bytes, tmp_dir: str, *, alarm: bool = True) -> tuple[str, int]:
    """:func:`recognition_peaks` for one image."""
    return recognition_peaks([image], tmp_dir, alarm=alarm)[0]


def stall_bodies(base_url: str, head: bytes, count: int, length: int) -> tuple[list[socket.socket], int]:
    """Open ``count`` connections, send each ``head`` and all but the last byte of a ``length``-byte body.

    Sends without blocking, for as long as the server reads; stops once no connection has taken a
    byte for ``STALL_SECONDS``.  Returns the connections (still open) and the bytes of body sent in all.
    """
    payload = memoryview(b"{" + b" " * (length - 1))
    socks, sent = [], {}
    selector = selectors.DefaultSelector()
    for _ in range(count):
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        sock = socket.create_connection((host, int(port)))
        sock.sendall(head)
        sock.setblocking(False)
        socks.append(sock)
        sent[sock] = 0
        selector.register(sock, selectors.EVENT_WRITE)
    total = 0
    progress = time.monotonic()
    while sent and time.monotonic() - progress < STALL_SECONDS:
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj  # type: ignore[assignment]
            try:
                taken = sock.send(payload[sent[sock] : length - 1])
            except BlockingIOError:
                continue
            except OSError:
                taken, sent[sock] = 0, length  # refused and closed by the server: nothing more to send
            if taken:
                sent[sock] += taken
                total += taken
                progress = time.monotonic()
            if sent[sock] >= length - 1:
                selector.unregister(sock)
                del sent[sock]
    selector.close()
    return socks, total
