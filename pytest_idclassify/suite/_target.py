"""Targets: where a contract case's calls go (the emulator, a live service, or cassettes).

A target turns a :class:`~pytest_idclassify.cases.Call` into a real HTTP request (rendering lazy
images, serving URL images, choosing the credentials the call's auth variant asks for) and returns
the :class:`Exchange`: the body as sent and the outcome.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, cast

import httpx

from pytest_idclassify.cases import Auth, Call, Case, ImageSource, UrlImage
from pytest_idclassify.client import AkSkAuth, Attempt, CallBudget, ClientConfig, IdClassifyClient, Outcome, TokenAuth
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.images import ImageRecipe
from pytest_idclassify.suite._config import SuiteConfig
from pytest_idclassify.suite._imagehost import is_loopback, parse_image_host
from pytest_idclassify.suite._images import recipe_base64, replay_data
from pytest_idclassify.suite._urlhost import SLOW_SECONDS, LoopbackImageServer, UploadHookHost, UrlHost

#: the emulator's URL fetch timeout in suite runs: short, so "slow" URL cases are quick to decide.
EMULATOR_FETCH_TIMEOUT = 1.0
#: a project id no credential of the emulator (or any account) owns, for OTHER_PROJECT calls.
OTHER_PROJECT_ID = "f" * 32
#: the endpoint replay targets put in URLs: never contacted, since cassettes answer every call.
REPLAY_ENDPOINT = "http://127.0.0.1:9"
#: what the emulator (and its recordings) offer: every case can run.
ALL_OFFERS = frozenset({"url-server", "expired-token", "aksk"})
#: how far SKEWED_DATE calls move X-Sdk-Date back: past the documented 15 minutes.
SKEW = timedelta(minutes=20)
#: after this many cases in a row whose calls could not reach the target, the run ends (not the budget).
MAX_CONSECUTIVE_UNREACHABLE = 3
#: after this many cases in a row answered 429, 503 or 504 to the last retry, the run ends too: a
#: target that asks for a minute's wait before every retry would take hours to spend the budget.
MAX_CONSECUTIVE_BUSY = 3


def _offline(request: httpx.Request) -> httpx.Response:
    # Reached only when no cassette is in use for a call: replay opens no connection, so it ends as
    # an unreachable port would, without the socket.
    raise httpx.ConnectError("replay opens no connection: no cassette answered this call", request=request)


def replay_transport() -> httpx.BaseTransport:
    """The transport of replay targets: vcrpy answers every call from a cassette, and nothing else is sent.

    httpx's mock transport, which vcrpy patches as it does the network one, so that replay builds
    no connection pool and loads neither httpcore nor a TLS context.
    """
    return httpx.MockTransport(_offline)


@dataclass(frozen=True)
class Exchange:
    """One call as made: the JSON body sent (images as sent, or ``None`` for raw bytes), and its outcome.

    ``attempts`` holds every attempt the client made, the last one being ``outcome`` (empty when
    the exchange was built by hand: then ``outcome`` is the only attempt).
    """

    call: Call
    body: Any
    outcome: Outcome
    images: tuple[ImageSource, ...] = field(default=())
    attempts: tuple[Attempt, ...] = field(default=())
    #: the size read from the ``data`` image's header when the body holds its digest instead (replay).
    image_size: tuple[int, int] | None = None

    @property
    def all_attempts(self) -> tuple[Attempt, ...]:
        """Every attempt, the last being the final answer (``outcome`` alone when none were logged)."""
        return self.attempts or (Attempt(self.outcome, None, self.outcome.elapsed),)


# Two suffice: a relation sends one image in consecutive calls, and boundary images weigh ~14 MB each.
@lru_cache(maxsize=2)
def _cached_base64(image: object) -> str:
    if isinstance(image, ImageRecipe):
        return recipe_base64(image)  # through the disk cache shared by processes and workers
    return cast(ImageSource, image).to_base64()


def _base64_of(image: ImageSource) -> str:
    # Relations send one image several times; boundary images are megabytes: render each once.
    return _cached_base64(cast(Hashable, image))


@dataclass
class Target:
    """A configured place to send cases: clients per credential variant, a URL host, a call budget."""

    name: str
    config: ClientConfig
    transport: httpx.BaseTransport | None = None
    app: Any = None
    url_host: UrlHost | None = None
    offers: frozenset[str] = frozenset()
    budget: CallBudget | None = None
    expired_token: str | None = None
    note_images: bool = False
    #: cases in a row whose calls could not reach the target (reset by any answer).
    unreachable_in_a_row: int = 0
    #: cases in a row whose every call ended on a 429, 503 or 504 after its retries.
    busy_in_a_row: int = 0
    #: why the run ends before its next case (the case that showed it is recorded first), or ``None``.
    stop_reason: str | None = None
    #: why URL cases cannot run here, in the words of the options given (``None``: they can).
    url_missing: str | None = None
    _clients: dict[str, IdClassifyClient] = field(default_factory=dict)

    def note_reached(self, reached: bool) -> bool:
        """Count a case that reached the target or not; ``True`` when the run should end (it stopped answering)."""
        self.unreachable_in_a_row = 0 if reached else self.unreachable_in_a_row + 1
        return self.unreachable_in_a_row >= MAX_CONSECUTIVE_UNREACHABLE

    def note_busy(self, busy: bool) -> bool:
        """Count a case whose calls all ended busy (429, 503, 504) or not; ``True`` when the run should end."""
        self.busy_in_a_row = self.busy_in_a_row + 1 if busy else 0
        return self.busy_in_a_row >= MAX_CONSECUTIVE_BUSY

    def missing(self, case: Case) -> str | None:
        """Why this target cannot run ``case`` (a skip reason), or ``None`` when it can."""
        return self.unmet(case) or self.spent(len(case.calls))

    def unmet(self, case: Case) -> str | None:
        """Which of ``case``'s needs (credentials, a URL host...) this target lacks, whatever the budget."""
        host = self.url_host
        for need in sorted(case.needs):
            if need == "url-server" and isinstance(host, UploadHookHost):
                images = _url_images(case)
                if host.fallback is None and not all(host.can_serve(i) for i in images):
                    return _upload_reason(images)
            elif need not in self.offers:
                if need == "url-server" and self.url_missing:
                    return self.url_missing
                return _NEED_REASONS.get(need, f"the target does not offer {need!r}")
        return None

    def spent(self, calls: int = 1) -> str | None:
        """Why the call budget cannot pay for ``calls`` more calls (a skip reason), or ``None`` when it can."""
        if self.budget is not None and self.budget.remaining < calls:
            return f"the call budget is spent ({self.budget.used} of {self.budget.max_calls} calls used)"
        return None

    def client(self, variant: Auth) -> IdClassifyClient:
        """The client that sends calls with the credentials of ``variant`` (built on first use)."""
        if variant.value not in self._clients:
            self._clients[variant.value] = self._build_client(variant)
        return self._clients[variant.value]

    def _build_client(self, variant: Auth) -> IdClassifyClient:
        config = self.config
        auth: Any = httpx.USE_CLIENT_DEFAULT
        if variant is Auth.OTHER_PROJECT:
            config = config.replace(project_id=OTHER_PROJECT_ID)
        elif variant in (Auth.NONE, Auth.BAD_TOKEN):
            auth = None
        elif variant is Auth.EXPIRED_TOKEN:
            if not self.expired_token:
                raise ConfigurationError("this target has no expired token: set IDCLASSIFY_EXPIRED_TOKEN")
            auth = TokenAuth(self.expired_token)
        elif variant in (Auth.BAD_SIGNATURE, Auth.SKEWED_DATE):
            ak, sk = self.config.access_key, self.config.secret_key
            if not ak or not sk:
                raise ConfigurationError("signature cases need CLOUD_SDK_AK and CLOUD_SDK_SK")
            if variant is Auth.BAD_SIGNATURE:
                auth = AkSkAuth(ak, sk[::-1] + "x")
            else:
                auth = AkSkAuth(ak, sk, clock=lambda: datetime.now(timezone.utc) - SKEW)
        return IdClassifyClient(config, transport=self.transport, app=self.app, auth=auth, budget=self.budget)

    def _resolve(self, value: Any) -> Any:
        if self.name == "replay" and isinstance(value, ImageRecipe):
            return replay_data(value)[0]  # cassettes match images by digest: nothing to render
        if isinstance(value, ImageSource):
            text = _base64_of(value)
            if self.note_images:
                from pytest_idclassify.cassettes import note_image

                # Cassettes store the recipe beside the digest: replay matches it across library releases.
                note_image(text, str(value))
            return text
        if isinstance(value, UrlImage):
            if self.url_host is None:
                raise ConfigurationError("this target has no URL host for URL cases")
            return self.url_host.url_for(value)
        return value

    def send(self, call: Call) -> Exchange:
        """Make one call and return what was sent and what came back."""
        client = self.client(call.auth)
        headers = dict(call.headers)
        if call.auth is Auth.BAD_TOKEN:
            headers["X-Auth-Token"] = "MIIthis-is-not-a-token"
        log: list[Attempt] = []
        if call.content is not None:
            outcome = client.post(content=call.content, headers=headers, attempt_log=log, path=call.path)
            return Exchange(call, None, outcome, attempts=tuple(log))
        assert call.json is not None
        body = {name: self._resolve(value) for name, value in call.json.items()}
        images = [v for v in call.json.values() if isinstance(v, ImageSource)]
        images += [v.image for v in call.json.values() if isinstance(v, UrlImage) and v.image is not None]
        outcome = client.post(json=body, headers=headers, attempt_log=log, path=call.path)
        data = call.json.get("data")
        size = replay_data(data)[1] if self.name == "replay" and isinstance(data, ImageRecipe) else None
        return Exchange(call, body, outcome, tuple(images), tuple(log), size)

    def close(self) -> None:
        """Close every client's connection pool."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def _url_images(case: Case) -> list[UrlImage]:
    """The URL images a case's calls send."""
    return [value for call in case.calls for value in (call.json or {}).values() if isinstance(value, UrlImage)]


