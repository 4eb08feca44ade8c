"""Reference cards of the nine document types: drawn from the synthetic specimens, shipped as data.

Drawing the nine templates takes most of a second (27 specimen renderings), which an in-process
emulator without a start-up hook would pay on its first request; so the drawn cards ship with the
package in ``templates.npz`` and are read on first use (a few milliseconds).  ``python -m
pytest_idclassify.emulator._vision.draw_templates`` draws them again and rewrites the file; a test
checks that drawing them gives the same bytes as the file holds under the OpenCV release that drew
them (the file names it: OpenCV's releases set the specimens' text a few pixels apart), and under any
release that the shipped templates still recognise what it draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from pytest_idclassify.emulator._vision._alarms import Reference, reference
from pytest_idclassify.emulator._vision._descriptor import CARD_LONG_SIDE, Descriptor, describe, normalised_rows

#: seeds of the specimens averaged into each template: holder data differs by seed, the layout does not.
TEMPLATE_SEEDS = (0, 1, 2)
#: the drawn cards, as shipped with the package.
TEMPLATE_FILE = Path(__file__).with_name("templates.npz")


@dataclass(frozen=True)
class Template:
    """One document type as the engine remembers it."""

    doc_type: str
    aspect: float  # width / height of the document
    card: npt.NDArray[np.uint8]  # upright RGB rendering at the canonical size (CARD_LONG_SIDE across)
    descriptor: Descriptor

    @cached_property
    def reference(self) -> Reference:
        """What the alarm measures read from the card, read once (:func:`~._alarms.reference`)."""
        return reference(self.card)


def draw_cards() -> dict[str, tuple[float, npt.NDArray[np.uint8]]]:
    """Draw each type's card from the specimens: its aspect and the mean of its renderings at TEMPLATE_SEEDS."""
    from pytest_idclassify.images._specimens import DOCUMENT_TYPES, render_card

    drawn: dict[str, tuple[float, npt.NDArray[np.uint8]]] = {}
    for doc_type in DOCUMENT_TYPES:
        renders = [np.asarray(render_card(doc_type, seed=seed)) for seed in TEMPLATE_SEEDS]
        height, width = renders[0].shape[:2]
        aspect = width / height
        size = (CARD_LONG_SIDE, round(CARD_LONG_SIDE / aspect))
        cards = [cv2.resize(render, size, interpolation=cv2.INTER_AREA).astype(np.float32) for render in renders]
        drawn[doc_type] = (aspect, np.clip(np.rint(np.mean(cards, axis=0)), 0, 255).astype(np.uint8))
    return drawn


def write_cards(
    path: Path, drawn: dict[str, tuple[float, npt.NDArray[np.uint8]]], *, opencv: str | None = None
) -> None:
    """Store drawn cards in ``path`` (compressed NumPy archive; the same cards give the same bytes).

    ``opencv`` is the OpenCV release that drew them (the running one by default), kept in the file.
    """
    arrays: dict[str, npt.NDArray[np.generic]] = {
        "doc_types": np.array(list(drawn), dtype=np.str_),
        "aspects": np.array([aspect for aspect, _ in drawn.values()], np.float64),
        "opencv": np.array(opencv or cv2.__version__, dtype=np.str_),
    }
    arrays.update({f"card_{doc_type}": card for doc_type, (_, card) in drawn.items()})
    with path.open("wb") as stream:
        np.savez_compressed(stream, **arrays)  # type: ignore[arg-type]


def read_cards(path: Path) -> dict[str, tuple[float, npt.NDArray[np.uint8]]]:
    """Read the cards :func:`write_cards` stored, in their stored (the API page's) order."""
    with np.load(path, allow_pickle=False) as archive:
        doc_types = [str(name) for name in archive["doc_types"]]
        aspects = [float(value) for value in archive["aspects"]]
        return {
            doc_type: (aspect, np.asarray(archive[f"card_{doc_type}"], np.uint8))
            for doc_type, aspect in zip(doc_types, aspects, strict=True)
        }


def drawn_with(path: Path) -> str | None:
    """Return the OpenCV release that drew the cards in ``path`` (``None`` for a file that does not say)."""
    with np.load(path, allow_pickle=False) as archive:
        return str(archive["opencv"]) if "opencv" in archive.files else None


@cache
def templates() -> tuple[Template, ...]:
    """Return the templates of the nine types, in the API page's order (read from the shipped file once)."""
    cards = read_cards(TEMPLATE_FILE)
    return tuple(Template(doc_type, aspect, card, describe(card)) for doc_type, (aspect, card) in cards.items())


@cache
def template_layouts() -> npt.NDArray[np.float32]:
    """The templates' descriptor layouts stacked in :func:`templates` order, for scoring them all at once."""
    return np.ascontiguousarray(np.stack([template.descriptor.layout for template in templates()]), np.float32)


@cache
def whole_template_layouts() -> npt.NDArray[np.float32]:
    """:func:`template_layouts` normalised over every cell, one row each: what a card with no invalid cell meets."""
    layouts = template_layouts()
    # Selected by an all-true mask, as distances() selects valid cells: NumPy lays the selection out
    # column by column, and its sums over that layout are what every other card's distances use.
    return normalised_rows(layouts[:, np.ones(layouts.shape[1:], np.bool_)])
