"""Hypothesis strategies for contract cases, request bodies, URLs and image recipes.

Every strategy draws *recipes*, not bytes: an image is rendered only when a case is sent, so a
failing example shrinks toward the smallest, simplest image that still fails, and a report shows
the recipe (``png 14x64 flat#000000``) rather than megabytes of base64.  Arguments are keyword-only
and checked when the strategy is built.  docs/reference/strategies.md describes every name.
"""

from __future__ import annotations

from pytest_idclassify.strategies._bodies import request_bodies, wrong_json_types
from pytest_idclassify.strategies._images import boundary_sides, image_recipes, specimen_recipes
from pytest_idclassify.strategies._requests import (
    DEFAULT_INVALID_KINDS,
    INVALID_KINDS,
    VALID_KINDS,
    invalid_requests,
    valid_requests,
)
from pytest_idclassify.strategies._schema import from_schema
from pytest_idclassify.strategies._urls import URL_KINDS, UrlDraw, urls

__all__ = [
    "DEFAULT_INVALID_KINDS",
    "INVALID_KINDS",
    "URL_KINDS",
    "VALID_KINDS",
    "UrlDraw",
    "boundary_sides",
    "from_schema",
    "image_recipes",
    "invalid_requests",
    "request_bodies",
    "specimen_recipes",
    "urls",
    "valid_requests",
    "wrong_json_types",
]