def _upload_reason(images: list[UrlImage]) -> str:
    odd = sorted({i.behaviour for i in images if i.behaviour != "ok"})
    what = f"a URL that behaves {', '.join(map(repr, odd))}" if odd else "a URL with raw Chinese characters"
    return (f"needs {what}, which an upload hook cannot make: pass --idclassify-image-host=ADDRESS "
            "(an address of this machine the target reaches) to serve it")  # fmt: skip


_NEED_REASONS = {
    "url-server": "URL cases need an image server the target can reach",
    "expired-token": "needs an expired token: set IDCLASSIFY_EXPIRED_TOKEN",
    "aksk": "needs AK/SK credentials: set CLOUD_SDK_AK and CLOUD_SDK_SK",
}


def emulator_settings() -> Any:
    """The emulator settings the suite runs against: defaults, with a short URL fetch timeout."""
    from pytest_idclassify.emulator import EmulatorSettings

    return EmulatorSettings(fetch_timeout=EMULATOR_FETCH_TIMEOUT)


def _emulator_config(endpoint: str) -> ClientConfig:
    from pytest_idclassify.emulator._settings import DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK, DEFAULT_TOKEN

    return ClientConfig(endpoint=endpoint, project_id=DEFAULT_PROJECT_ID, auth="token", token=DEFAULT_TOKEN,
                        access_key=DEFAULT_AK, secret_key=DEFAULT_SK, max_retries=0)  # fmt: skip


