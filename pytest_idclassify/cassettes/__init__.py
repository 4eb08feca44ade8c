"""Cassettes: record and replay this API's traffic with vcrpy, keeping secrets and ID images out.

:func:`use_cassette` records to or replays from one file per test; :func:`make_vcr` gives the
configured :class:`vcr.VCR`.  Before anything is written, tokens, signatures, access keys, IAM
passwords and signed-URL parameters are replaced, the project id becomes ``{project_id}``, and a
request's ``data`` becomes its digest (:func:`digest_of`).  :func:`lint_cassettes`,
:func:`scrub_cassette` and :func:`diff_cassettes` back ``idclassify cassettes lint|scrub|diff``.
"""

from __future__ import annotations

import typing as _typing

from pytest_idclassify._lazy import lazy_exports as _lazy_exports
from pytest_idclassify.redaction import PROJECT_PLACEHOLDER, REDACTED

if _typing.TYPE_CHECKING:
    from pytest_idclassify.cassettes._canonical import SecretBook
    from pytest_idclassify.cassettes._diff import Drift, diff_cassettes
    from pytest_idclassify.cassettes._digest import note_image
    from pytest_idclassify.cassettes._format import FORMAT
    from pytest_idclassify.cassettes._lint import Finding, lint_cassettes
    from pytest_idclassify.cassettes._scrub import scrub_cassette
    from pytest_idclassify.cassettes._store import IMAGES_DIR, load_image, record_skip, recorded_skip
    from pytest_idclassify.cassettes._vcr import (
        RECORD_MODES,
        SUFFIX,
        IdClassifyVCR,
        cassette_path,
        digest_of,
        make_vcr,
        use_cassette,
    )
    from pytest_idclassify.images._libraries import rendering_libraries

# Loaded on first use (PEP 562): the emulator's journal summarises bodies with this package's
# digests, and a server's first request would otherwise wait for vcrpy to be imported.
_LAZY = {
    "SecretBook": "pytest_idclassify.cassettes._canonical",
    **dict.fromkeys(("Drift", "diff_cassettes"), "pytest_idclassify.cassettes._diff"),
    "note_image": "pytest_idclassify.cassettes._digest",
    "rendering_libraries": "pytest_idclassify.images._libraries",
    "FORMAT": "pytest_idclassify.cassettes._format",
    **dict.fromkeys(("Finding", "lint_cassettes"), "pytest_idclassify.cassettes._lint"),
    "scrub_cassette": "pytest_idclassify.cassettes._scrub",
    **dict.fromkeys(("IMAGES_DIR", "load_image", "record_skip", "recorded_skip"), "pytest_idclassify.cassettes._store"),
    **dict.fromkeys(
        ("RECORD_MODES", "SUFFIX", "IdClassifyVCR", "cassette_path", "digest_of", "make_vcr", "use_cassette"),
        "pytest_idclassify.cassettes._vcr",
    ),
}

__all__ = [
    "FORMAT",
    "IMAGES_DIR",
    "PROJECT_PLACEHOLDER",
    "RECORD_MODES",
    "REDACTED",
    "SUFFIX",
    "Drift",
    "Finding",
    "IdClassifyVCR",
    "SecretBook",
    "cassette_path",
    "diff_cassettes",
    "digest_of",
    "lint_cassettes",
    "load_image",
    "make_vcr",
    "note_image",
    "record_skip",
    "recorded_skip",
    "rendering_libraries",
    "scrub_cassette",
    "use_cassette",
]

# Not for type checkers, which read the imports above (see lazy_exports).
if not _typing.TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, _LAZY, __all__)
