"""The shape of a clause: one documented (or assumed) rule of the API."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Kind(str, enum.Enum):
    """What sort of rule a clause states; the report scores each kind apart."""

    REQUEST = "request rule"
    RESPONSE = "response shape"
    CROSS = "cross-field rule"
    ERROR = "error mapping"
    BEHAVIOUR = "behaviour"

    @property
    def category(self) -> str:
        """The conformance report's category name for this kind."""
        return _CATEGORIES[self]


_CATEGORIES = {
    Kind.REQUEST: "request validation",
    Kind.RESPONSE: "response shape",
    Kind.CROSS: "cross-field",
    Kind.ERROR: "error mapping",
    Kind.BEHAVIOUR: "metamorphic",
}


@dataclass(frozen=True)
class ErrorSpec:
    """The error a clause requires: HTTP status, error code and message.

    ``match`` is ``exact`` (the message must equal ``message``), ``prefix`` (it must start with it,
    as APIG.0301 does before its reason) or ``pattern`` (a regular expression).
    """

    status: int
    code: str
    message: str
    match: str = "exact"

    def message_ok(self, message: str) -> bool:
        """Whether ``message`` is what the documentation says for this error."""
        if self.match == "prefix":
            return message.startswith(self.message)
        if self.match == "pattern":
            return re.fullmatch(self.message, message) is not None
        return message == self.message

    def __str__(self) -> str:
        """Render as ``400 AIS.0103 'The image size ...'``."""
        return f"{self.status} {self.code} {self.message!r}"


@dataclass(frozen=True)
class Clause:
    """One rule of the API with a stable id, where it is documented and how it is checked.

    ``rows`` name the documented table rows it comes from (``Table 3/data``); ``quote`` is the
    API page's own sentence, verbatim, when there is one.  ``assumed`` marks a choice made where
    the documentation is silent; ``rationale`` says what was chosen and why.  ``error`` is the
    answer the rule requires when it refuses a request; ``refuses`` without ``error`` means the
    documentation says the request fails but not with which code (an assumed clause then names it).
    ``testable`` is false for rules that need something no run here can have (an OBS bucket).
    """

    id: str
    kind: Kind
    rule: str
    source: str
    rows: tuple[str, ...] = ()
    quote: str | None = None
    error: ErrorSpec | None = None
    refuses: bool = False
    assumed: bool = False
    rationale: str | None = None
    testable: bool = True
    metric: bool = False

    def __post_init__(self) -> None:
        """Check the invariants that keep the catalogue honest."""
        if self.assumed and not self.rationale:
            raise ValueError(f"assumed clause {self.id} needs a rationale saying what was chosen and why")
        if not re.fullmatch(r"[a-z][a-z0-9-]*(\.[A-Za-z0-9_-]+)+", self.id):
            raise ValueError(f"clause id {self.id!r} must be dotted lower-case words, e.g. request.data.type")

    @property
    def category(self) -> str:
        """The conformance report's category of this clause."""
        return self.kind.category
