"""Three tiers of clause: the catalogue's tiers, the inferred-clause option, and the run-level threshold check."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from mutants._catalogue import INFERRED_MUTANTS

from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.catalogue import Clause, Kind, Tier, catalogue, clause, clauses
from pytest_idclassify.emulator import EmulatorSettings, create_app
from pytest_idclassify.emulator._settings import DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.suite import resolve
from pytest_idclassify.validation import AlarmAnswer, explaining, explains, run_violations, validate_response
from pytest_idclassify.validation._threshold import alarm_names, answer_violations

pytest_plugins = ["pytester"]

INFERRED = {"behaviour.alarm-toggle", "cross.confidence.range", "behaviour.same-image-same-type",
            "cross.alarm.threshold-consistent"}  # fmt: skip
STAY_ASSUMED = {"request.data-url.neither", "request.image.no-document", "cross.alarm.result-matches-score",
                "request.data.base64-binary-reading", "cross.location.clockwise"}  # fmt: skip


def test_the_catalogue_is_re_tiered_with_an_argument_per_inferred_clause() -> None:
    inferred = {c.id for c in clauses(tiers=[Tier.INFERRED])}
    assert inferred >= INFERRED
    assert all(clause(cid).tier is Tier.ASSUMED and clause(cid).assumed for cid in STAY_ASSUMED)
    for c in clauses(tiers=[Tier.INFERRED]):
        assert c.argument and len(c.argument) > 40 and "\n" not in c.argument, c.id
        assert not c.assumed and c.inferred
    assert all(c.argument is None for c in catalogue().values() if not c.inferred)
    assert clause("cross.alarm.threshold-consistent").run
    assert {c.tier for c in catalogue().values()} == set(Tier)


def test_a_clause_states_its_tier_with_what_the_tier_needs() -> None:
    with pytest.raises(ValueError, match="every inferred clause needs one"):
        Clause("cross.x", Kind.CROSS, "rule", "source", tier=Tier.INFERRED)
    with pytest.raises(ValueError, match="belongs to inferred clauses"):
        Clause("cross.x", Kind.CROSS, "rule", "source", argument="a reason")
    with pytest.raises(ValueError, match="needs a rationale"):
        Clause("cross.x", Kind.CROSS, "rule", "source", tier=Tier.ASSUMED)


def test_inferred_clauses_count_unless_reported_apart() -> None:
    default = resolve({}, {}, {})
    assert default.inferred == "count" and default.counts(Tier.INFERRED) and not default.counts(Tier.ASSUMED)
    assert not resolve({"inferred": "report"}, {}, {}).counts(Tier.INFERRED)
    assert not resolve({}, {}, {"IDCLASSIFY_INFERRED": "report"}).counts(Tier.INFERRED)
    assert not resolve({}, {"inferred": "report"}, {}).counts(Tier.INFERRED)
    assert resolve({"inferred": "count"}, {"inferred": "report"}, {}).counts(Tier.INFERRED)
    assert resolve({}, {}, {}).counts(True) is False and resolve({}, {}, {}).counts(False) is True
    with pytest.raises(ConfigurationError, match="IDCLASSIFY_INFERRED='sometimes' is not one of count, report"):
        resolve({}, {}, {"IDCLASSIFY_INFERRED": "sometimes"})


def test_the_thresholds_that_explain_flags() -> None:
    assert explaining([(True, 98), (False, 0)]) == range(1, 99)  # the page's example: anything in (0, 98]
    assert explaining([(True, 51), (False, 20)]) == range(21, 52)
    assert not explaining([(True, 40), (False, 60)])
    assert not explaining([(True, 0)]) and not explaining([(False, 99)])
    assert explaining([(True, 60)], 50, 50) and not explaining([(False, 60)], 50, 50)


def test_one_answers_violations_are_a_run_of_that_answer() -> None:
    names = [score for _, score in alarm_names()]
    for flag in (True, False):
        for score in range(-2, 102):
            pairs = {name: (flag if name == names[score % len(names)] else not flag, score) for name in names}
            expected = run_violations([AlarmAnswer("this answer", None, pairs)])
            assert answer_violations(pairs) == expected


def test_one_pair_is_explained_exactly_when_explaining_it_finds_a_threshold() -> None:
    for flag in (True, False):
        for score in range(-2, 102):
            for low in range(-1, 101, 3):
                for high in range(-1, 101, 3):
                    assert explains(flag, score, low, high) == bool(explaining([(flag, score)], low, high))


def _answer(case: str, blur: tuple[bool, int], glare: tuple[bool, int] = (False, 0)) -> AlarmAnswer:
    return AlarmAnswer(case, f"rid-{case}", {"blur_score": blur, "glare_score": glare})


def test_the_run_level_check_names_the_two_answers_that_conflict() -> None:
    consistent = [_answer("a", (True, 51)), _answer("b", (False, 20)), _answer("c", (True, 88), (True, 70))]
    assert run_violations(consistent) == []
    # Each alarm has a threshold of its own: 40 raises glare while 45 leaves blur off, and that is fine.
    assert run_violations([*consistent, _answer("d", (False, 45), (True, 40))]) == []
    found = run_violations([*consistent, _answer("e", (False, 90))])
    assert [(v.clause, v.pointer) for v in found] == [("cross.alarm.threshold-consistent",
                                                       "/result/alarm_confidence/blur_score")]  # fmt: skip
    assert "51 came with detect_blur_result true (a, request id rid-a) but 90 with false (e, request id rid-e)" in (
        found[0].message
    )
    assert AlarmAnswer.from_json("a", consistent[0].to_json()) == consistent[0]


def test_one_answer_is_held_to_the_range_and_the_assumed_value_apart() -> None:
    body: dict[str, Any] = {
        "result": {"type": "id_card", "location": [[275, 125], [860, 165], [916, 634], [255, 633]],
                   "confidence": 0.979,
                   "alarm_result": {f: False for f in ("detect_blur_result", "detect_glare_result",
                                                        "detect_blocking_within_border_result",
                                                        "detect_insufficient_lighting_result", "detect_copy_result",
                                                        "detect_border_integrity_result", "detect_reproduce_result")},
                   "alarm_confidence": {s: 0 for s in ("blur_score", "glare_score", "blocking_within_border_score",
                                                        "insufficient_lighting_score", "copy_score",
                                                        "border_integrity_score", "reproduce_score")}}
    }  # fmt: skip
    assert validate_response(body, status=200, request={"alarm": True}) == []
    body["result"]["alarm_result"]["detect_blur_result"] = True  # score 0 with its alarm on: no threshold explains it
    found = {(v.clause, v.tier) for v in validate_response(body, status=200, request={"alarm": True})}
    assert found == {("cross.alarm.threshold-consistent", Tier.INFERRED),
                     ("cross.alarm.result-matches-score", Tier.ASSUMED)}  # fmt: skip
    body["result"]["alarm_result"]["detect_blur_result"] = False
    body["result"]["confidence"] = 1.2
    assert {v.clause for v in validate_response(body, status=200)} == {"cross.confidence.range"}


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real 127.0.0.1 server: the reference emulator, or one of the inferred-clause mutants around it."""
    name = request.param
    if name.startswith("threshold-"):
        app: Any = create_app(EmulatorSettings(fetch_timeout=1.0, alarm_threshold=int(name.split("-")[1])))
    else:
        app = next(m for m in INFERRED_MUTANTS if m.name == name).app()
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # The emulator's published fake credentials, given as a live run takes them: from the environment.
    monkeypatch.setenv("IDCLASSIFY_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("IDCLASSIFY_PROJECT_ID", DEFAULT_PROJECT_ID)


def _run(pytester: pytest.Pytester, url: str, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    report = pytester.path / "r.json"
    result = pytester.runpytest_subprocess(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", f"--idclassify-base-url={url}",
        "-k", "score-monotone or alarm-true", f"--idclassify-report-json={report}", *args,
    )  # fmt: skip
    return result, json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.parametrize("served", ["blur-alarm-band"], indirect=True)
def test_a_run_no_threshold_explains_fails_across_workers_unless_reported_apart(
    pytester: pytest.Pytester, served: str
) -> None:
    # Every case passes on its own; only all the workers' answers together show the two thresholds.
    result, report = _run(pytester, served, "--idclassify-assumed=exclude", "-n", "2")
    assert result.parseoutcomes()["passed"] >= 8 and "failed" not in result.parseoutcomes()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["FAILED cross.alarm.threshold-consistent (inferred): no threshold explains blur_score*"]
    )
    verdict = next(c for c in report["clauses"] if c["id"] == "cross.alarm.threshold-consistent")
    assert (verdict["status"], verdict["tier"], verdict["violations"][0]["case"]) == ("failed", "inferred",
                                                                                      "(the whole run)")  # fmt: skip
    assert report["scores"]["inferred"]["cross-field"]["failed"] == 1
    apart, _ = _run(pytester, served, "--idclassify-assumed=exclude", "--idclassify-inferred=report")
    assert apart.ret == pytest.ExitCode.OK
    apart.stdout.fnmatch_lines(["inferred clauses (*reported apart, they do not fail the run):"])


@pytest.mark.parametrize("served", ["threshold-70"], indirect=True)
def test_another_threshold_is_a_choice_not_a_fault(pytester: pytest.Pytester, served: str) -> None:
    # A server that raises alarms from 70: the assumed value 50 is reported apart, the inferred clause holds.
    result, report = _run(pytester, served)
    verdicts = {c["id"]: c for c in report["clauses"]}
    assert verdicts["cross.alarm.threshold-consistent"]["status"] == "passed"
    assert verdicts["cross.alarm.result-matches-score"]["status"] == "failed"
    assert verdicts["cross.alarm.result-matches-score"]["tier"] == "assumed"
    assert result.ret == pytest.ExitCode.OK


def test_the_boundaries_of_the_confidence_range_are_harmless() -> None:
    for confidence in (0, 0.0, 1, 1.0):
        body = {"result": {"type": "passport", "location": [[1, 1], [9, 1], [9, 9], [1, 9]], "confidence": confidence}}
        assert [v.clause for v in validate_response(body, status=200)] == []


def test_a_confidence_that_varies_between_sendings_keeps_the_same_type() -> None:
    # The harmless variant of type-changes-on-repeat: the answers differ (an assumed clause), the type does not.
    from mutants import Mutant, app_target, contract_cases, run_case

    from pytest_idclassify.suite._urlhost import LoopbackImageServer

    jitter = iter(x / 100 for x in range(50, 100))

    def after(seen: Any, answer: Any) -> Any:
        result = answer.result
        return answer if result is None else answer.with_json({"result": {**result, "confidence": next(jitter)}})

    cases = [c for c in contract_cases() if c.id in ("behaviour.same-image-same-type[specimen-twice]",
                                                     "behaviour.deterministic[specimen-twice]")]  # fmt: skip
    with LoopbackImageServer().running() as images, app_target(Mutant("jitter", "", frozenset(), after=after).app(),
                                                               images) as target:  # fmt: skip
        found = {f.violation.clause for case in cases for f in run_case(target, case)}
    assert len(cases) == 2 and found == {"behaviour.deterministic"}


def test_verify_and_calibrate_offer_the_options_and_the_html_shows_tiers() -> None:
    from click.testing import CliRunner

    from pytest_idclassify.cli import main
    from pytest_idclassify.report import build_report, render_html

    assert "--inferred [count|report]" in CliRunner().invoke(main, ["verify", "--help"]).output
    assert "--calibration TEXT" in CliRunner().invoke(main, ["verify", "--help"]).output
    assert "--base-url TEXT" in CliRunner().invoke(main, ["calibrate", "--help"]).output
    page = render_html(build_report([], meta={"calibrated": ["request.data-url.neither"]}))
    assert re.search(r"<code>behaviour\.alarm-toggle</code>.*?<span class=tag>inferred</span>", page)
    assert re.search(r"<code>cross\.alarm\.result-matches-score</code>.*?<span class=tag>assumed</span>", page)
    assert re.search(r"<code>request\.data-url\.neither</code>.*?<span class=tag>documented, calibrated</span>", page)


def test_the_schemas_annotate_each_clause_with_its_tier() -> None:
    from pytest_idclassify._schemagen import build_openapi, build_schemas

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    annotated = [n for doc in (*build_schemas().values(), build_openapi()) for n in walk(doc) if "x-clauses" in n]
    assert annotated and all(
        n["x-tiers"] == {k: clause(cid).tier.value for k, cid in n["x-clauses"].items()} for n in annotated
    )
    alarm = build_schemas()["response-alarm.schema.json"]["$defs"]["AutoIdDocClassificationResult"]
    assert alarm["properties"]["alarm_result"]["x-tiers"] == {"ref": "documented", "required": "documented"}
