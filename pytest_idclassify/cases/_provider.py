"""A Hypothesis backend for the gate profile's seeded sample: the same draws in every process.

Hypothesis's own provider now and then draws a constant found in the *local* modules loaded at
that moment (an editable install counts as local).  Which modules are loaded differs between
`idclassify verify`, a pytest-xdist worker and a plain pytest run, so the same seed could draw a
different colour there, and a cassette recorded in one would miss in another.  This provider is
Hypothesis's own minus those local constants; it is registered the documented way, through
``AVAILABLE_PROVIDERS``.
"""

from __future__ import annotations

from functools import cached_property

from hypothesis.internal.conjecture.providers import AVAILABLE_PROVIDERS, HypothesisProvider
from hypothesis.internal.constants_ast import Constants

#: the backend name to pass as ``settings(backend=...)``.
GATE_BACKEND = "idclassify-gate"


class GateProvider(HypothesisProvider):
    """Hypothesis's provider without constants gathered from whichever local modules are loaded."""

    @cached_property
    def _local_constants(self) -> Constants:
        return Constants()


AVAILABLE_PROVIDERS.setdefault(GATE_BACKEND, GateProvider)
