"""A Hypothesis backend for the gate profile's seeded sample: the same draws in every process.

Hypothesis's own provider now and then draws a "constant" instead of a random value, from a pool
that includes constants found in the *local* modules loaded at that moment (an editable install
counts as local), cached process-wide.  Which modules are loaded differs between
`idclassify verify`, a pytest-xdist worker and a test session, so the same seed could draw a
different colour there, and a cassette recorded in one would miss in another.  This provider is
Hypothesis's own, drawing from its seeded random stream only.  It is registered the documented
way, through ``AVAILABLE_PROVIDERS``.
"""

from __future__ import annotations

from typing import Any

from hypothesis.internal.conjecture.providers import AVAILABLE_PROVIDERS, HypothesisProvider

#: the backend name to pass as ``settings(backend=...)``.
GATE_BACKEND = "idclassify-gate"


class GateProvider(HypothesisProvider):
    """Hypothesis's provider without constants: every value comes from the seeded random stream."""

    def _maybe_draw_constant(self, *args: Any, **kwargs: Any) -> None:
        return None


AVAILABLE_PROVIDERS.setdefault(GATE_BACKEND, GateProvider)
