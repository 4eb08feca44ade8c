"""A contract case: the calls to make, the clause they exercise, and what the documentation requires.

Cases are plain frozen values built from recipes, never from rendered bytes: an image is rendered
only when a case is sent, and its recipe is what failure messages and reports show.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pytest_idclassify.catalogue import ErrorSpec, clause


@runtime_checkable
class ImageSource(Protocol):
    """Anything that renders an image file and describes itself: an ``ImageRecipe`` is one."""

    def render(self) -> bytes:
        """Return the encoded file."""

    def to_base64(self) -> str:
        """Return the value a request's ``data`` field carries (base64, possibly on purpose malformed)."""


class Auth(str, enum.Enum):
    """Which credentials a call carries; the target turns each into real headers."""

    DEFAULT = "default"  #: the target's configured credentials
    NONE = "none"  #: no X-Auth-Token, no signature
    BAD_TOKEN = "bad-token"  #: an X-Auth-Token that is not a token
    EXPIRED_TOKEN = "expired-token"  #: a token past its expiry (needs one from the target)
    BAD_SIGNATURE = "bad-signature"  #: an AK/SK signature made with the wrong SK
    SKEWED_DATE = "skewed-date"  #: a valid signature over an X-Sdk-Date 20 minutes in the past
    OTHER_PROJECT = "other-project"  #: valid credentials, another project's id in the path


@dataclass(frozen=True)
class UrlImage:
    """An image the suite serves on its own loopback HTTP server, for ``url`` cases.

    ``path`` is the path as it appears in the URL (``raw`` keeps non-ASCII characters unencoded);
    ``behaviour`` asks the server to misbehave: ``ok``, ``redirect``, ``redirect-to-file`` (to a
    ``file:`` URL of the image on the suite's disk), ``slow``, ``fail`` (HTTP 500), ``missing`` (404),
    ``wrong-type`` (text/html), ``unreachable`` (a closed port).  The 500 and the 404 carry the image
    as their body, and the slow answer sends it in the end, so a fetcher that ignores the status or
    waits without limit gets a good image, and serves it where it should have refused.
    """

    image: ImageSource | None
    path: str
    behaviour: str = "ok"
    raw: bool = False

    def __str__(self) -> str:
        """Render as ``url(<path> ok: <recipe>)``."""
        return f"url({self.path} {self.behaviour}: {self.image})"


@dataclass(frozen=True)
class Call:
    """One HTTP call: a JSON body (whose ``data`` or ``url`` may be lazy), or exact bytes, plus credentials.

    ``json`` maps field names to values; an :class:`ImageSource` value is rendered to base64 and a
    :class:`UrlImage` to a URL when the call is made.  ``content`` sends exact bytes instead.
    ``path`` sends the call to another path under the endpoint than the API's (``{project_id}`` is
    filled in): a wrong path on purpose.
    """

    json: Mapping[str, Any] | None = None
    content: bytes | None = None
    auth: Auth = Auth.DEFAULT
    headers: Mapping[str, str] = field(default_factory=dict)
    path: str | None = None

    def __post_init__(self) -> None:
        """A call has a JSON body or exact bytes, not both."""
        if (self.json is None) == (self.content is None):
            raise ValueError("a Call needs exactly one of json= or content=")

    def describe(self) -> str:
        """A short printable summary: fields with images as their recipes, never their bytes."""
        if self.content is not None:
            text = self.content[:40].decode("utf-8", "replace")
            return f"raw {len(self.content)} bytes {text!r}" + ("..." if len(self.content) > 40 else "")
        assert self.json is not None
        parts = []
        for name, value in self.json.items():
            shown = str(value) if isinstance(value, (ImageSource, UrlImage)) else repr(value)
            parts.append(f"{name}={shown[:80]}")
        # Not "auth=...": that reads as a credential to the redaction policy, and the variant would be hidden.
        extra = f" (credentials {self.auth.value})" if self.auth is not Auth.DEFAULT else ""
        extra += "".join(f" {k}={v!r}" for k, v in self.headers.items())
        extra += f" to {self.path}" if self.path is not None else ""
        return "{" + ", ".join(parts) + "}" + extra


class Expect(str, enum.Enum):
    """What the documentation requires of a single call's answer."""

    SERVED = "served"  #: 200 with a conforming result
    ACCEPTED = "accepted"  #: not refused by input validation (200, or a content-level AIS.0104/AIS.0105)
    REFUSED = "refused"  #: a documented error: the clause's error when it names one, else any 4xx error body


class Relation(str, enum.Enum):
    """A relation between the answers of several calls (metamorphic clauses)."""

    SAME_ANSWER = "same-answer"  #: every call gets the same status and body
    SAME_CLASSIFICATION = "same-classification"  #: same type, location and confidence
    SAME_TYPE = "same-type"  #: same type
    SCORE_NON_DECREASING = "score-non-decreasing"  #: a score that never falls along the calls
    #: no call refused as unreadable (AIS.0102/0103/0104) while another is served: same pixels, other formats
    EQUALLY_ACCEPTED = "equally-accepted"


#: codes that mean "input validation refused it": an ACCEPTED case must get none of them.
VALIDATION_CODES = frozenset(
    {"AIS.0101", "AIS.0102", "AIS.0103", "ModelArts.4104", "ModelArts.4105", "ModelArts.4601", "APIG.0201"}
)


@dataclass(frozen=True)
class Case:
    """A contract case: it exercises ``clause`` with ``calls`` and requires ``expect`` (or ``relation``).

    ``companions`` are further clauses (usually assumed ``.code`` clauses) whose error spec the
    answer is also held to; ``score`` names the score a ``SCORE_NON_DECREASING`` relation follows.
    ``needs`` lists what the target must offer (``url-server``, ``expired-token``, ``aksk``...);
    a target without it skips the case with that reason.
    """

    clause: str
    label: str
    calls: tuple[Call, ...]
    expect: Expect | None = None
    relation: Relation | None = None
    companions: tuple[str, ...] = ()
    score: str | None = None
    needs: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Check the case against the catalogue at once, so a typo fails where the case is written."""
        clause(self.clause)
        for companion in self.companions:
            clause(companion)
        if (self.expect is None) == (self.relation is None):
            raise ValueError(f"case {self.id} needs exactly one of expect= or relation=")
        if self.expect is not None and len(self.calls) != 1:
            raise ValueError(f"case {self.id}: an expectation applies to one call, got {len(self.calls)}")
        if self.relation is not None and len(self.calls) < 2:
            raise ValueError(f"case {self.id}: a relation needs two calls or more")

    @property
    def id(self) -> str:
        """The stable test id: ``<clause>[<label>]``, so ``-k`` selects by clause id."""
        return f"{self.clause}[{self.label}]"

    @property
    def assumed(self) -> bool:
        """Whether the case's own clause is an assumed one."""
        return clause(self.clause).assumed

    @property
    def error(self) -> ErrorSpec | None:
        """The error a REFUSED case requires, from its clause (or ``None`` when undocumented)."""
        return clause(self.clause).error

    def describe(self) -> str:
        """A printable summary of every call, recipes instead of bytes."""
        return " | ".join(call.describe() for call in self.calls)
