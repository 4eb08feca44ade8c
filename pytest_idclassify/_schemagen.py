"""Generate the JSON Schemas, the OpenAPI document and the clause and option references.

Every keyword that constrains a value carries its origin: ``x-source`` names the table and row,
``x-clauses`` maps each constraining keyword to the clause that states it (a ``$ref`` is named
``ref`` there: tools resolve every key spelled ``$ref``, even inside an extension object), and
``x-tiers`` gives that clause's tier (documented, inferred or assumed).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pytest_idclassify._paths import source_dir
from pytest_idclassify._tables import Row, Tables, documented_tables
from pytest_idclassify.catalogue import BASE64_LIMIT_BINARY, Clause, Kind, Tier, catalogue
from pytest_idclassify.catalogue._trace import sentence_trace

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:pytest-idclassify:schema:"
JsonObject = dict[str, Any]

_PAGE_TYPE_TO_JSON = {"String": "string", "Boolean": "boolean", "Float": "number", "Integer": "integer"}
_OBJECT_NAMES = {"Table 5": "AutoIdDocClassificationResult", "Table 6": "AutoIdDocClassificationAlarmResult",
                 "Table 7": "AutoIdDocClassificationAlarmConfidence"}  # fmt: skip


def _source(row: Row) -> JsonObject:
    return {"table": row.table, "row": row.name}


def _scalar(row: Row, clause_id: str) -> JsonObject:
    schema: JsonObject = {"type": _PAGE_TYPE_TO_JSON[row.type], "description": row.description}
    clauses = {"type": clause_id}
    c = row.constraints
    if "enum" in c:
        schema["enum"] = list(c["enum"])
        clauses["enum"] = clause_id
    if "minimum" in c:
        schema["minimum"] = c["minimum"]
        clauses["minimum"] = clause_id
    if "maximum" in c:
        schema["maximum"] = c["maximum"]
        clauses["maximum"] = clause_id
    schema["x-source"] = _source(row)
    schema["x-clauses"] = clauses
    return schema


def _location(row: Row, clause_id: str) -> JsonObject:
    c = row.constraints
    # The page says only Array<Array<Integer>>: where the points may lie is cross.location.inside-image.
    point = {"type": "array", "items": {"type": "integer"}, "minItems": c["point_size"], "maxItems": c["point_size"]}
    return {
        "type": "array", "description": row.description, "items": point,
        "minItems": c["points"], "maxItems": c["points"],
        "x-source": _source(row),
        "x-clauses": {k: clause_id for k in ("type", "items", "minItems", "maxItems")},
    }  # fmt: skip


def _one_image(given: str, other: str, row: Row) -> JsonObject:
    """The ``oneOf`` branch "the image comes as ``given``": it is non-empty, ``other`` absent or empty."""
    return {
        "required": [given],
        "properties": {given: {"minLength": 1}, other: {"maxLength": 0}},
        "x-source": _source(row),
        "x-clauses": {"required": "request.data-url.neither", "minLength": "request.data-url.neither",
                      "maxLength": "request.data-url.exclusive"},
    }  # fmt: skip


class _Builder:
    """Builds the schemas with references resolved under one prefix (``#/$defs/`` or OpenAPI's)."""

    def __init__(self, tables: Tables, ref_prefix: str) -> None:
        self.tables = tables
        self.ref_prefix = ref_prefix

    def ref(self, table: str) -> JsonObject:
        return {"$ref": self.ref_prefix + _OBJECT_NAMES[table]}

    def object_from(self, table_name: str, clause_prefix: str, *, required: list[str] | None = None) -> JsonObject:
        table = self.tables[table_name]
        properties: JsonObject = {}
        for row in table.rows:
            clause_id = f"{clause_prefix}.{row.name}"
            if row.type == "Array<Array<Integer>>":
                properties[row.name] = _location(row, clause_id)
            elif row.type == "Object":
                nested = row.constraints["object"]
                properties[row.name] = {
                    **self.ref(nested), "description": row.description, "x-source": _source(row),
                    "x-clauses": {"ref": f"response.{row.name.replace('_', '-')}"},
                }  # fmt: skip
            else:
                properties[row.name] = _scalar(row, clause_id)
        names = required if required is not None else [r.name for r in table.rows if r.mandatory]
        return {
            "title": _OBJECT_NAMES.get(table_name, table.title), "type": "object",
            "properties": properties, "required": names, "additionalProperties": False,
            "x-source": {"table": table_name},
            "x-clauses": {"additionalProperties": "response.result" if table_name == "Table 5" else
                          f"response.{'alarm-result' if table_name == 'Table 6' else 'alarm-confidence'}"},
        }  # fmt: skip

    def result(self, *, alarm: bool) -> JsonObject:
        base = ["type", "location", "confidence"]
        schema = self.object_from("Table 5", "response.result", required=base + (["alarm_result",
                                  "alarm_confidence"] if alarm else []))  # fmt: skip
        for name in ("alarm_result", "alarm_confidence"):
            schema["properties"][name]["x-clauses"]["required" if alarm else "optional"] = (
                "cross.alarm.present-iff-requested"
            )
        return schema

    def alarm_defs(self) -> JsonObject:
        return {
            _OBJECT_NAMES["Table 6"]: self.object_from("Table 6", "response.alarm-result"),
            _OBJECT_NAMES["Table 7"]: self.object_from("Table 7", "response.alarm-confidence"),
        }

    def success(self, *, alarm: bool) -> JsonObject:
        result_row = self.tables["Table 4"].row("result")
        return {
            "title": "AutoIdDocClassification response (200" + (", alarm requested)" if alarm else ")"),
            "type": "object",
            "properties": {"result": {**self.ref("Table 5"), "description": result_row.description,
                                      "x-source": _source(result_row), "x-clauses": {"ref": "response.result"}}},
            "required": ["result"], "additionalProperties": False, "x-source": {"table": "Table 4"},
            "x-clauses": {"required": "response.result", "additionalProperties": "cross.error.absent-on-success"},
        }  # fmt: skip

    def error(self) -> JsonObject:
        props = {row.name: _scalar(row, f"response.error.{row.name}") for row in self.tables["Table 8"].rows}
        props["request_id"] = {
            "type": "string", "description": "Request id that API Gateway errors may carry in the body.",
            "x-source": {"table": "Error codes", "row": "API Gateway"},
        }  # fmt: skip
        return {
            "title": "Error response body", "type": "object", "properties": props,
            "required": [r.name for r in self.tables["Table 8"].rows], "additionalProperties": False,
            "x-source": {"table": "Table 8"},
            "x-clauses": {
                "required": "response.error.error_code",
                "additionalProperties": "cross.result.absent-on-failure",
            },
        }  # fmt: skip

    def request(self) -> JsonObject:
        t3 = self.tables["Table 3"]
        data, url, alarm = t3.row("data"), t3.row("url"), t3.row("alarm")
        return {
            "title": "AutoIdDocClassificationRequestBody", "type": "object",
            "properties": {
                "data": {"type": "string", "description": data.description, "contentEncoding": "base64",
                         "maxLength": BASE64_LIMIT_BINARY, "x-source": _source(data),
                         "x-clauses": {"type": "request.data.type", "maxLength": "request.data.base64-max"}},
                "url": {"type": "string", "description": url.description, "pattern": "^[^\\u3400-\\u9fff]*$",
                        "x-source": _source(url),
                        "x-clauses": {"type": "request.url.type", "pattern": "request.url.chinese-raw"}},
                "alarm": {"type": "boolean", "description": alarm.description,
                          "default": alarm.constraints["default"], "x-source": _source(alarm),
                          "x-clauses": {"type": "request.alarm.type", "default": "cross.alarm.default-false"}},
            },
            # Exactly one image: an empty string is no image, so it counts as absent (the emulator
            # refuses {"data": ""} and serves {"data": "...", "url": ""}).
            "oneOf": [_one_image("data", "url", data), _one_image("url", "data", url)],
            "x-source": {"table": "Table 3"},
            "x-clauses": {"oneOf": "request.data-url.exclusive"},
        }  # fmt: skip


def with_tiers(node: Any) -> Any:
    """Give every ``x-clauses`` map an ``x-tiers`` sibling: each keyword's clause tier, read from the catalogue."""
    if isinstance(node, list):
        return [with_tiers(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: with_tiers(value) for key, value in node.items()}
    if isinstance(node.get("x-clauses"), dict):
        known = catalogue()
        out["x-tiers"] = {keyword: known[cid].tier.value for keyword, cid in node["x-clauses"].items()}
    return out


def _standalone(body: JsonObject, name: str, defs: JsonObject) -> JsonObject:
    document: JsonObject = {"$schema": DRAFT, "$id": SCHEMA_ID + name, **body}
    if defs:
        document["$defs"] = defs
    return dict(with_tiers(document))


def build_schemas(tables: Tables | None = None) -> dict[str, JsonObject]:
    """Return the generated JSON Schemas by file name (``request.schema.json``...)."""
    tables = tables or documented_tables()
    b = _Builder(tables, "#/$defs/")
    return {
        "request.schema.json": _standalone(b.request(), "request", {}),
        "response.schema.json": _standalone(b.success(alarm=False), "response",
                                            {_OBJECT_NAMES["Table 5"]: b.result(alarm=False), **b.alarm_defs()}),
        "response-alarm.schema.json": _standalone(b.success(alarm=True), "response-alarm",
                                                  {_OBJECT_NAMES["Table 5"]: b.result(alarm=True), **b.alarm_defs()}),
        "error.schema.json": _standalone(b.error(), "error", {}),
    }  # fmt: skip


#: the examples of the OpenAPI document: a specimen request with the emulator's answer, the page's answers.
EXAMPLES_FILE = "examples.json"


def _examples() -> JsonObject:
    document: JsonObject = json.loads((source_dir() / EXAMPLES_FILE).read_text(encoding="utf-8"))
    return document


def build_openapi(tables: Tables | None = None) -> JsonObject:
    """Return the OpenAPI 3.1 document of the operation, assembling the generated schemas."""
    tables = tables or documented_tables()
    b = _Builder(tables, "#/components/schemas/")
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    request_id = {"X-Request-Id": {"description": "Request id; every response carries it.",
                                   "schema": {"type": "string"}}}  # fmt: skip
    examples = _examples()
    specimen, page = examples["specimen"], examples["page"]
    answered = f"The reference emulator's answer to {specimen['recipe']}"

    def error_response(description: str, media: JsonObject | None = None) -> JsonObject:
        return {
            "description": description,
            "headers": request_id,
            "content": {"application/json": {"schema": error_ref, **(media or {})}},
        }

    project = tables["Table 1"].row("project_id")
    eps = tables["Table 2"].row("Enterprise-Project-Id")
    token = tables["Table 2"].row("X-Auth-Token")
    return dict(with_tiers({
        "openapi": "3.1.0",
        "info": {"title": "Auto ID Document Classification", "version": "v2",
                 "description": "Huawei Cloud OCR: classifies nine types of ID documents and detects image alarms. "
                 "Generated by pytest-idclassify from the documented tables."},
        "jsonSchemaDialect": DRAFT,
        "servers": [{"url": "https://ocr.{region}.myhuaweicloud.com",
                     "variables": {"region": {"default": "ap-southeast-1"}}}],
        "paths": {"/v2/{project_id}/ocr/auto-id-doc-classification": {"post": {
            "operationId": "RecognizeAutoIdDocClassification",
            "summary": "Auto ID Document Classification",
            "parameters": [
                {"name": "project_id", "in": "path", "required": True, "description": project.description,
                 "schema": {"type": "string", "minLength": 1}, "x-source": _source(project)},
                {"name": "Enterprise-Project-Id", "in": "header", "required": False, "description": eps.description,
                 "schema": {"type": "string"}, "x-source": _source(eps)},
            ],
            # Examples on the media types only: a property-level example would be sent on its own by
            # tools that fill the rest, and the page's data example ("/9j/4AAQ...") is not an image.
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/AutoIdDocClassificationRequestBody"},
                "examples": {"specimen": {"summary": specimen["summary"], "description": examples["description"],
                                          "value": specimen["request"]}}}}},
            "responses": {
                "200": {"description": "Example response for a successful request", "headers": request_id,
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/SuccessBody"},
                            "examples": {"specimen": {"summary": answered, "value": specimen["answer"]},
                                         "page": page["success"]}}}},
                "400": error_response("Example response for a failed request", {"examples": {"page": page["error"]}}),
                "401": error_response("Authentication failed (API Gateway APIG.0301, APIG.0307)"),
                "403": error_response("Not authorised (API Gateway APIG.0302)"),
                "413": error_response("Request entity too large (API Gateway APIG.0201)"),
                "429": error_response("Throttled (API Gateway APIG.0308)"),
                "500": error_response("Internal server error (API Gateway APIG.0601)"),
            },
        }}},
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token", "description": token.description},
                "aksk": {"type": "apiKey", "in": "header", "name": "Authorization",
                         "description": "AK/SK request signing: 'SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., "
                         "Signature=...' with an X-Sdk-Date header."},
            },
            "schemas": {
                "AutoIdDocClassificationRequestBody": b.request(),
                "SuccessBody": b.success(alarm=False),
                "SuccessBodyWithAlarms": {**b.success(alarm=True), "properties": {"result": {
                    "$ref": "#/components/schemas/AutoIdDocClassificationResultWithAlarms"}}},
                "AutoIdDocClassificationResult": b.result(alarm=False),
                "AutoIdDocClassificationResultWithAlarms": b.result(alarm=True),
                **b.alarm_defs(),
                "ErrorBody": b.error(),
            },
        },
        "security": [{"token": []}, {"aksk": []}],
    }))  # fmt: skip


