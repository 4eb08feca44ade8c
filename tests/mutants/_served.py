"""Run the contract suite against an app served on a real 127.0.0.1 port, as `verify --base-url` does.

The target is built by the suite itself (:func:`open_target` with a base URL), so it is the one a
vendor gets: real HTTP, the client's retries on, every attempt logged, and URL images served by the
suite's own image server because the target is on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from starlette.types import ASGIApp, Receive, Scope, Send

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.emulator._settings import (
    DEFAULT_AK,
    DEFAULT_EXPIRED_TOKEN,
    DEFAULT_PROJECT_ID,
    DEFAULT_SK,
    DEFAULT_TOKEN,
)
from pytest_idclassify.suite import SuiteConfig, Target, open_target

#: the credentials a served target is given: the emulator's published fakes, which the
#: independent server knows too; with all of them, no case skips.
ENVIRON = {"IDCLASSIFY_TOKEN": DEFAULT_TOKEN, "CLOUD_SDK_AK": DEFAULT_AK, "CLOUD_SDK_SK": DEFAULT_SK,
           "IDCLASSIFY_EXPIRED_TOKEN": DEFAULT_EXPIRED_TOKEN, "IDCLASSIFY_MAX_RETRIES": "3"}  # fmt: skip


@contextlib.contextmanager
def served_target(app: ASGIApp, *, tolerate_transient: bool = False) -> Iterator[Target]:
    """Serve ``app`` on a free 127.0.0.1 port and yield the suite's live target for it."""
    with serve_in_thread(app) as base_url:
        config = SuiteConfig(target="live", base_url=base_url, project_id=DEFAULT_PROJECT_ID, auth="token",
                             call_budget=100_000, tolerate_transient=tolerate_transient)  # fmt: skip
        with open_target(config, ENVIRON) as target:
            yield target


class Latency:
    """Wrap an ASGI app so that every HTTP answer starts ``seconds`` late."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)
