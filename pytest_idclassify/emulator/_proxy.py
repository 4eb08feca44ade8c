"""Proxy-record and replay: any client's traffic to the real service, recorded as cassettes and answered again.

``idclassify serve --proxy-to URL`` authenticates each request with the emulator's own (fake)
credentials, forwards its body unchanged to the real endpoint signed anew with the upstream
credentials (the client's variables: ``IDCLASSIFY_PROJECT_ID``, ``IDCLASSIFY_TOKEN`` or
``CLOUD_SDK_AK``/``CLOUD_SDK_SK``), and answers with the real status, body and ``X-Request-Id``.
With ``--record DIR`` every exchange is written, redacted as every cassette is (secrets replaced,
the project id as ``{project_id}``, ``data`` as the image's digest), as its own cassette file in
this package's format, named by what the request means, so recording the same request again
replaces its file and nothing is lost when the server stops.

``idclassify serve --replay DIR`` answers from those files: a request matches a recording when
its method, path (project id aside) and body meaning (``data`` by digest, every other field as sent)
are the same.  A request that matches none is answered 404 APIG.0101 with one log line naming the
closest recording and how it differs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from pytest_idclassify.errors import ConfigurationError

if TYPE_CHECKING:
    from pytest_idclassify.client import ClientConfig

_logger = logging.getLogger("pytest_idclassify.emulator")
#: request headers passed on upstream; the rest (credentials, hop-by-hop, Host) are the proxy's own.
FORWARDED_HEADERS = ("content-type", "enterprise-project-id", "user-agent")
#: response headers passed back from upstream.
RETURNED_HEADERS = ("content-type", "retry-after", "x-request-id")
REPLAY_MISS_HEADER = "X-Idclassify-Replay-Miss"
#: upstream answers that say nothing lasting about the request: never recorded over a lasting answer.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: upstream error codes that refuse the proxy's own credentials: never recorded, and logged.
#: (A 403 of ModelArts, no permission or no subscription, is the account's lasting answer: recorded.)
CREDENTIAL_REFUSALS = frozenset({"APIG.0301", "APIG.0302", "APIG.0307"})


@dataclass(frozen=True)
class Answer:
    """An upstream (or replayed) answer: status, body bytes and the headers passed back."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    @property
    def error_code(self) -> str | None:
        """The ``error_code`` of an error answer's JSON body, or ``None``."""
        if self.status == 200:
            return None
        try:
            parsed = json.loads(self.body)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser: no code to read
            return None
        code = parsed.get("error_code") if isinstance(parsed, dict) else None
        return code if isinstance(code, str) else None


def _vcr_request(method: str, uri: str, body: bytes, headers: Mapping[str, str]) -> Any:
    from vcr.request import Request

    return Request(method, uri, body, dict(headers))


def _match_key(request: Any) -> str:
    """The key of a canonical (redacted) vcrpy request: method, path and body meaning, hashed."""
    from pytest_idclassify.cassettes._match import body_meaning, path_and_query

    text = f"{request.method}\n{path_and_query(request)}\n{body_meaning(request)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _holds_lasting_answer(path: Path) -> bool:
    """Whether the recording at ``path`` (of this run or an earlier one) holds an answer that is not transient."""
    try:
        status = json.loads(path.read_text(encoding="utf-8"))["interactions"][0]["response"]["status"]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return False
    return status not in TRANSIENT_STATUSES


