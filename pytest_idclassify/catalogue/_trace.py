"""Two-way trace between the API page's sentences and the clauses.

``schemas/source/api-page.txt`` is the page as published; ``schemas/source/sentences.json`` says,
for every sentence of its reference sections (Function to Status code: 400), which clauses state
it, or why it is informative only.  Tests keep both directions complete.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from pytest_idclassify._paths import source_dir
from pytest_idclassify.errors import TableError

PAGE_FILE = "api-page.txt"
TRACE_FILE = "sentences.json"
_HEADERS = frozenset({"Parameter", "Mandatory", "Type", "Description", "Yes", "No", "NOTE:", "Note:"})
_TYPES = frozenset({"String", "Boolean", "Float", "Integer", "Object", "Array<Array<Integer>>",
                    "AutoIdDocClassificationResult object"})  # fmt: skip


def normalise(text: str) -> str:
    """Fold runs of white space so quotes match across the page's line breaks."""
    return " ".join(text.split())


def page_text() -> str:
    """Return the API page as stored under ``schemas/source``."""
    return (source_dir() / PAGE_FILE).read_text(encoding="utf-8")


def page_sentences(text: str | None = None) -> list[str]:
    """Return the distinct prose sentences of the page's reference sections, in page order.

    Table headers, bare field names, type names and table captions are left out: they are the
    tables' structure, which the table files carry row by row.
    """
    text = page_text() if text is None else text
    body = text[text.index("Function\n") : text.index("Example Request")]
    seen: dict[str, None] = {}
    for raw in body.splitlines():
        line = raw.strip().lstrip("•").strip()
        if not line or line in _HEADERS or line in _TYPES or re.fullmatch(r"[A-Za-z_\-]+", line):
            continue
        if re.fullmatch(r"Table \d+ .*", line):
            continue
        for sentence in re.split(r"(?<=[.:])\s+(?=[A-Z])", line):
            seen.setdefault(normalise(sentence), None)
    return list(seen)


@dataclass(frozen=True)
class TraceEntry:
    """One sentence of the page and the clauses that state it (or why it states no rule)."""

    sentence: str
    clauses: tuple[str, ...]
    informative: str | None


@lru_cache(maxsize=1)
def sentence_trace() -> tuple[TraceEntry, ...]:
    """Return the sentence trace from ``schemas/source/sentences.json``."""
    path = source_dir() / TRACE_FILE
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TableError(f"{path}: cannot be read as JSON ({exc}); restore it from version control") from None
    entries = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict) or not isinstance(record.get("sentence"), str):
            raise TableError(f"{path}: entry {index} needs a 'sentence' string")
        clauses = tuple(record.get("clauses", ()))
        informative = record.get("informative")
        if bool(clauses) == bool(informative):
            raise TableError(f"{path}: entry {index} ({record['sentence'][:40]!r}) needs either 'clauses' or "
                             "'informative' (a reason), not both and not neither")  # fmt: skip
        entries.append(TraceEntry(record["sentence"], clauses, informative))
    return tuple(entries)
