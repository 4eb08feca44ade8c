"""What turns the emulator into a test double: journal, stubs, throttling, proxy and replay, in one place.

The endpoint asks this object at fixed points of the validation order (see ``_app.py``): after
authentication, :meth:`TestDouble.throttle`; then, in proxy or replay mode, :meth:`TestDouble.forward`
instead of everything else; otherwise, after the body's JSON and field checks, the first matching
stub answers instead of recognition.  Every answer is journaled by :meth:`TestDouble.journal_answer`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from pytest_idclassify._json_words import json_words
from pytest_idclassify.emulator._answers import Refusal
from pytest_idclassify.emulator._journal import SMALL_BODY, SUMMARY_MAX_COMMAS, Journal, JournalEntry
from pytest_idclassify.emulator._proxy import Answer, ReplayBook, Upstream
from pytest_idclassify.emulator._settings import EmulatorSettings
from pytest_idclassify.emulator._stubs import Stub, StubBook, documented_refusal, load_stubs
from pytest_idclassify.emulator._throttle import RateLimiter, retry_after_header

if TYPE_CHECKING:
    from pytest_idclassify.redaction import RedactionPolicy


def _summary(canonical: bytes) -> Any:
    """A body's canonical form read back for the journal, which must stay JSON for tests in any language."""
    return json_words(json.loads(canonical))


@dataclass
class Note:
    """What one request did, gathered while it is served, for its journal entry."""

    started: float = field(default_factory=time.monotonic)
    received_at: float = field(default_factory=time.time)
    body: Any = None
    image_sha256: str | None = None
    label: str | None = None
    url: str | None = None
    alarm: bool | None = None
    stub: str | None = None
    error_code: str | None = None
    reason: str | None = None
    #: the redaction policy of this request's journal entry (see :meth:`TestDouble.note`).
    book: RedactionPolicy = field(kw_only=True)

    def summarise(self, body: bytes, parsed: Any = None) -> None:
        """Summarise the body: from the parsed request when it is large (an image), else field by field."""
        from pytest_idclassify.cassettes._canonical import canonical_request_body
        from pytest_idclassify.cassettes._digest import digest_bytes, is_image_digest

        book = self.book
        if parsed is not None:
            self.alarm = parsed.alarm
            self.url = book.redact_url(parsed.url) if parsed.url else None
            if len(body) > SMALL_BODY:
                # Megabytes of base64 need not be parsed again: the request was, and its image is in hand.
                # One digest serves both the summary and the journal's sha256 (hashing megabytes twice costs).
                digest = digest_bytes(parsed.data) if parsed.data else None
                if parsed.data is not None:
                    self.saw_image(parsed.data, sha256=digest["sha256"] if digest else None)
                # The other fields are few and small: summarised as a small body's are, exactly as sent.
                rest = canonical_request_body(json.dumps(dict(parsed.sent)).encode(), book) if parsed.sent else None
                self.body = {**(_summary(rest) if rest else {}), **({"data": digest} if digest else {})}
                return
            if parsed.data is not None:
                self.saw_image(parsed.data)
        # A field by field summary of many small values costs far more than their bytes (6,000 keys in
        # 59 KB kept 2.7 MB per entry): a body of more values than any request has is kept by its size.
        if body.count(b",") + body.count(b":") > SUMMARY_MAX_COMMAS:
            self.body = {"bytes": len(body), "json": "not summarised: too many values"}
            return
        canonical = canonical_request_body(body, book)
        try:
            self.body = _summary(canonical) if canonical is not None else None
        except ValueError:
            self.body = {"bytes": len(body), "json": False}
            return
        if parsed is None and isinstance(self.body, dict):
            # A refused or forwarded body was not parsed into a request: read what the summary holds.
            data, url, alarm = self.body.get("data"), self.body.get("url"), self.body.get("alarm", False)
            self.image_sha256 = str(data["sha256"]) if isinstance(data, dict) and is_image_digest(data) else None
            self.url = url if isinstance(url, str) else None
            self.alarm = alarm if isinstance(alarm, bool) else None

    def saw_image(self, image: bytes, *, sha256: str | None = None) -> None:
        """Remember the image's digest and embedded label (never its bytes); ``sha256`` if already computed."""
        from pytest_idclassify.emulator._labels import read_label

        self.image_sha256 = sha256 if sha256 is not None else hashlib.sha256(image).hexdigest()
        self.label = read_label(image)