@dataclass
class Upstream:
    """Forwards requests to the real endpoint with its own credentials; records each exchange when asked."""

    config: ClientConfig  # endpoint, project id and credentials of the real service
    record_dir: Path | None = None
    timeout: float = 30.0
    _client: httpx.AsyncClient | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        """Refuse a recording folder that cannot be written, now rather than on every request."""
        if self.record_dir is None:
            return
        try:
            self.record_dir.mkdir(parents=True, exist_ok=True)
            # A probe of its own: worker processes start side by side on the same folder.
            with tempfile.NamedTemporaryFile(dir=self.record_dir, prefix=".idclassify-write-check-"):
                pass
        except OSError as exc:
            raise ConfigurationError(
                f"setting record_dir (IDCLASSIFY_EMULATOR_RECORD_DIR, --record) is {str(self.record_dir)!r}, which "
                f"cannot be written ({exc.strerror or exc}); give a folder this process may create and write"
            ) from None

    @classmethod
    def from_settings(cls, proxy_to: str, record_dir: str, environ: Mapping[str, str]) -> Upstream:
        """Build the upstream from ``--proxy-to`` and the client's credential variables in ``environ``.

        Raises:
            ConfigurationError: naming the variable that is missing or wrong.

        """
        from pytest_idclassify.client import ClientConfig

        # The client's own checks name the credential variables that are missing.
        config = ClientConfig.from_env(environ, endpoint=proxy_to, max_retries=0)
        if not config.project_id:
            raise ConfigurationError(
                "proxy mode forwards to the real service's project: set IDCLASSIFY_PROJECT_ID to its project id"
            )
        return cls(config=config, record_dir=Path(record_dir) if record_dir else None, timeout=config.timeout)

    def _auth(self) -> httpx.Auth:
        from pytest_idclassify.client import AkSkAuth, TokenAuth

        config = self.config
        if config.access_key and config.secret_key and config.auth != "token":
            return AkSkAuth(config.access_key, config.secret_key, security_token=config.security_token)
        return TokenAuth(str(config.token))

    @property
    def url(self) -> str:
        """The real endpoint's URL of the API for the upstream project."""
        from pytest_idclassify.client import API_PATH

        return self.config.endpoint.rstrip("/") + API_PATH.format(project_id=self.config.project_id)

    async def forward(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Send ``body`` upstream, signed with the upstream credentials; record the exchange when asked.

        Raises:
            Refusal: 504 APIG.0201 when the upstream cannot be reached or does not answer in time.

        """
        from pytest_idclassify.emulator._answers import Refusal

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, auth=self._auth())
        sent = {name: headers[name] for name in FORWARDED_HEADERS if name in headers}
        try:
            response = await self._client.post(self.url, content=body, headers=sent)
        except httpx.HTTPError as exc:
            _logger.warning("proxy: %s did not answer: %s", self.config.endpoint, type(exc).__name__)
            raise Refusal("APIG.0201", message="Backend timeout.", reason="upstream unreachable") from None
        answer = Answer(
            status=response.status_code,
            body=response.content,
            headers={k: response.headers[k] for k in RETURNED_HEADERS if k in response.headers},
        )
        if answer.error_code in CREDENTIAL_REFUSALS:
            # The client's own credentials were the emulator's to check: this refusal is of the proxy's.
            _logger.warning(
                "proxy: %s refused the proxy's credentials (%s); set the upstream's IDCLASSIFY_TOKEN, or "
                "CLOUD_SDK_AK and CLOUD_SDK_SK, and IDCLASSIFY_PROJECT_ID; not recorded",
                self.config.endpoint, answer.status,
            )  # fmt: skip
        elif self.record_dir is not None:
            self._record(response.request, answer)
        return answer

    def _record(self, request: httpx.Request, answer: Answer) -> None:
        from pytest_idclassify.cassettes._store import atomic_write, render_interactions
        from pytest_idclassify.redaction import RedactionPolicy

        book = RedactionPolicy(project_ids=[self.config.project_id])
        book.add_config(self.config)
        vcr_request = _vcr_request(request.method, str(request.url), request.content, dict(request.headers))
        response = {
            "status": {"code": answer.status, "message": httpx.codes.get_reason_phrase(answer.status)},
            "headers": {k: [v] for k, v in answer.headers.items()},
            "body": {"string": answer.body},
        }
        # Rendering redacts the request in place, so its key (and the file's name) reveal nothing either.
        text = render_interactions([(vcr_request, response)], book)
        assert self.record_dir is not None
        target = self.record_dir / f"{_match_key(vcr_request)[:16]}.json"
        if answer.status in TRANSIENT_STATUSES and _holds_lasting_answer(target):
            # A throttled or failed repeat must not replace the good answer replay will give.
            _logger.info("proxy: a %s for an already recorded request is not recorded over it", answer.status)
            return
        atomic_write(target, text)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()


@dataclass
class ReplayBook:
    """Recorded exchanges indexed by match key, loaded once from a folder of cassette files."""

    directory: Path
    _answers: dict[str, tuple[Answer, str]] = field(default_factory=dict, init=False)
    _requests: list[tuple[Any, str]] = field(default_factory=list, init=False)

    @classmethod
    def load(cls, directory: str | Path) -> ReplayBook:
        """Read every cassette under ``directory`` (this package's format or vcrpy's).

        Raises:
            ConfigurationError: the folder does not exist or holds no cassette; a file cannot be read.

        """
        from pytest_idclassify.cassettes._match import request_fields
        from pytest_idclassify.cassettes._store import read_interactions

        book = cls(Path(directory))
        if not book.directory.is_dir():
            raise ConfigurationError(f"replay folder {book.directory} does not exist; record into it with --record")
        for path in sorted(book.directory.rglob("*.json")) + sorted(book.directory.rglob("*.yaml")):
            pairs, _meta, _kind = read_interactions(path)
            for request, response in pairs:
                canonical = _canonical(request)
                book._answers.setdefault(_match_key(canonical), (_answer_of(response), str(path)))
                # Its fields, compared field by field with a request that matches no recording.
                book._requests.append((request_fields(canonical), str(path)))
        if not book._answers:
            raise ConfigurationError(f"replay folder {book.directory} holds no recording; record into it with --record")
        return book

    def __len__(self) -> int:
        return len(self._answers)

    def answer(self, path: str, body: bytes) -> Answer:
        """The recorded answer to a request with this path and body.

        Raises:
            Refusal: 404 APIG.0101 when nothing recorded matches; the closest recording is logged and named
                in the ``X-Idclassify-Replay-Miss`` header.

        """
        from pytest_idclassify.emulator._answers import Refusal

        request = _canonical(_vcr_request("POST", f"http://replay.invalid{path}", body, {}))
        found = self._answers.get(_match_key(request))
        if found is not None:
            return found[0]
        closest = self._closest(request)
        _logger.warning("replay miss: POST %s matches no recording in %s; %s", request.uri, self.directory, closest)
        # A header value is Latin-1 on the wire: the summary's ellipses and non-ASCII paths are escaped.
        shown = closest[:500].encode("ascii", "backslashreplace").decode("ascii")
        raise Refusal("APIG.0101", headers={REPLAY_MISS_HEADER: shown}, reason="no recording matches")

    def _closest(self, request: Any) -> str:
        from pytest_idclassify.cassettes._match import field_diff, request_fields

        now = request_fields(request)
        best: tuple[int, str, list[str]] | None = None
        for recorded, path in self._requests:
            lines = field_diff(now, recorded)
            if best is None or len(lines) < best[0]:
                best = (len(lines), path, lines)
        assert best is not None
        return f"closest recording {best[1]} differs in: " + "; ".join(line.strip() for line in best[2])


def _canonical(request: Any) -> Any:
    from pytest_idclassify.cassettes._canonical import canonicalize_request
    from pytest_idclassify.redaction import RedactionPolicy

    return canonicalize_request(request, RedactionPolicy(from_environment=False))


def _answer_of(response: Mapping[str, Any]) -> Answer:
    headers = {k.lower(): (v[0] if isinstance(v, list) else v) for k, v in (response.get("headers") or {}).items()}
    body = (response.get("body") or {}).get("string") or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    status = response["status"]["code"]
    return Answer(status=int(status), body=body, headers={k: headers[k] for k in RETURNED_HEADERS if k in headers})
