"""The pytest plugin, tested with pytester: help text, option precedence, marker, reports, summaries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_idclassify._options import OPTIONS
from pytest_idclassify._serve import serve_in_thread
from pytest_idclassify.suite import resolve

pytest_plugins = ["pytester"]


def test_help_lists_every_option_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    assert "contract testing of the Auto ID Document Classification API:" in text
    for option in OPTIONS:
        assert option.cli in text
        assert option.ini in text
    result.stdout.fnmatch_lines(["*--idclassify-target=TARGET*", "*--idclassify-strict*"])


def test_marker_is_registered_with_its_signature(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.idclassify_contract([*], strict=False, include_assumed=True)*"])


def test_precedence_is_command_line_then_environment_then_ini_then_default() -> None:
    ini = {"profile": "explore", "call-budget": "40", "seed": "7"}
    env = {"IDCLASSIFY_CALL_BUDGET": "30", "IDCLASSIFY_SEED": "8"}
    config = resolve({"seed": "9"}, ini, env)
    assert (config.profile, config.call_budget, config.seed) == ("explore", 30, 9)
    assert resolve({}, {}, {}).call_budget == 500
    assert resolve({}, {}, {"IDCLASSIFY_BASE_URL": "http://127.0.0.1:1"}).target == "live"


def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile("def test_x(idclassify_config): pass")
    result = pytester.runpytest("--idclassify-call-budget=lots")
    result.stderr.fnmatch_lines(["*argument --idclassify-call-budget: invalid int value: 'lots'*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # From the environment, the message names the variable.
    monkeypatch.setenv("IDCLASSIFY_SAMPLE", "a few")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(["*IDCLASSIFY_SAMPLE='a few' is not a whole number*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_marker_arguments_are_checked_at_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.idclassify_contract(stric=True)
        def test_x():
            pass
        """
    )
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(
        ["ERROR: @pytest.mark.idclassify_contract got *stric*; it accepts strict= and include_assumed="]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_marked_test_passes_against_the_emulator_and_fails_on_a_broken_answer(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import base64
        import pytest
        from pytest_idclassify.images import ImageRecipe

        SPECIMEN = ImageRecipe(format="jpeg", width=640, height=400, content="specimen", doc_type="passport")

        @pytest.mark.idclassify_contract
        def test_good(idclassify_client):
            outcome = idclassify_client.classify(data=SPECIMEN.to_base64(), alarm=True)
            assert outcome.status == 200

        @pytest.mark.idclassify_contract
        def test_unchecked_error_is_still_conforming(idclassify_client):
            outcome = idclassify_client.classify(data="data:image/jpeg;base64," + SPECIMEN.to_base64())
            assert outcome.error_code == "AIS.0102"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


@pytest.fixture
def broken_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A live-looking service that accepts every image, whatever its size: side-min cases must fail."""

    async def classify(request: Request) -> JSONResponse:
        return JSONResponse(
            {"result": {"type": "passport", "location": [[0, 0], [9, 0], [9, 9], [0, 9]], "confidence": 0.5}},
            headers={"X-Request-Id": "r-1"},
        )

    app = Starlette(routes=[Route("/v2/{project_id}/ocr/auto-id-doc-classification", classify, methods=["POST"])])
    monkeypatch.setenv("IDCLASSIFY_TOKEN", "fake-token-for-a-loopback-service")
    with serve_in_thread(app) as url:
        yield url


def test_a_failing_run_prints_the_clause_summary_and_writes_the_json_report(
    pytester: pytest.Pytester, broken_service: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    result = pytester.runpytest(
        "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "request.image.side-min",
        f"--idclassify-base-url={broken_service}", "--idclassify-project-id=p1", "--idclassify-auth=token",
        f"--idclassify-report-json={report}",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*= idclassify conformance =*",
        "FAIL: * failed, 0 errors, 0 cassette misses, * skipped, * passed",
        "target live http://127.0.0.1:*, profile gate, * of 500 calls used, pytest-idclassify *, catalogue *",
        "documented clauses:",
        "  request validation     0.0%    0 passed    1 failed    * skipped",
        "FAILED request.image.side-min: expected 400 AIS.0103 'The image size does not meet the requirements.', "
        "got HTTP 200 *",
    ])  # fmt: skip
    document = json.loads(report.read_text(encoding="utf-8"))
    assert set(document) == {"format", "meta", "scores", "transient", "drift", "clauses", "cases", "metrics"}
    assert document["meta"]["target"] == "live"
    side_min = next(c for c in document["clauses"] if c["id"] == "request.image.side-min")
    assert side_min["status"] == "failed" and side_min["violations"][0]["clause"] == "request.image.side-min"
    case = document["cases"][0]
    assert set(case) >= {"case", "clause", "assumed", "outcome", "calls", "exercised", "violations"}
    assert case["calls"][0]["sent"]["body"]["data"].startswith("<base64 ")
    assert "fake-token" not in report.read_text(encoding="utf-8")


def test_emulator_fixtures_in_process_and_on_a_real_port(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_in_process(idclassify_emulator):
            outcome = idclassify_emulator.client().classify(data="not base64!")
            assert (outcome.status, outcome.error_code) == (400, "AIS.0102")

        def test_on_a_port(idclassify_emulator, idclassify_emulator_url):
            assert idclassify_emulator_url.startswith("http://127.0.0.1:")
            answer = httpx.post(idclassify_emulator_url + "/v2/x/ocr/auto-id-doc-classification", json={})
            assert answer.status_code == 401 and answer.headers["x-request-id"]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_stub_added_by_a_test_ends_with_it_and_a_module_fixtures_stub_stays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture(scope="module")
        def no_card_for_everyone(idclassify_emulator):
            idclassify_emulator.stub("module-wide", header={"X-Case": "shared"}, answer={"error": "AIS.0105"})

        def test_a_adds_a_stub(idclassify_emulator, no_card_for_everyone):
            idclassify_emulator.stub("only-in-a", header={"X-Case": "a"}, answer={"error": "AIS.0104"})
            assert idclassify_emulator.client().classify(data="eA==", headers={"X-Case": "a"}).error_code == "AIS.0104"

        def test_b_does_not_see_it(idclassify_emulator, no_card_for_everyone):
            client = idclassify_emulator.client()
            assert client.classify(data="not base64!", headers={"X-Case": "a"}).error_code == "AIS.0102"
            assert client.classify(data="eA==", headers={"X-Case": "shared"}).error_code == "AIS.0105"
            assert [stub.name for stub in idclassify_emulator.stubs] == ["module-wide"]

        def test_c_replaces_and_clears(idclassify_emulator, no_card_for_everyone):
            idclassify_emulator.stub("module-wide", header={"X-Case": "shared"}, answer={"error": "AIS.0104"})
            idclassify_emulator.stubs.clear()

        def test_d_gets_the_module_fixtures_stub_back(idclassify_emulator, no_card_for_everyone):
            client = idclassify_emulator.client()
            assert client.classify(data="eA==", headers={"X-Case": "shared"}).error_code == "AIS.0105"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_the_fixtures_emulator_takes_its_settings_from_the_variables_or_an_overriding_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_settings="""
        def test_from_the_variables(idclassify_emulator):
            assert idclassify_emulator.settings.project_id == "a" * 32
            assert idclassify_emulator.settings.rate_limit == 60
            assert idclassify_emulator.client().classify(data="not base64!").error_code == "AIS.0102"
        """
    )
    monkeypatch.setenv("IDCLASSIFY_EMULATOR_PROJECT_ID", "a" * 32)
    monkeypatch.setenv("IDCLASSIFY_EMULATOR_RATE_LIMIT", "60")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    # A misspelt variable ends the run once, naming it, however many tests use the emulator.
    monkeypatch.setenv("IDCLASSIFY_EMULATOR_RATE_LIMT", "60")
    pytester.makepyfile(test_more="def test_one(idclassify_emulator): pass\ndef test_two(idclassify_emulator): pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert output.count("IDCLASSIFY_EMULATOR_RATE_LIMT is not an emulator setting") == 1, output


@pytest.mark.parametrize("overridden", ["idclassify_emulator_settings", "idclassify_emulator"])
def test_a_projects_own_emulator_fixture_keeps_each_tests_stubs_to_itself(
    pytester: pytest.Pytester, overridden: str
) -> None:
    made = {"idclassify_emulator_settings": "return EmulatorSettings(rate_limit=60, rate_burst=1)",
            "idclassify_emulator": "yield EmulatorHandle(EmulatorSettings(rate_limit=60, rate_burst=1))"}  # fmt: skip
    pytester.makeconftest(
        f"""
        import pytest
        from pytest_idclassify.emulator import EmulatorSettings
        from pytest_idclassify.suite._emulator_handle import EmulatorHandle

        @pytest.fixture(scope="session")
        def {overridden}():
            {made[overridden]}
        """
    )
    pytester.makepyfile(
        """
        def test_a_stubs_no_card(idclassify_emulator):
            assert idclassify_emulator.settings.rate_limit == 60
            idclassify_emulator.stub("nocard", header={"X-Case": "a"}, answer={"error": "AIS.0105"})
            assert idclassify_emulator.client().classify(data="eA==", headers={"X-Case": "a"}).error_code == "AIS.0105"

        def test_b_sees_no_stub(idclassify_emulator):
            assert [stub.name for stub in idclassify_emulator.stubs] == []
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=2)


def test_a_live_run_stops_cleanly_at_its_call_budget(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_idclassify.emulator import EmulatorSettings, create_app

    settings = EmulatorSettings()
    calls: list[str] = []
    app = create_app(settings)

    async def counting(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "http":
            calls.append(str(scope["path"]))
        await app(scope, receive, send)  # type: ignore[arg-type]

    monkeypatch.setenv("IDCLASSIFY_TOKEN", settings.tokens[0])
    with serve_in_thread(counting) as url:
        result = pytester.runpytest(
            "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "request.image.side",
            f"--idclassify-base-url={url}", f"--idclassify-project-id={settings.project_id}",
            "--idclassify-auth=token", "--idclassify-call-budget=5", "-rs",
        )  # fmt: skip
    outcomes = result.parseoutcomes()
    # The pre-flight probe is one of the five calls.
    assert outcomes["passed"] == 4 and outcomes["skipped"] >= 5
    assert len(calls) == 5
    result.stdout.fnmatch_lines(["*the call budget is spent (5 of 5 calls used)*"])


def test_an_applications_emulator_tests_neither_probe_nor_stop_on_the_clients_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client reads IDCLASSIFY_REGION / IDCLASSIFY_BASE_URL too: an application configured for
    # production runs its own tests, which use only the emulator fixtures, with them set.
    received: list[str] = []

    async def anything(request: Request) -> JSONResponse:
        received.append(f"{request.method} {request.url.path}")
        return JSONResponse({"error_code": "APIG.0101", "error_msg": "x"}, status_code=404)

    refused = "    assert idclassify_emulator.client().classify(data='x').status == 400\n"
    pytester.makepyfile(test_app="def test_x(idclassify_emulator):\n" + refused)
    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    with serve_in_thread(app) as url:
        project = {"IDCLASSIFY_PROJECT_ID": "0123456789abcdef0123456789abcdef", "IDCLASSIFY_TOKEN": "t"}
        for env in ({"IDCLASSIFY_REGION": "cn-north-4"}, {"IDCLASSIFY_BASE_URL": "http://127.0.0.1:1", **project},
                    {"IDCLASSIFY_BASE_URL": url, **project}):  # fmt: skip
            with monkeypatch.context() as patched:
                for name, value in env.items():
                    patched.setenv(name, value)
                result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
            assert result.ret == pytest.ExitCode.OK, (env, result.outlines + result.errlines)
    assert received == [], "an application's run sent the pre-flight probe to the service its variables name"

    # A test on the suite's target does need the settings: their mistake is one usage error.
    pytester.makepyfile(test_suite="def test_y(idclassify_client): pass\ndef test_z(idclassify_client): pass\n")
    monkeypatch.setenv("IDCLASSIFY_REGION", "cn-north-4")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert output.count("IDCLASSIFY_REGION=cn-north-4 is set but no base URL") == 1, output


def test_loading_the_plugin_and_resolving_its_settings_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, pytest; import pytest_idclassify.plugin; from pytest_idclassify.suite._config import resolve; "
        "resolve({}, {}, {}); "
        "heavy = ('httpx', 'cv2', 'PIL', 'vcr', 'starlette', 'numpy', 'jsonschema', 'hypothesis'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_url_cases_go_through_the_upload_hook_and_the_rest_through_the_suites_own_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from starlette.staticfiles import StaticFiles

    from pytest_idclassify.emulator import EmulatorSettings, create_app

    settings = EmulatorSettings()
    public = tmp_path / "public"
    public.mkdir()
    pytester.makepyfile(
        uploads="""
        import os
        from pathlib import Path
        from urllib.parse import quote

        def upload(path, content, content_type):
            target = Path(os.environ["UPLOAD_DIR"]) / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            return os.environ["PUBLIC_BASE"] + quote(path)
        """
    )
    pytester.syspathinsert()
    monkeypatch.setenv("IDCLASSIFY_TOKEN", settings.tokens[0])
    monkeypatch.setenv("UPLOAD_DIR", str(public))
    with serve_in_thread(StaticFiles(directory=public)) as files, serve_in_thread(create_app(settings)) as api:
        monkeypatch.setenv("PUBLIC_BASE", files)
        result = pytester.runpytest(
            "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", "-k", "request.url", "-rs",
            f"--idclassify-base-url={api}", f"--idclassify-project-id={settings.project_id}",
            f"--idclassify-public-base-url={files}", "--idclassify-upload-hook=uploads:upload",
        )  # fmt: skip
    outcomes = result.parseoutcomes()
    # The hook stands for the well-behaved URLs; the target is on loopback, so the suite serves the rest.
    assert result.ret == pytest.ExitCode.OK and outcomes["passed"] >= 10 and "skipped" not in outcomes
    assert any(public.rglob("*.*")), "the hook received no image"


@pytest.mark.parametrize(
    ("body", "said"),
    [("raise RuntimeError('bucket quota exceeded')", "raised RuntimeError on /"),
     ("return None", "returned None for /")],
)  # fmt: skip
@pytest.mark.parametrize("profile", ["gate", "explore"])
def test_a_failing_upload_hook_stops_the_run_once_and_counts_nothing_against_the_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, body: str, said: str, profile: str
) -> None:
    from pytest_idclassify.emulator import EmulatorSettings, create_app

    settings = EmulatorSettings()
    pytester.makepyfile(broken_uploads=f"def upload(path, content, content_type):\n    {body}\n")
    pytester.syspathinsert()
    monkeypatch.setenv("IDCLASSIFY_TOKEN", settings.tokens[0])
    selected = (
        ["-k", "test_explore and valid", "--idclassify-seed=1"] if profile == "explore" else ["-k", "request.url"]
    )
    with serve_in_thread(create_app(settings)) as api:
        result = pytester.runpytest(
            "--pyargs", "pytest_idclassify.contract", "-p", "no:cacheprovider", *selected,
            f"--idclassify-base-url={api}", f"--idclassify-project-id={settings.project_id}",
            "--idclassify-public-base-url=https://images.example.test", "--idclassify-report-json=r.json",
            "--idclassify-upload-hook=broken_uploads:upload", f"--idclassify-profile={profile}",
        )  # fmt: skip
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.INTERRUPTED, output
    assert output.count(f"STOPPED: --idclassify-upload-hook: the upload hook 'broken_uploads:upload' {said}") == 1
    if profile == "explore":  # an exploration records failing examples only: there is none, and no report
        assert "FAILED" not in output and not (pytester.path / "r.json").exists(), output
        return
    report = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))
    # The hook's failure is no verdict on the server: the cases before it stand, and none of the report failed.
    outcomes = [case["outcome"] for case in report["cases"]]
    assert outcomes and "failed" not in outcomes, outcomes
