"""The gate profile covers the catalogue, holds the required boundaries, and is the same for the same seed."""

from __future__ import annotations

import base64
from functools import cache

import pytest

from pytest_idclassify.cases import (
    PER_ANSWER_CLAUSES,
    SCORE_DEGRADATIONS,
    Auth,
    Case,
    Expect,
    ImageSource,
    Relation,
    UrlImage,
    fixed_cases,
    gate_cases,
    sampled_cases,
)
from pytest_idclassify.catalogue import catalogue
from pytest_idclassify.errors import StrategyArgumentError
from pytest_idclassify.images import DOCUMENT_TYPES, ImageRecipe, probe


@cache
def _gate() -> tuple[Case, ...]:
    return tuple(gate_cases())


def _by_id() -> dict[str, Case]:
    return {case.id: case for case in _gate()}


def test_every_testable_clause_has_a_case_or_is_checked_on_every_answer() -> None:
    testable = {c.id for c in catalogue().values() if c.testable and not c.metric}
    covered = {cid for case in fixed_cases() for cid in (case.clause, *case.companions)}
    assert set(catalogue()) >= PER_ANSWER_CLAUSES, PER_ANSWER_CLAUSES - set(catalogue())
    assert testable - covered - PER_ANSWER_CLAUSES == set()


def test_clauses_left_to_per_answer_checks_are_never_ones_a_request_must_target() -> None:
    for cid in PER_ANSWER_CLAUSES:
        kind = catalogue()[cid].kind.name
        assert kind in ("RESPONSE", "CROSS", "ERROR", "BEHAVIOUR"), cid
        assert not cid.startswith(("request.", "auth.", "uri.", "behaviour.score", "cross.alarm.present",
                                   "cross.alarm.default"))  # fmt: skip


def test_ids_are_unique_and_the_same_for_the_same_seed() -> None:
    ids = [case.id for case in _gate()]
    assert len(ids) == len(set(ids))
    assert [case.id for case in gate_cases()] == ids
    assert [case.id for case in gate_cases(seed=5)] != ids


def test_the_sample_is_seeded_and_sized() -> None:
    first = sampled_cases(seed=11, sample=6)
    assert len(first) == 6
    assert first == sampled_cases(seed=11, sample=6)
    assert all(case.label.startswith(f"s11.{n}-") for n, case in enumerate(first))
    assert sampled_cases(seed=11, sample=0) == []
    assert len(gate_cases(sample=0)) == len(fixed_cases())


@pytest.mark.parametrize("bad", [{"seed": -1}, {"sample": -2}, {"sample": 1.5}, {"seed": True}])
def test_bad_seed_or_sample_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(StrategyArgumentError):
        gate_cases(**bad)  # type: ignore[arg-type]


def test_cases_describe_themselves_without_rendering() -> None:
    for case in _gate():
        text = case.describe()
        assert len(text) < 200 * len(case.calls), case.id
        for call in case.calls:
            for value in (call.json or {}).values():
                if isinstance(value, ImageSource):
                    assert isinstance(value, ImageRecipe), case.id


@pytest.mark.parametrize(
    ("case_id", "outcome"),
    [
        *[(f"request.image.side-min[png-{w}x{h}]", o) for s, o in ((14, "refused"), (15, "accepted"), (16, "accepted"))
          for w, h in ((s, 64), (64, s))],
        *[(f"request.image.side-max[png-{w}x{h}]", o) for s, o in ((8191, "accepted"), (8192, "accepted"),
                                                                   (8193, "refused")) for w, h in ((s, 16), (16, s))],
        ("request.data.base64-max[b64-10000000]", "accepted"),
        ("request.data.base64-max[b64-10485764]", "refused"),
        ("request.data.base64-binary-reading[b64-10485760]", "accepted"),
        ("request.data.base64-binary-reading[b64-10000004]", "accepted"),
        ("request.data.recommended-7mb[jpeg-7mib-file]", "accepted"),
        ("request.body.max-size[body-over-12582912]", "refused"),
        ("request.image.formats[gif-32x32]", "refused"),
        ("request.image.formats[webp-32x32]", "refused"),
        ("request.image.formats[jpg-alias-48x32]", "accepted"),
        ("request.image.side-min[url-png-14x64]", "refused"),
        ("request.image.formats[url-gif-32x32]", "refused"),
        ("request.url.chinese-encoded[percent-encoded-path]", "served"),
        ("request.url.redirect-followed[http-to-http]", "served"),
        ("request.url.schemes[redirect-to-file]", "refused"),
        ("request.image.no-document[blank-png-640x400]", "refused"),
        ("request.body.extra-fields[unknown-field]", "accepted"),
    ],
)  # fmt: skip
def test_required_boundary_examples(case_id: str, outcome: str) -> None:
    assert _by_id()[case_id].expect is Expect(outcome)


def test_base64_boundaries_have_exact_lengths_and_companions() -> None:
    cases = _by_id()
    for case_id, chars in (("request.data.base64-max[b64-10485764]", 10_485_764),
                           ("request.data.base64-binary-reading[b64-10485760]", 10_485_760)):  # fmt: skip
        (call,) = cases[case_id].calls
        assert call.json is not None
        assert len(call.json["data"].to_base64()) == chars
    assert cases["request.data.base64-max[b64-10485764]"].companions[0] == "request.data.base64-max.code"


