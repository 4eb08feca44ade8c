"""A catalogue of deliberately broken emulators, and the means to run the contract suite against them."""

from __future__ import annotations

from mutants._asgi import Answer, Rewrite, Seen
from mutants._cases import contract_cases
from mutants._catalogue import MUTANTS, Mutant, plausible_answer
from mutants._harmless import HARMLESS, Harmless
from mutants._run import OFFERS, Baseline, Finding, app_target, check, client_config, hunt, run_case
from mutants._served import ENVIRON, Latency, served_target

__all__ = [
    "ENVIRON",
    "HARMLESS",
    "MUTANTS",
    "OFFERS",
    "Answer",
    "Baseline",
    "Finding",
    "Harmless",
    "Latency",
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
    "served_target",
]
