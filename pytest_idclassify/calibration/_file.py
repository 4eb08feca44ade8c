"""The calibration file: what a real server answered where the documentation is silent.

One TOML file, versioned by ``format``, with one entry per assumed clause under ``[clauses."<id>"]``:
the reading (``served``/``refused``, ``binary``/``decimal``, ``threshold``, ``kept``/``not kept``),
the observed status, code and message, and the request id of the evidence; an ``[[...cases]]``
list keeps each case's own answer.  Nothing secret, no project id, no image is ever written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_idclassify.errors import CalibrationError

#: bump when the file's shape changes; a file of another format is refused with the fix.
FORMAT = 1
#: every reading an entry may carry.
READINGS = ("served", "refused", "binary", "decimal", "threshold", "kept", "not kept")
DOCS = "docs/how-to/calibrate-against-the-live-service.md"


@dataclass(frozen=True)
class Observation:
    """One answer the calibrated server gave: to which case, with which status, code and message."""

    case: str
    status: int
    code: str | None = None
    message: str | None = None
    request_id: str | None = None

    def said(self) -> str:
        """Render as ``400 AIS.0101 'The input parameter is invalid.'`` (or ``200``)."""
        return f"{self.status} {self.code} {self.message!r}" if self.code else str(self.status)

    def to_toml(self) -> dict[str, Any]:
        """The TOML table of this observation (absent fields left out)."""
        table: dict[str, Any] = {"case": self.case, "status": self.status}
        for name in ("code", "message", "request_id"):
            if getattr(self, name) is not None:
                table[name] = getattr(self, name)
        return table


@dataclass(frozen=True)
class Entry:
    """What the calibrated server chose for one assumed clause.

    ``evidence`` is the answer that shows the choice (its request id lets the server's owner find
    it in their logs); ``cases`` holds every case's own answer.  A ``threshold`` reading carries
    the range ``low``..``high`` of alarm thresholds that explain every (flag, score) pair seen;
    a ``not kept`` reading the ``violation`` that showed it.
    """

    clause: str
    reading: str
    evidence: Observation | None = None
    cases: tuple[Observation, ...] = ()
    low: int | None = None
    high: int | None = None
    violation: str | None = None

    def observed_for(self, case_id: str) -> Observation | None:
        """The answer the server gave to ``case_id``, else the evidence when every case agreed."""
        for observation in self.cases:
            if observation.case == case_id:
                return observation
        distinct = {(o.status, o.code, o.message) for o in self.cases}
        return self.evidence if len(distinct) <= 1 else None

    def to_toml(self) -> dict[str, Any]:
        """The TOML table of this entry."""
        table: dict[str, Any] = {"reading": self.reading}
        if self.evidence is not None:
            evidence = self.evidence.to_toml()
            table.update({k: evidence[k] for k in ("status", "code", "message", "request_id") if k in evidence})
            table["case"] = self.evidence.case
        if self.low is not None and self.high is not None:
            table["low"], table["high"] = self.low, self.high
        if self.violation is not None:
            table["violation"] = self.violation
        if self.cases:
            table["cases"] = [o.to_toml() for o in self.cases]
        return table


@dataclass(frozen=True)
class Calibration:
    """A whole calibration: where it was taken, when, with which catalogue, and the entries by clause."""

    entries: Mapping[str, Entry]
    target: str = ""
    taken: str = ""
    toolkit_version: str = ""
    catalogue_version: str = ""
    source: Path | None = field(default=None, compare=False)

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self.entries

    def entry(self, clause_id: str) -> Entry | None:
        """The entry of ``clause_id``, or ``None`` when the calibration did not observe it."""
        return self.entries.get(clause_id)

    @property
    def name(self) -> str:
        """How messages name this calibration: its file, or ``the calibration``."""
        return str(self.source) if self.source is not None else "the calibration"

    def to_toml(self) -> str:
        """The file's text, with a header comment saying what it is and how it was made."""
        import tomlkit

        document = tomlkit.document()
        document.add(tomlkit.comment("Written by `idclassify calibrate`: a server's answers where the page is silent."))
        document.add(tomlkit.comment(f"Hold a target to them with `idclassify verify --calibration FILE`; see {DOCS}."))
        document.add("format", FORMAT)
        for name in ("target", "taken", "toolkit_version", "catalogue_version"):
            document.add(name, getattr(self, name))
        clauses = tomlkit.table(is_super_table=True)
        for clause_id in sorted(self.entries):
            clauses.add(clause_id, self.entries[clause_id].to_toml())
        document.add("clauses", clauses)
        return tomlkit.dumps(document)

    def write(self, path: Path) -> None:
        """Write the file to ``path`` (folders created as needed)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_toml(), encoding="utf-8")


def _fail(path: Path, where: str, problem: str, fix: str) -> CalibrationError:
    return CalibrationError(f"calibration file {path}: {where}: {problem}; {fix} (see {DOCS})")


def _observation(path: Path, where: str, table: Mapping[str, Any], *, case: str | None = None) -> Observation:
    status = table.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise _fail(path, where, f"status is {status!r}", "give the HTTP status observed, an integer such as 400")
    values: dict[str, str | None] = {}
    for name in ("code", "message", "request_id"):
        value = table.get(name)
        if value is not None and not isinstance(value, str):
            raise _fail(path, where, f"{name} is {value!r}", f"give {name} as a string or leave it out")
        values[name] = value
    if status != 200 and (values["code"] is None or values["message"] is None):
        raise _fail(path, where, f"an answer with status {status} has no code and message",
                    "give the error_code and error_msg observed with it")  # fmt: skip
    shown_case = case if case is not None else table.get("case")
    if not isinstance(shown_case, str) or not shown_case:
        raise _fail(path, where, "the case is missing", 'name the case the answer was given to (case = "...")')
    return Observation(shown_case, status, values["code"], values["message"], values["request_id"])


def _entry(path: Path, clause_id: str, table: Any) -> Entry:
    from pytest_idclassify.catalogue import catalogue

    where = f'entry [clauses."{clause_id}"]'
    known = catalogue().get(clause_id)
    if known is None:
        raise _fail(path, where, "the catalogue has no such clause",
                    "re-run `idclassify calibrate` with this version, or delete the entry")  # fmt: skip
    if not known.assumed:
        raise _fail(path, where, f"the clause is {known.tier.value}, not assumed",
                    "calibrate assumed clauses only; delete the entry")  # fmt: skip
    if not isinstance(table, Mapping):
        raise _fail(path, where, "it is not a table", 'write it as a [clauses."id"] table')
    reading = table.get("reading")
    if reading not in READINGS:
        raise _fail(path, where, f"reading is {reading!r}", f"use one of {', '.join(READINGS)}")
    evidence = _observation(path, where, table) if "status" in table else None
    if reading in ("served", "refused", "binary", "decimal") and evidence is None:
        raise _fail(path, where, f"a {reading!r} reading has no observed status",
                    "give status (and code, message) of the evidence")  # fmt: skip
    cases = table.get("cases", [])
    if not isinstance(cases, list):
        raise _fail(path, where, "cases is not a list", 'write each case as [[clauses."id".cases]]')
    observed = tuple(_observation(path, f"{where} case {n + 1}", c) for n, c in enumerate(cases))
    low, high = table.get("low"), table.get("high")
    in_range = isinstance(low, int) and isinstance(high, int) and 1 <= low <= high <= 99
    if reading == "threshold" and not in_range:
        raise _fail(path, where, f"the threshold range is low={low!r}, high={high!r}",
                    "give integers with 1 <= low <= high <= 99")  # fmt: skip
    violation = table.get("violation")
    if violation is not None and not isinstance(violation, str):
        raise _fail(path, where, f"violation is {violation!r}", "give it as a string or leave it out")
    return Entry(clause_id, str(reading), evidence, observed, low if reading == "threshold" else None,
                 high if reading == "threshold" else None, violation)  # fmt: skip


def parse_calibration(text: str, path: Path) -> Calibration:
    """Read a calibration file's text; every problem is a :class:`CalibrationError` naming file, entry and fix."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        data = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise _fail(path, "the file", f"it is not TOML ({exc})", "write it with `idclassify calibrate`") from None
    version = data.get("format")
    if version != FORMAT:
        raise _fail(path, "format", f"it is {version!r}, this version reads format {FORMAT}",
                    "re-run `idclassify calibrate` with this version")  # fmt: skip
    clauses = data.get("clauses", {})
    if not isinstance(clauses, Mapping):
        raise _fail(path, "clauses", "it is not a table", 'write each entry as [clauses."id"]')
    entries = {str(cid): _entry(path, str(cid), table) for cid, table in clauses.items()}
    texts = {name: str(data.get(name, "")) for name in ("target", "taken", "toolkit_version", "catalogue_version")}
    return Calibration(entries, source=path, **texts)


def load_calibration(path: str | Path) -> Calibration:
    """Load and check a calibration file (raises :class:`CalibrationError` with the fix)."""
    path = Path(path)
    if not path.is_file():
        raise CalibrationError(
            f"calibration file {path} does not exist; write one with `idclassify calibrate --base-url URL "
            f"--output {path}` (see {DOCS})"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, "the file", f"it cannot be read ({exc})", "pass a UTF-8 TOML file") from None
    return parse_calibration(text, path)
