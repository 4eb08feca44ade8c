"""The clause catalogue: every documented rule of the API, with a stable id.

Schemas, strategies, the contract suite, the report and the emulator's error answers are all views
of this catalogue, so any failing check leads back to the sentence of the documentation it enforces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from pytest_idclassify._limits import BASE64_LIMIT_BINARY, BASE64_LIMIT_DECIMAL
from pytest_idclassify._tables import documented_tables as _documented_tables
from pytest_idclassify.catalogue._clauses import (
    ALARM_THRESHOLD,
    BODY_LIMIT,
    MAX_CLOCK_SKEW_SECONDS,
)
from pytest_idclassify.catalogue._clauses import build_clauses as _build_clauses
from pytest_idclassify.catalogue._clauses import error_clause_id as _error_clause_id
from pytest_idclassify.catalogue._model import Clause, ErrorSpec, Kind, Tier

__all__ = [
    "ALARM_THRESHOLD",
    "BASE64_LIMIT_BINARY",
    "BASE64_LIMIT_DECIMAL",
    "BODY_LIMIT",
    "MAX_CLOCK_SKEW_SECONDS",
    "Clause",
    "ErrorSpec",
    "Kind",
    "Tier",
    "catalogue",
    "clause",
    "clauses",
    "error_clause_for",
]


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, Clause]:
    """Return every clause by id, built once from the documented tables."""
    built = _build_clauses(_documented_tables())
    by_id: dict[str, Clause] = {}
    for item in built:
        if item.id in by_id:
            raise ValueError(f"clause id {item.id} is defined twice")
        by_id[item.id] = item
    return by_id


def clause(clause_id: str) -> Clause:
    """Return the clause with ``clause_id``; the error lists close ids when there is none."""
    try:
        return catalogue()[clause_id]
    except KeyError:
        close = [c for c in catalogue() if clause_id.split(".")[0] in c][:8]
        raise KeyError(f"no clause {clause_id!r} in the catalogue; similar ids: {close}") from None


def clauses(
    *, kinds: Iterable[Kind] | None = None, assumed: bool | None = None, tiers: Iterable[Tier] | None = None
) -> list[Clause]:
    """Return the clauses of the given kinds and tiers; ``assumed=True`` / ``False`` keeps or drops assumed ones."""
    wanted = set(kinds) if kinds is not None else None
    wanted_tiers = set(tiers) if tiers is not None else None
    return [
        c for c in catalogue().values()
        if (wanted is None or c.kind in wanted) and (assumed is None or c.assumed == assumed)
        and (wanted_tiers is None or c.tier in wanted_tiers)
    ]  # fmt: skip


def error_clause_for(code: str, message: str | None = None) -> Clause:
    """Return the error-mapping clause of an error code (and message, for codes with several)."""
    return clause(_error_clause_id(_documented_tables(), code, message))
