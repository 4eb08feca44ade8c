"""One line per measured ratio, for run_all.py's final table: ``@@ratio {json}``."""

from __future__ import annotations

import json

PREFIX = "@@ratio "


def report(measure: str, ratio: float, goal: float, *, at_least: bool = False, detail: str = "") -> None:
    """Print a ratio of the performance table: its value, the goal (at most, or ``at_least``) and how it was got."""
    met = ratio >= goal if at_least else ratio <= goal
    line = {"measure": measure, "ratio": round(ratio, 3), "goal": goal, "at_least": at_least, "met": met}
    print(PREFIX + json.dumps({**line, "detail": detail}), flush=True)
