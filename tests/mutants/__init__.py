"""A catalogue of deliberately broken emulators, and the means to run the contract suite against them."""

from __future__ import annotations

from mutants._asgi import Answer, Rewrite, Seen
from mutants._cases import contract_cases, own_cases
from mutants._catalogue import MUTANTS, Mutant, plausible_answer
from mutants._run import OFFERS, Finding, app_target, client_config, declared_first, hunt, run_case

__all__ = [
    "MUTANTS",
    "OFFERS",
    "Answer",
    "Finding",
    "Mutant",
    "Rewrite",
    "Seen",
    "app_target",
    "client_config",
    "contract_cases",
    "declared_first",
    "hunt",
    "own_cases",
    "plausible_answer",
    "run_case",
]
