"""What a check reports: a violation of one clause at one place of a response."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_idclassify.catalogue import Tier, clause


class ContractDriftWarning(UserWarning):
    """A response carries something the documentation does not describe (an unknown field or code)."""


@dataclass(frozen=True)
class Violation:
    """One broken clause: where (a JSON pointer into the body, or a header), what, and the rule it breaks."""

    clause: str
    pointer: str
    message: str

    @property
    def rule(self) -> str:
        """The documented rule the violation breaks, from the catalogue."""
        return clause(self.clause).rule

    @property
    def source(self) -> str:
        """Where the rule is documented (table and row, or page and sentence)."""
        return clause(self.clause).source

    @property
    def tier(self) -> Tier:
        """How firmly the broken clause is grounded: documented, inferred or assumed."""
        return clause(self.clause).tier

    @property
    def assumed(self) -> bool:
        """Whether the broken clause is a choice made where the documentation is silent."""
        return clause(self.clause).assumed

    def __str__(self) -> str:
        """Render as the three-line block used in failure messages."""
        tag = "" if self.tier is Tier.DOCUMENTED else f" ({self.tier.value})"
        return (
            f"{self.pointer or '/'}: {self.message}\n"
            f"    clause {self.clause}{tag}: {self.rule}\n"
            f"    source: {self.source}"
        )


def format_violations(violations: list[Violation], *, title: str = "response") -> str:
    """Return one readable block listing every violation, for assertion messages and reports."""
    count = len(violations)
    head = f"{title} does not conform to the Auto ID Document Classification contract ({count} violation"
    head += "s):" if count != 1 else "):"
    return "\n".join([head, *("  " + str(v).replace("\n", "\n  ") for v in violations)])
