"""The shape of a clause: one rule of the API, documented, inferred from what is documented, or assumed."""

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


class Tier(str, enum.Enum):
    """How firmly a clause is grounded; the suite counts and the report scores each tier apart.

    ``documented``: stated on the API page or the error-code page.  ``inferred``: not stated, but it
    follows from what is stated, so any correct server keeps it.  ``assumed``: a choice where the
    documentation is silent and two correct servers may differ.
    """

    DOCUMENTED = "documented"
    INFERRED = "inferred"
    ASSUMED = "assumed"


@dataclass(frozen=True)
class ErrorSpec:
    """The error a clause requires: HTTP status, error code and message.

    ``match`` is ``exact`` (the message must equal ``message``), ``prefix`` (it must start with it,
    as APIG.0301 does before its reason) or ``pattern`` (a regular expression).  ``alternatives``
    are other errors documented for the same condition, each as good an answer: the error-code
    pages give a missing token both the gateway's APIG.0301 and ModelArts.4101, and do not say
    which layer answers.  The emulator answers with the first.  ``any_client_status`` takes any 4xx
    status for the code, where the documentation gives the code but not its status (the ModelArts
    codes' statuses are assumed).
    """

    status: int
    code: str
    message: str
    match: str = "exact"
    alternatives: tuple[ErrorSpec, ...] = ()
    any_client_status: bool = False

    def message_ok(self, message: str) -> bool:
        """Whether ``message`` is what the documentation says for this error (not its alternatives)."""
        if self.match == "prefix":
            return message.startswith(self.message)
        if self.match == "pattern":
            return re.fullmatch(self.message, message) is not None
        return message == self.message

    def accepts(self, status: int, code: str | None, message: str) -> bool:
        """Whether an answer of ``status``, ``code`` and ``message`` is this error or one of its alternatives."""
        return any(
            (status == spec.status or (spec.any_client_status and 400 <= status < 500))
            and code == spec.code
            and spec.message_ok(message)
            for spec in (self, *self.alternatives)
        )

    def __str__(self) -> str:
        """Render as ``400 AIS.0103 'The image size ...'``, alternatives after ``or``."""
        return " or ".join(
            f"{'4xx' if spec.any_client_status else spec.status} {spec.code} {spec.message!r}"
            for spec in (self, *self.alternatives)
        )


@dataclass(frozen=True)
class Clause:
    """One rule of the API with a stable id, where it is documented and how it is checked.

    ``rows`` name the documented table rows it comes from (``Table 3/data``); ``quote`` is the
    API page's own sentence, verbatim, when there is one.  ``tier`` says how firmly the rule is
    grounded (see :class:`Tier`): an inferred clause carries its ``argument``, the one-line reason
    any correct server keeps it; an assumed one its ``rationale``, what was chosen and why.  ``run``
    marks a clause checked over every answer of a run rather than answer by answer.  ``error`` is the
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
    tier: Tier = Tier.DOCUMENTED
    rationale: str | None = None
    argument: str | None = None
    testable: bool = True
    metric: bool = False
    run: bool = False

    def __post_init__(self) -> None:
        """Check the invariants that keep the catalogue honest."""
        if self.tier is Tier.ASSUMED and not self.rationale:
            raise ValueError(f"assumed clause {self.id} needs a rationale saying what was chosen and why")
        if (self.tier is Tier.INFERRED) != bool(self.argument):
            raise ValueError(
                f"clause {self.id}: an argument (why any correct server keeps it) belongs to inferred clauses, "
                "and every inferred clause needs one"
            )
        if not re.fullmatch(r"[a-z][a-z0-9-]*(\.[A-Za-z0-9_-]+)+", self.id):
            raise ValueError(f"clause id {self.id!r} must be dotted lower-case words, e.g. request.data.type")

    @property
    def assumed(self) -> bool:
        """Whether the clause is a choice made where the documentation is silent (tier ``assumed``)."""
        return self.tier is Tier.ASSUMED

    @property
    def inferred(self) -> bool:
        """Whether the clause follows from the documentation without being stated (tier ``inferred``)."""
        return self.tier is Tier.INFERRED

    @property
    def category(self) -> str:
        """The conformance report's category of this clause."""
        return self.kind.category