@dataclass
class TestDouble:
    """The journal, stubs, rate limiter and upstream (or replay book) of one emulator app."""

    __test__ = False  # not a pytest test class, despite its name

    settings: EmulatorSettings
    journal: Journal
    stubs: StubBook
    rate: RateLimiter | None = None
    upstream: Upstream | None = None
    replay: ReplayBook | None = None
    _secrets: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: EmulatorSettings, *, upstream: Any = None) -> TestDouble:
        """Build everything the settings ask for; a bad stubs file or replay folder fails here, at start-up."""
        stubs = StubBook(alarm_threshold=settings.alarm_threshold)
        if settings.stubs_file:
            stubs.extend(load_stubs(settings.stubs_file, alarm_threshold=settings.alarm_threshold))
        proxy = None
        if settings.proxy_to:
            if upstream is not None:
                from pathlib import Path

                proxy = Upstream(config=upstream, record_dir=Path(settings.record_dir) if settings.record_dir else None)
            else:
                proxy = Upstream.from_settings(settings.proxy_to, settings.record_dir, os.environ)
        secrets = (*settings.tokens, *(sk for _, sk in settings.credentials), settings.admin_token)
        return cls(
            settings=settings,
            journal=Journal(settings.journal_size),
            stubs=stubs,
            rate=RateLimiter(settings.rate_limit, settings.rate_burst) if settings.rate_limit else None,
            upstream=proxy,
            replay=ReplayBook.load(settings.replay_dir) if settings.replay_dir else None,
            _secrets=tuple(s for s in secrets if s),
        )

    def note(self) -> Note:
        """A new note for a request that just arrived, with its journal entry's redaction policy.

        A fresh policy per request, told the emulator's own secrets (its tokens, secret keys and admin
        token) and its project id: what it learns from a client's body (a URL's userinfo) must not join
        a shared one, which would keep it for ever and let a client hide what it likes from later entries.
        """
        from pytest_idclassify.redaction import RedactionPolicy

        return Note(book=RedactionPolicy(self._secrets, project_ids=[self.settings.project_id], from_environment=False))

    @property
    def forwards(self) -> bool:
        """Whether answers come from the real service (proxy) or its recording (replay)."""
        return self.upstream is not None or self.replay is not None

    def throttle(self, identity: str) -> None:
        """Refuse with 429 APIG.0308 and ``Retry-After`` when ``identity`` has used up its rate."""
        if self.rate is None:
            return
        wait = self.rate.acquire(identity)
        if wait is not None:
            raise Refusal(
                "APIG.0308",
                limit=self.settings.rate_limit,
                headers={"Retry-After": retry_after_header(wait)},
                reason=f"over {self.settings.rate_limit} requests a minute",
            )

    async def forward(self, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """The real service's answer (proxy) or its recorded one (replay)."""
        if self.upstream is not None:
            return await self.upstream.forward(body, headers)
        assert self.replay is not None
        return self.replay.answer(path, body)

    async def close(self) -> None:
        """Close the upstream's connections (the server's shutdown)."""
        if self.upstream is not None:
            await self.upstream.close()

    def stub_answer(self, stub: Stub, *, alarm: bool) -> dict[str, Any]:
        """The 200 body of a result stub; raise the documented refusal of an error stub."""
        if stub.error is not None:
            limit, retry = self.settings.throttle_limit, self.settings.retry_after
            raise documented_refusal(str(stub.error), stub.message, throttle_limit=limit, retry_after=retry)
        return stub.answer_body(alarm=alarm)

    def journal_answer(self, scope: Scope, note: Note, status: int, error_code: str | None, request_id: str) -> None:
        """Journal one answered request (redacted; ``data`` as a digest)."""
        if self.settings.journal_size == 0:
            return
        from pytest_idclassify.cassettes._canonical import canonical_request_headers, canonical_uri

        book = note.book
        raw = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = canonical_uri(scope.get("path", ""), book)
        self.journal.add(
            JournalEntry(
                seq=self.journal.next_seq(),
                received_at=note.received_at,
                method=str(scope.get("method", "")),
                path=path,
                headers=canonical_request_headers(raw, book),
                body=note.body,
                image_sha256=note.image_sha256,
                label=note.label,
                url=note.url,
                alarm=note.alarm,
                status=status,
                error_code=error_code or note.error_code,
                request_id=request_id,
                duration=round(time.monotonic() - note.started, 6),
                stub=note.stub,
                proxied=self.forwards,
                reason=book.redact_text(note.reason) if note.reason else None,
            )
        )