@contextlib.contextmanager
def open_target(
    config: SuiteConfig, environ: Mapping[str, str] | None = None, *, client: ClientConfig | None = None
) -> Iterator[Target]:
    """Build the target ``config`` names, with its URL host running; close everything on exit.

    ``client`` is a live target's client settings as the pre-flight built and checked them; without
    it they are read from ``environ`` here.
    """
    environ = os.environ if environ is None else environ
    with contextlib.ExitStack() as stack:
        if config.target == "live":
            assert config.base_url is not None
            client_config = client
            if client_config is None:
                overrides: dict[str, Any] = {"endpoint": config.base_url}
                if config.project_id:
                    overrides["project_id"] = config.project_id
                if config.auth:
                    overrides["auth"] = config.auth
                client_config = ClientConfig.from_env(environ, **overrides)
            host, url_missing = _live_url_host(config, client_config, stack)
            served = isinstance(host, LoopbackImageServer) or (isinstance(host, UploadHookHost) and host.fallback)
            offers: set[str] = {"url-server"} if served else set()
            if client_config.access_key and client_config.secret_key:
                offers.add("aksk")
            expired = environ.get("IDCLASSIFY_EXPIRED_TOKEN")
            if expired:
                offers.add("expired-token")
            # Each pytest-xdist worker gets an equal share of what the pre-flight probe left; alone, the
            # run's one budget shows the probe as spent, so "N of M calls used" counts every call.
            if config.workers > 1:
                budget = CallBudget(max(1, (config.call_budget - config.calls_spent) // config.workers))
            else:
                budget = CallBudget(config.call_budget)
                for _ in range(min(config.calls_spent, config.call_budget)):
                    budget.spend("pre-flight probe")
            target = Target("live", client_config, url_host=host, offers=frozenset(offers), budget=budget,
                            expired_token=expired, url_missing=url_missing)  # fmt: skip
        elif config.target == "replay":
            # Nothing is listening: cassettes answer every call, and a miss fails instead of reaching out.
            idle = LoopbackImageServer()
            idle.base_url = REPLAY_ENDPOINT
            target = Target("replay", _emulator_config(REPLAY_ENDPOINT), transport=replay_transport(),
                            url_host=idle, offers=ALL_OFFERS, expired_token=_expired())  # fmt: skip
        else:
            from pytest_idclassify.emulator import ENV_PREFIX, create_app

            server = stack.enter_context(LoopbackImageServer().running())
            if config.record_mode != "none":
                # Cassettes record httpx's own transport: the emulator runs in its own process, so
                # that only the suite's calls are recorded, not the emulator's URL downloads.
                from pytest_idclassify.emulator import serve_process

                settings = {f"{ENV_PREFIX}FETCH_TIMEOUT": str(EMULATOR_FETCH_TIMEOUT)}
                endpoint = stack.enter_context(serve_process(env=settings))
                target = Target("emulator", _emulator_config(endpoint), url_host=server, offers=ALL_OFFERS,
                                expired_token=_expired())  # fmt: skip
            else:
                from pytest_idclassify._cores import share_cores

                share_cores(config.workers)  # the emulator runs in each pytest-xdist worker
                target = Target("emulator", _emulator_config("http://emulator.invalid"),
                                app=create_app(emulator_settings()), url_host=server, offers=ALL_OFFERS,
                                expired_token=_expired())  # fmt: skip
        target.note_images = config.target == "replay" or config.record_mode != "none"
        stack.callback(target.close)
        yield target


def _live_url_host(
    config: SuiteConfig, client_config: ClientConfig, stack: contextlib.ExitStack
) -> tuple[UrlHost | None, str | None]:
    """The URL host for a served target (started on ``stack``), or ``None`` and why URL cases must skip."""
    # A served target's fetch timeout is unknown: "slow" images stall well past any sensible one,
    # ending as soon as the target hangs up, and short of the client's own read timeout.
    slow = max(SLOW_SECONDS, client_config.timeout * 2 / 3)
    target_host = httpx.URL(config.base_url or "").host
    server: LoopbackImageServer | None = None
    if config.image_host:
        address, port = parse_image_host(config.image_host)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        if port and worker[2:].isdigit():
            port += int(worker[2:])  # each pytest-xdist worker serves on its own port: PORT, PORT+1, ...
        server = stack.enter_context(LoopbackImageServer(address, port, slow_seconds=slow).running())
    elif is_loopback(target_host):
        server = stack.enter_context(LoopbackImageServer(slow_seconds=slow).running())
    if config.public_base_url and config.upload_hook:
        # The hook uploads what it can stand for; the suite's own server, if reachable, serves the rest.
        return UploadHookHost.from_spec(config.public_base_url, config.upload_hook, server), None
    if server is not None:
        return server, None
    given, lacking = ("--idclassify-public-base-url", "--idclassify-upload-hook")
    if config.upload_hook:
        given, lacking = lacking, given
    if config.public_base_url or config.upload_hook:
        return None, (f"URL cases need an image server {target_host} can reach: {given} was given without "
                      f"{lacking}; pass it too, or --idclassify-image-host=ADDRESS[:PORT] (an address of this "
                      "machine the target reaches)")  # fmt: skip
    return None, (f"URL cases need an image server {target_host} can reach, and it is not on this machine's "
                  "loopback: pass --idclassify-image-host=ADDRESS[:PORT] (an address of this machine it reaches) "
                  "or, for a public service, --idclassify-public-base-url and --idclassify-upload-hook "
                  "(see docs/how-to/live-run-on-a-budget.md)")  # fmt: skip


def _expired() -> str:
    from pytest_idclassify.emulator._settings import DEFAULT_EXPIRED_TOKEN

    return DEFAULT_EXPIRED_TOKEN
