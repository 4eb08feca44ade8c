"""The API page's documented tables, transcribed as data under ``schemas/source/``.

Each table file holds one record per documented row.  This module loads and checks them; the
schema generator and the clause catalogue read the API's shape from here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pytest_idclassify._paths import source_dir
from pytest_idclassify.errors import TableError

#: file name of each documented table, in the page's order.
TABLE_FILES: dict[str, str] = {
    "Table 1": "table-1-uri-parameters.json",
    "Table 2": "table-2-request-headers.json",
    "Table 3": "table-3-request-body.json",
    "Table 4": "table-4-response-body.json",
    "Table 5": "table-5-result.json",
    "Table 6": "table-6-alarm-result.json",
    "Table 7": "table-7-alarm-confidence.json",
    "Table 8": "table-8-error-body.json",
}
ERROR_CODES_FILE = "error-codes.json"

#: the types exactly as the API page writes them.
PAGE_TYPES = frozenset(
    {"String", "Boolean", "Float", "Integer", "Array<Array<Integer>>", "Object", "AutoIdDocClassificationResult object"}
)
_CONSTRAINT_KEYS = frozenset(
    {
        "exclusive_with", "base64_max_chars", "image_side", "formats", "no_prefix", "url_schemes",
        "no_raw_chinese", "default", "object", "enum", "points", "point_size", "minimum", "maximum",
        "only_when", "score", "monotone", "alarm",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One documented row of a table: a parameter or a response field."""

    table: str
    name: str
    mandatory: bool
    type: str
    description: str
    constraints: Mapping[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """Where the row is documented, e.g. ``Table 3, row data``."""
        return f"{self.table}, row {self.name}"


@dataclass(frozen=True)
class Table:
    """A documented table: its number, title, where its rows live (path, header, body...) and rows."""

    table: str
    title: str
    location: str
    rows: tuple[Row, ...]

    def row(self, name: str) -> Row:
        """Return the row called ``name``; ``KeyError`` names the table when absent."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"{self.table} has no row {name!r}; rows: {[r.name for r in self.rows]}")


@dataclass(frozen=True)
class ErrorCode:
    """One row of the error-code table: code, exact message, HTTP status and whether it is documented."""

    code: str
    message: str
    status: int
    status_documented: bool
    family: str
    when: str
    message_kind: str = "exact"
    suffixes: tuple[str, ...] = ()
    pattern: str | None = None


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise TableError(
            f"documented table {path} is missing; restore it from version control "
            f"(every file named in pytest_idclassify._tables.TABLE_FILES must exist)"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TableError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _require(path: Path, where: str, record: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in record:
        raise TableError(f"{path}: {where} has no {key!r} field; add it (see the other rows for the format)")
    value = record[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TableError(f"{path}: {where} field {key!r} is {value!r}; expected {getattr(kind, '__name__', kind)}")
    return value


def load_table_file(path: Path) -> Table:
    """Load and check one table file, raising :class:`TableError` that names the file and row."""
    raw = _read_json(path)
    if not isinstance(raw, dict):
        raise TableError(f"{path}: expected a JSON object with 'table', 'title', 'location' and 'rows'")
    table = _require(path, "the file", raw, "table", str)
    title = _require(path, "the file", raw, "title", str)
    location = _require(path, "the file", raw, "location", str)
    records = _require(path, "the file", raw, "rows", list)
    rows = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise TableError(f"{path}: row {index} is {record!r}; expected an object")
        where = f"row {index} ({record.get('name', '?')})"
        page_type = _require(path, where, record, "type", str)
        if page_type not in PAGE_TYPES:
            raise TableError(f"{path}: {where} has type {page_type!r}; the page writes one of {sorted(PAGE_TYPES)}")
        constraints = _require(path, where, record, "constraints", dict)
        unknown = set(constraints) - _CONSTRAINT_KEYS
        if unknown:
            raise TableError(
                f"{path}: {where} has unknown constraints {sorted(unknown)}; known: {sorted(_CONSTRAINT_KEYS)}"
            )
        rows.append(
            Row(
                table=table,
                name=_require(path, where, record, "name", str),
                mandatory=_require(path, where, record, "mandatory", bool),
                type=page_type,
                description=_require(path, where, record, "description", str),
                constraints=constraints,
            )
        )
    return Table(table=table, title=title, location=location, rows=tuple(rows))


def load_error_codes_file(path: Path) -> tuple[ErrorCode, ...]:
    """Load and check the error-code table, raising :class:`TableError` that names the file and row."""
    raw = _read_json(path)
    records = _require(path, "the file", raw, "rows", list) if isinstance(raw, dict) else None
    if records is None:
        raise TableError(f"{path}: expected a JSON object with a 'rows' list")
    codes = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise TableError(f"{path}: row {index} is {record!r}; expected an object")
        where = f"row {index} ({record.get('code', '?')})"
        status = _require(path, where, record, "status", int)
        if not 400 <= status <= 599:
            raise TableError(f"{path}: {where} has status {status}; an error status is within 400..599")
        codes.append(
            ErrorCode(
                code=_require(path, where, record, "code", str),
                message=_require(path, where, record, "message", str),
                status=status,
                status_documented=_require(path, where, record, "status_documented", bool),
                family=_require(path, where, record, "family", str),
                when=_require(path, where, record, "when", str),
                message_kind=record.get("message_kind", "exact"),
                suffixes=tuple(record.get("suffixes", ())),
                pattern=record.get("pattern"),
            )
        )
    return tuple(codes)


@dataclass(frozen=True)
class Tables:
    """All documented tables of the API page plus the error-code table."""

    tables: Mapping[str, Table]
    error_codes: tuple[ErrorCode, ...]

    def __getitem__(self, name: str) -> Table:
        """Return a table by its page name, e.g. ``tables["Table 3"]``."""
        return self.tables[name]

    def error(self, code: str, message: str | None = None) -> ErrorCode:
        """Return the error-code row for ``code`` (and ``message`` where a code has several)."""
        matches = [e for e in self.error_codes if e.code == code and (message is None or e.message == message)]
        if not matches:
            raise KeyError(f"error code {code!r} is not in {ERROR_CODES_FILE}")
        return matches[0]


def load_tables(directory: Path | None = None) -> Tables:
    """Load every documented table from ``directory`` (default: the packaged ``schemas/source``)."""
    base = directory if directory is not None else source_dir()
    tables = {name: load_table_file(base / file) for name, file in TABLE_FILES.items()}
    for name, table in tables.items():
        if table.table != name:
            raise TableError(f"{base / TABLE_FILES[name]}: says it is {table.table!r}, but the file is for {name!r}")
    return Tables(tables=tables, error_codes=load_error_codes_file(base / ERROR_CODES_FILE))


@lru_cache(maxsize=1)
def documented_tables() -> Tables:
    """Return the packaged tables, loaded once."""
    return load_tables()