def test_each_prefix_and_url_failure_refuses_with_its_code() -> None:
    cases = [case for case in _gate() if case.label.startswith("prefix-")]
    assert len(cases) == 6 and all(case.expect is Expect.REFUSED for case in cases)
    for case in _gate():
        url_clause = case.clause in ("request.url.schemes", "request.url.fetch-failure", "request.url.chinese-raw",
                                     "request.url.size-max")  # fmt: skip
        # A redirect to file: may be refused as a bad scheme or as a failed download: no code is held to.
        if url_clause and case.expect is Expect.REFUSED and case.label != "redirect-to-file":
            assert f"{case.clause}.code" in case.companions, case.id
    fetch = {c.label for c in _gate() if c.clause == "request.url.fetch-failure" and "url-server" in c.needs}
    assert {"http-500", "http-404", "unreachable", "wrong-content-type"} <= fetch
    # The slow answer's clause is assumed and holds the code itself: the page says a long download fails, not when.
    (slow,) = [c for c in _gate() if c.clause == "request.url.fetch-slow"]
    assert slow.label == "slow" and "url-server" in slow.needs and not slow.companions


def test_url_cases_need_the_url_server() -> None:
    for case in _gate():
        uses_server = any(isinstance(v, UrlImage) for call in case.calls for v in (call.json or {}).values())
        assert uses_server == ("url-server" in case.needs), case.id


def test_credentials_variants_and_their_needs() -> None:
    auths = {call.auth: case for case in _gate() for call in case.calls if call.auth is not Auth.DEFAULT}
    assert set(auths) == set(Auth) - {Auth.DEFAULT}
    assert auths[Auth.EXPIRED_TOKEN].needs == {"expired-token"}
    assert auths[Auth.BAD_SIGNATURE].needs == auths[Auth.SKEWED_DATE].needs == {"aksk"}


def test_metamorphic_cases() -> None:
    relations = [case for case in _gate() if case.relation is not None]
    scores = {case.score: case for case in relations if case.relation is Relation.SCORE_NON_DECREASING}
    assert set(scores) == set(SCORE_DEGRADATIONS)
    for score, case in scores.items():
        assert case.clause == f"behaviour.score-monotone.{score}"
        severities = [dict(call.json["data"].degradations)[SCORE_DEGRADATIONS[score]] for call in case.calls]  # type: ignore[index]
        assert severities == [0.0, 0.5, 1.0]
        assert all(call.json and call.json.get("alarm") is True for call in case.calls)
    kinds = {(case.clause, case.relation) for case in relations}
    assert ("behaviour.alarm-toggle", Relation.SAME_CLASSIFICATION) in kinds
    assert ("behaviour.deterministic", Relation.SAME_ANSWER) in kinds
    assert ("behaviour.reencode-keeps-type", Relation.SAME_TYPE) in kinds
    assert ("header.enterprise-project-id.any-value", Relation.SAME_CLASSIFICATION) in kinds
    large = []
    for case in relations:
        for call in case.calls:
            image = (call.json or {}).get("data")
            if isinstance(image, ImageRecipe) and image.width * image.height > 1280 * 800:
                large.append((case.id, image.width, image.height))
    # Relations stay cheap but for the one picture that must reach the side limit to test it.
    assert large == [("behaviour.within-limits-equally-accepted[enlarged-to-8192]", 8192, 5120)]
    limits = [case for case in relations if case.clause == "behaviour.within-limits-equally-accepted"]
    assert [case.label for case in limits] == ["enlarged-to-8192", "file-padded-to-7mib", "base64-padded-to-10000000"]
    for case in limits:
        first, second = (call.json["data"] for call in case.calls)  # type: ignore[index]
        assert first.pad_bytes is first.pad_base64 is None and first.content == second.content == "specimen"


def test_one_served_specimen_per_document_type() -> None:
    served = {case.label: case for case in _gate() if case.clause == "response.result.type"}
    assert set(served) == set(DOCUMENT_TYPES)
    for doc_type, case in served.items():
        (call,) = case.calls
        assert case.expect is Expect.SERVED
        assert call.json is not None and call.json["data"].doc_type == doc_type


def test_every_format_meets_both_side_limits_on_each_axis_with_exact_images() -> None:
    # A server may check sides per decoder: each format is held to 14/15/16 and 8191/8192/8193, both ways.
    cases = _by_id()
    for fmt in ("png", "jpeg", "bmp", "tiff"):
        for clause_id, sides, other in (("request.image.side-min", (14, 15, 16), 64),
                                        ("request.image.side-max", (8191, 8192, 8193), 16)):  # fmt: skip
            for side in sides:
                for width, height in ((side, other), (other, side)):
                    case = cases[f"{clause_id}[{fmt}-{width}x{height}]"]
                    refused = side in (14, 8193)
                    assert case.expect is (Expect.REFUSED if refused else Expect.ACCEPTED), case.id
                    (call,) = case.calls
                    assert call.json is not None
                    info = probe(base64.b64decode(call.json["data"].to_base64()))
                    assert (info.format, info.width, info.height) == (fmt, width, height), case.id
