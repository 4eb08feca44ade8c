"""Synthetic specimens of the nine document types, and degradations for the seven alarms.

The public face of the specimen generator: every name here is re-exported by
``pytest_idclassify.images``.  docs/explanation/specimens.md describes what each type looks like.
"""

from __future__ import annotations

from pytest_idclassify.images._cards._render import render_card
from pytest_idclassify.images._names import DEGRADATIONS, DOCUMENT_TYPES
from pytest_idclassify.images._scene import Scene, degrade, render_scene

__all__ = ["DEGRADATIONS", "DOCUMENT_TYPES", "Scene", "degrade", "render_card", "render_scene"]
