from pytest_idclassify._tables import documented_tables
from pytest_idclassify.catalogue import Kind, catalogue, clause, clauses, error_clause_for
from pytest_idclassify.catalogue._trace import normalise, page_sentences, page_text, sentence_trace


def test_every_quote_is_verbatim_on_the_api_page() -> None:
    page = normalise(page_text())
    missing = [c.id for c in catalogue().values() if c.quote and normalise(c.quote) not in page]
    assert missing == []


def test_every_documented_table_row_has_a_clause() -> None:
    tables = documented_tables()
    cited = {row for c in catalogue().values() for row in c.rows}
    uncited = [
        f"{name}/{row.name}"
        for name, table in tables.tables.items()
        for row in table.rows
        if f"{name}/{row.name}" not in cited
    ]
    assert uncited == []
    assert all(f"Error codes/{e.code}/{e.status}" in cited for e in tables.error_codes)


def test_every_page_sentence_is_traced_and_every_target_exists() -> None:
    traced = {entry.sentence for entry in sentence_trace()}
    assert [s for s in page_sentences() if s not in traced] == []
    assert [s for s in traced if s not in page_sentences()] == []
    known = catalogue()
    assert [c for entry in sentence_trace() for c in entry.clauses if c not in known] == []


def test_every_clause_leads_back_to_the_documentation() -> None:
    traced = {c for entry in sentence_trace() for c in entry.clauses}
    orphans = [
        c.id
        for c in catalogue().values()
        if not c.assumed
        and not (c.quote or c.rows or c.id in traced or "page" in c.source.lower() or "Calling APIs" in c.source)
    ]
    assert orphans == []


def test_assumed_clauses_say_what_was_chosen_and_why() -> None:
    assumed = clauses(assumed=True)
    assert len(assumed) >= 10
    assert all(c.rationale and len(c.rationale) > 20 for c in assumed)
    # Each "Not documented" item of the error-code reference is an assumed clause.
    for cid in (
        "request.data-url.neither",
        "request.url.chinese-raw.code",
        "request.image.no-document",
        "request.data.base64-max.code",
        "cross.alarm.result-matches-score",
        "request.body.json",
    ):
        assert clause(cid).assumed, cid


def test_error_clauses_carry_the_documented_status_code_and_message() -> None:
    c = error_clause_for("AIS.0103")
    assert c.kind is Kind.ERROR and not c.assumed
    assert c.error is not None and (c.error.status, c.error.code) == (400, "AIS.0103")
    assert c.error.message == "The image size does not meet the requirements."
    assert error_clause_for("ModelArts.4105").assumed  # its status is not documented
    assert error_clause_for("APIG.0201", "Request entity too large.").error.status == 413  # type: ignore[union-attr]
    prefix = clause("auth.aksk.signature").error
    assert prefix is not None
    assert prefix.message_ok("Incorrect IAM authentication information: verify aksk signature fail")
    assert not prefix.message_ok("Incorrect IAM authentication information: decrypt token fail")


def test_refusing_clauses_without_a_documented_code_have_an_assumed_companion() -> None:
    for c in catalogue().values():
        if c.refuses and c.error is None:
            companion = clause(c.id + ".code")
            assert companion.assumed and companion.error is not None


def test_every_kind_is_populated_and_ids_are_stable_words() -> None:
    assert {c.kind for c in catalogue().values()} == set(Kind)
    assert len(catalogue()) >= 100
    assert clause("request.image.side-min").error.code == "AIS.0103"  # type: ignore[union-attr]


def test_a_token_fault_may_be_answered_by_either_layer_with_the_status_its_docs_give() -> None:
    missing, invalid, expired = (clause(f"auth.token.{name}").error for name in ("missing", "invalid", "expired"))
    assert missing is not None and invalid is not None and expired is not None
    gateway = "Incorrect IAM authentication information: x-auth-token not found"
    assert missing.accepts(401, "APIG.0301", gateway)
    assert not missing.accepts(400, "APIG.0301", gateway)  # the gateway's 401 is documented
    # The ModelArts codes' statuses are not documented: any client-error status goes with them.
    assert missing.accepts(401, "ModelArts.4101", "Token header cannot be empty.")
    assert missing.accepts(400, "ModelArts.4101", "Token header cannot be empty.")
    assert not missing.accepts(500, "ModelArts.4101", "Token header cannot be empty.")
    assert not missing.accepts(401, "ModelArts.0203", "Invalid token.")  # documented for another fault
    assert invalid.accepts(403, "ModelArts.4102", "Parse Token error.")
    assert expired.accepts(401, "ModelArts.0203", "Invalid token.")
    assert "4xx ModelArts.4101 'Token header cannot be empty.'" in str(missing)