def _count(clauses: Mapping[str, Clause], tier: Tier) -> int:
    return sum(c.tier is tier for c in clauses.values())


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_clause_reference(clauses: Mapping[str, Clause] | None = None) -> str:
    """Return docs/reference/clauses.md: every clause, by kind, with its source and outcome."""
    clauses = clauses if clauses is not None else catalogue()
    lines = [
        "# Clause reference",
        "",
        "<!-- Generated by `idclassify schemas build` from the clause catalogue; do not edit by hand. -->",
        "",
        f"{len(clauses)} clauses in three tiers: {_count(clauses, Tier.DOCUMENTED)} documented (stated on the API "
        f"page or the error-code page), {_count(clauses, Tier.INFERRED)} inferred (not stated, but they follow "
        "from what is stated: any correct server keeps them; they fail a run unless "
        "`--idclassify-inferred=report`), and "
        f"{_count(clauses, Tier.ASSUMED)} assumed (choices where the documentation is silent and two correct "
        "servers may differ; they run and are reported apart, and count only when asked or when a calibration "
        "file holds the target to a real server's choices).",
        "",
    ]
    for kind in Kind:
        group = [c for c in clauses.values() if c.kind is kind]
        lines += [f"## {kind.value.capitalize()} ({kind.category})", "",
                  "| id | rule | source | outcome | tier |", "|---|---|---|---|---|"]  # fmt: skip
        for c in group:
            outcome = str(c.error) if c.error else ("refused (code in a companion clause)" if c.refuses else "served")
            status = c.tier.value
            if c.run:
                status += ", over the whole run"
            if not c.testable:
                status += ", not testable offline"
            if c.metric:
                status += ", metric"
            lines.append(
                f"| `{c.id}` | {_md_escape(c.rule)} | {_md_escape(c.source)} | {_md_escape(outcome)} | {status} |"
            )
        lines.append("")
    lines += ["## Why each inferred clause holds", "",
              "Each follows from what the documentation states, so any correct server keeps it:", ""]  # fmt: skip
    lines += [f"- `{c.id}`: {c.argument}." for c in clauses.values() if c.inferred]
    lines += ["", "## Why each assumed clause was chosen", ""]
    for c in clauses.values():
        if c.assumed or c.rationale:
            lines.append(f"- `{c.id}`: {c.rationale}.")
    lines += ["", "## Sentence trace", "",
              "Every sentence of the API page's reference sections, and the clauses that state it:", "",
              "| sentence | clauses |", "|---|---|"]  # fmt: skip
    for entry in sentence_trace():
        target = ", ".join(f"`{c}`" for c in entry.clauses) or f"informative: {entry.informative}"
        lines.append(f"| {_md_escape(entry.sentence)} | {_md_escape(target)} |")
    return "\n".join(lines) + "\n"


