"""Reference descriptors of the nine document types, drawn once from the synthetic specimens."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.emulator._vision._descriptor import CARD_LONG_SIDE, Descriptor, describe

#: seeds of the specimens averaged into each template: holder data differs by seed, the layout does not.
TEMPLATE_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Template:
    """One document type as the engine remembers it."""

    doc_type: str
    aspect: float  # width / height of the document
    card: npt.NDArray[np.uint8]  # upright RGB rendering at the canonical size (CARD_LONG_SIDE across)
    descriptor: Descriptor


@cache
def templates() -> tuple[Template, ...]:
    """Return the templates of the nine types, in the API page's order (rendered on first call)."""
    from pytest_idclassify.images._specimens import DOCUMENT_TYPES, render_card

    built: list[Template] = []
    for doc_type in DOCUMENT_TYPES:
        renders = [np.asarray(render_card(doc_type, seed=seed)) for seed in TEMPLATE_SEEDS]
        height, width = renders[0].shape[:2]
        aspect = width / height
        size = (CARD_LONG_SIDE, round(CARD_LONG_SIDE / aspect))
        cards = [cv2.resize(render, size, interpolation=cv2.INTER_AREA).astype(np.float32) for render in renders]
        card = np.clip(np.rint(np.mean(cards, axis=0)), 0, 255).astype(np.uint8)
        built.append(Template(doc_type, aspect, card, describe(card)))
    return tuple(built)
