"""A catalogue of deliberately broken emulators, and the means to run the contract suite against them."""

from __future__ import annotations

from mutants._asgi import Answer, Rewrite, Seen
from mutants._cases import contract_cases
from mutants._catalogue import MUTANTS, Mutant, plausible_answer
from mutants._run import OFFERS, Baseline, Finding, app_target, check, client_config, hunt, run_case

__all__ = [
    "MUTANTS",
    "OFFERS",
    "Answer",
    "Baseline",
    "Finding",
    "Mutant",
    "Rewrite",
    "Seen",
    "app_target",
    "check",
    "client_config",
    "contract_cases",
    "hunt",
    "plausible_answer",
    "run_case",
]