def render_options_reference() -> str:
    """Return docs/reference/options.md: every suite option with its flag, ini key, variable and default."""
    from pytest_idclassify._options import OPTIONS, VERIFY

    lines = [
        "# Options reference",
        "",
        "<!-- Generated by `idclassify schemas build` from pytest_idclassify/_options.py; do not edit by hand. -->",
        "",
        "Each option of the contract suite has one name, spelled by each interface: on the command line",
        "(`pytest --idclassify-...`, or `idclassify verify --...` without the prefix), as an `IDCLASSIFY_*`",
        "environment variable, or as an ini key. Precedence: command line > environment variable > ini file",
        "> default. Messages name a setting the way it was given. Secrets have no option: the token and",
        "AK/SK come from the environment only (see environment-variables.md).",
        "",
        "| pytest flag | `idclassify verify` flag | ini key | environment variable | value | default | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for option in OPTIONS:
        default = "off" if option.flag else (option.default or "")
        kind = ("flag" if option.flag else "whole number" if option.number is int else "number" if option.number
                else "one of " + ", ".join(option.choices) if option.choices else "text")  # fmt: skip
        lines.append(f"| `{option.cli}` | `{VERIFY.flag(option)}` | `{option.ini}` | `{option.env}` | {kind} | "
                     f"{default} | {_md_escape(option.help)}. |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _dump(document: JsonObject) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generated_files(root: Path) -> dict[Path, Callable[[], str]]:
    """Map each generated file under the checkout ``root`` to the function that renders it."""
    files: dict[Path, Callable[[], str]] = {}
    for name, schema in build_schemas().items():
        files[root / "schemas" / name] = lambda schema=schema: _dump(schema)  # type: ignore[misc]
    files[root / "schemas" / "openapi.json"] = lambda: _dump(build_openapi())
    files[root / "docs" / "reference" / "clauses.md"] = render_clause_reference
    files[root / "docs" / "reference" / "options.md"] = render_options_reference
    # The gate's default seeded sample, pinned so that collecting the suite runs no Hypothesis engine.
    from pytest_idclassify.cases._sample import PINNED_FILE, render_pinned_sample

    files[root / PINNED_FILE.relative_to(Path(__file__).resolve().parent.parent)] = render_pinned_sample
    return files


def write_generated(root: Path) -> list[Path]:
    """Write every generated file under ``root``; return the files that changed."""
    changed = []
    for path, render in generated_files(root).items():
        text = render()
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale_files(root: Path) -> dict[Path, str]:
    """Return a unified diff for each generated file under ``root`` that is missing or stale."""
    stale = {}
    for path, render in generated_files(root).items():
        expected = render()
        actual = path.read_text(encoding="utf-8") if path.is_file() else ""
        if actual != expected:
            diff = difflib.unified_diff(
                actual.splitlines(keepends=True), expected.splitlines(keepends=True),
                fromfile=f"{path} (committed)", tofile=f"{path} (generated)", n=2,
            )  # fmt: skip
            stale[path] = "".join(diff) if actual else f"{path} is missing\n"
    return stale
