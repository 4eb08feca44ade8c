"""The cases the self-tests run: the gate profile's, as `idclassify verify` runs them."""

from __future__ import annotations

from pytest_idclassify.cases import Case, gate_cases


def contract_cases() -> tuple[Case, ...]:
    """The gate profile's cases (seed 0, sample 8)."""
    return tuple(gate_cases(seed=0, sample=8))
