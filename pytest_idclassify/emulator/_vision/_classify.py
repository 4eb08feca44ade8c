"""Tell the document type: the nearest template, in either of the card's two upright readings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pytest_idclassify.emulator._vision._descriptor import Descriptor, distances
from pytest_idclassify.emulator._vision._templates import Template, template_layouts, templates, whole_template_layouts

#: weight of the aspect-ratio mismatch (squared log ratio) added to the layout distance: an ID-1
#: card (1.586) and a passport page (1.420) differ by 0.11 in log aspect, worth 0.12 of distance.
ASPECT_WEIGHT = 10.0


@dataclass(frozen=True)
class Match:
    """The classification of one rectified card."""

    template: Template
    rotated: bool  # True when the card lies upside down relative to the quadrilateral's corner order
    distance: float
    runner_up: float  # distance of the best template of another type
    confidence: float


def _confidence(best: float, second: float) -> float:
    # The margin between the two nearest types, scaled so that an unrelated picture whose best and
    # second-best matches are equally poor gets a confidence near 0 and a clean specimen near 1.
    if second <= 0:
        return 0.0
    margin = max(0.0, 1.0 - best / second)
    return round(min(1.0, margin), 3)


def classify(observed: Descriptor, aspect: float) -> Match:
    """Return the best template for a card seen with descriptor ``observed`` and width/height ``aspect``."""
    known = templates()
    layouts, whole = template_layouts(), whole_template_layouts()
    # Every template in one step, in both readings: the card as seen and turned by 180 degrees.
    upright = distances(observed, layouts, whole=whole)
    turned = distances(observed.rotated(), layouts, whole=whole)
    aspects = np.array([template.aspect for template in known])
    penalty = ASPECT_WEIGHT * np.log(max(aspect, 1e-3) / aspects) ** 2
    rotated = turned < upright
    scores = np.where(rotated, turned, upright) + penalty
    order = np.argsort(scores, kind="stable")
    best_index = int(order[0])
    best = float(scores[best_index])
    second = float(scores[order[1]]) if len(order) > 1 else best * 2 + 1
    return Match(known[best_index], bool(rotated[best_index]), best, second, _confidence(best, second))
