"""The pytest plugin: wires pytest's options, fixtures and markers to code that lives elsewhere.

Loading it costs almost nothing: the emulator, the client, Pillow and vcrpy are imported inside
the fixtures and hooks that need them.  Its state lives in ``config.stash``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_idclassify._options import INTERFACES, OPTIONS

if TYPE_CHECKING:
    from pytest_idclassify.suite._config import SuiteConfig
    from pytest_idclassify.suite._contract_client import ContractClient
    from pytest_idclassify.suite._preflight import Preflight
    from pytest_idclassify.suite._target import Target

GROUP = "idclassify"
MARKER = "idclassify_contract"
MARKER_HELP = (
    "idclassify_contract(*, strict=False, include_assumed=True): check every call made through the "
    "idclassify_client fixture against the contract and fail the test on any violation"
)

preflight_key = pytest.StashKey["Preflight"]()
records_key = pytest.StashKey[list[dict[str, Any]]]()
#: why the run was ended early (a target that stopped answering), to repeat in the summary.
stopped_key = pytest.StashKey[str]()
metrics_key = pytest.StashKey[dict[str, Any]]()
#: attempts of an exploration's examples that left no record, summed over the run (workers included).
unrecorded_key = pytest.StashKey[int]()
rendering_key = pytest.StashKey[dict[str, set[str]]]()
#: when the session started (``time.monotonic()``), for the report's duration.
started_key = pytest.StashKey[float]()
#: the user property under which the metrics test hands over its figures.
METRICS_PROPERTY = "idclassify-metrics"
#: the name under which the record collector (and progress display) is registered.
RECORDS_PLUGIN = "idclassify-records"
#: the hidden flag by which ``idclassify verify`` asks messages to speak its own flags.
INTERFACE_FLAG = "--idclassify-interface"
#: what the controller tells pytest-xdist workers: the calls its pre-flight probe spent.
_WORKER_CALLS_SPENT = "idclassify_calls_spent"
#: what a pytest-xdist worker tells the controller: why it ended the run.
_WORKER_STOPPED = "idclassify_stopped"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register every ``--idclassify-*`` option in one group, each with its ini mirror."""
    group = parser.getgroup(GROUP, "contract testing of the Auto ID Document Classification API")
    for option in OPTIONS:
        extra = f" [env {option.env}; ini {option.ini}]"
        if option.flag:
            group.addoption(option.cli, action="store_true", default=False, dest=option.dest, help=option.help + extra)
            parser.addini(option.ini, option.help, type="bool", default=False)
        else:
            shown = f" (default: {option.default})" if option.default else ""
            metavar = option.name.upper().replace("-", "_")
            group.addoption(option.cli, action="store", default=None, dest=option.dest, choices=option.choices,
                            type=option.number, metavar=metavar, help=option.help + shown + extra)  # fmt: skip
            parser.addini(option.ini, option.help, default=None)
    group.addoption(INTERFACE_FLAG, default="pytest", choices=sorted(INTERFACES), dest="idclassify_interface",
                    help=argparse.SUPPRESS)  # fmt: skip


class MarkerOptions:
    """The ``idclassify_contract`` marker's arguments, checked when the test is collected."""

    def __init__(self, *, strict: bool = False, include_assumed: bool = True) -> None:
        self.strict = strict
        self.include_assumed = include_assumed

    @classmethod
    def from_marker(cls, mark: pytest.Mark) -> MarkerOptions:
        """Parse a marker, raising :class:`pytest.UsageError` with the accepted form on bad arguments."""
        if mark.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only; got {mark.args!r}")
        try:
            return cls(**mark.kwargs)
        except TypeError:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} got {sorted(mark.kwargs)}; it accepts strict= and include_assumed="
            ) from None


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; for a contract run, pass through the front door: settings resolved, target probed."""
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[records_key] = []
    config.stash[started_key] = time.monotonic()
    config.pluginmanager.register(_RecordCollector(config), RECORDS_PLUGIN)
    _check_ini_keys(config)
    if _asks_for_the_suite(config):
        # Now, so that a mistake is one usage error before collection rather than an error per test.
        _preflight(config)


#: the fixtures that send to (or describe) the suite's target: a test using one needs the pre-flight.
SUITE_FIXTURES = frozenset({"idclassify_config", "idclassify_target", "idclassify_client", "idclassify_case",
                            "idclassify_validator", "idclassify_hypothesis_settings"})  # fmt: skip


def _asks_for_the_suite(config: pytest.Config) -> bool:
    """Whether the run is about the contract suite from its command line or ini file, before collection.

    ``idclassify verify``, an ``--idclassify-*`` flag or ``idclassify_*`` ini key, or the contract
    package among the arguments.  ``IDCLASSIFY_*`` variables alone do not make a contract run: the
    client reads the same ones, and an application's own tests (which may use only the emulator
    fixtures) must neither probe the service those variables name nor stop on them.  Any other run
    passes the front door after collection, if a collected test uses a :data:`SUITE_FIXTURES` fixture.
    """
    if (config.getoption("idclassify_interface") or "pytest") != "pytest":
        return True
    if any(config.getoption(o.dest) not in (None, False) or _ini(config, o.ini, o.flag) for o in OPTIONS):
        return True
    contract = Path(__file__).parent / "contract"
    for arg in config.args:
        named = arg.split("::", 1)[0]
        if named == "pytest_idclassify" or named.startswith("pytest_idclassify.contract"):
            return True
        with contextlib.suppress(OSError):
            path = (config.invocation_params.dir / named).resolve()
            if path == contract or contract in path.parents:
                return True
    return False


def _check_ini_keys(config: pytest.Config) -> None:
    """Refuse an ``idclassify_*`` ini key that is no option: pytest only warns, and the run goes on without it.

    Not for ``--help`` or ``--version``: they are how a user finds the right key.
    """
    if config.option.help or getattr(config.option, "version", False):
        return
    # pytest has no public list of the ini keys it did not know; without this one, only its warning remains.
    unknown: set[str] = getattr(config, "_get_unknown_ini_keys", set)()
    for key in sorted(unknown):
        if key.startswith("idclassify_"):
            import difflib  # here: every pytest run passes this check, and only a mistake needs it

            close = difflib.get_close_matches(key, sorted(o.ini for o in OPTIONS), n=1, cutoff=0.75)
            hint = f"did you mean {close[0]}?" if close else "see docs/reference/options.md for the keys"
            raise pytest.UsageError(f"{key} {_ini_source(config, key)} is not an option of pytest-idclassify: {hint}")


def _ini_source(config: pytest.Config, key: str) -> str:
    """Where an ini key's value was given, in the user's words: ``given with -o`` or ``in <ini file>``."""
    overrides: list[str] = getattr(config.option, "override_ini", None) or []
    if any(item.split("=", 1)[0].strip() == key for item in overrides):
        return "given with -o"
    return f"in {config.inipath.name}" if config.inipath else "in the ini file"


def _preflight(config: pytest.Config) -> Preflight:
    if preflight_key not in config.stash:
        from pytest_idclassify.suite._preflight import PreflightError, preflight

        cli = {o.name: config.getoption(o.dest) for o in OPTIONS}
        ini = {o.name: _ini(config, o.ini, o.flag) for o in OPTIONS}
        interface = INTERFACES[config.getoption("idclassify_interface") or "pytest"]
        worker = getattr(config, "workerinput", None)
        # Only a run that will send cases probes: not --help, --collect-only, nor an xdist worker.
        probe = worker is None and not (config.option.help or config.option.collectonly)
        try:
            result = preflight(cli, ini, os.environ, interface=interface, probe=probe)
        except PreflightError as exc:
            raise pytest.UsageError(str(exc)) from None
        if worker is not None:
            spent = int(worker.get(_WORKER_CALLS_SPENT, 0))
            resolved = dataclasses.replace(result.config, workers=int(worker.get("workercount", 1)), calls_spent=spent)
            result = dataclasses.replace(result, config=resolved)
        if result.config.redact_names_file is not None:
            from pytest_idclassify.redaction import use_names_file

            use_names_file(result.config.redact_names_file, result.config.origin("redact-names-file"))
        config.stash[preflight_key] = result
    return config.stash[preflight_key]


def _suite_config(config: pytest.Config) -> SuiteConfig:
    return _preflight(config).config


def stop_run(config: pytest.Config, message: str) -> None:
    """End the whole run now with ``message`` (one line naming what to check), also under pytest-xdist."""
    config.stash[stopped_key] = message
    output = getattr(config, "workeroutput", None)
    if output is not None:
        output[_WORKER_STOPPED] = message  # xdist reports a worker's exit as an interrupt, without its words
    pytest.exit(message, returncode=pytest.ExitCode.INTERRUPTED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Keep the reason a pytest-xdist worker ended the run, for the summary."""
    message = getattr(node, "workeroutput", {}).get(_WORKER_STOPPED)
    if message:
        node.config.stash[stopped_key] = message


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each pytest-xdist worker how many calls the controller's probe spent (they share the budget)."""
    node.workerinput[_WORKER_CALLS_SPENT] = _preflight(node.config).config.calls_spent


def _ini(config: pytest.Config, key: str, flag: bool) -> str | None:
    try:
        value = config.getini(key)
    # pytest's own words name neither the key nor the file ("invalid truth value 'maybe'"); pytest 9 raises them as a
    # UsageError, earlier releases as a ValueError.
    except (ValueError, pytest.UsageError) as exc:
        where = _ini_source(config, key)
        raise pytest.UsageError(f"{key} {where} is not a boolean ({exc}); use true or false") from None
    if flag:
        return "true" if value else None
    return str(value) if value else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check marker arguments at collection, so a typo fails before anything is sent.

    A run that did not ask for the suite up front passes its front door here, once, if a test uses
    the suite's target: a settings mistake is one usage error, not an error per test.
    """
    for item in items:
        mark = item.get_closest_marker(MARKER)
        if mark is not None:
            MarkerOptions.from_marker(mark)
    if preflight_key not in config.stash and any(SUITE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
                                                 for item in items):  # fmt: skip
        _preflight(config)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """In a verify process, keep the objects of its start-up out of the garbage collector's walks."""
    _settle_heap(session.config)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """In a verify process, keep the collected cases out of the garbage collector's walks."""
    _settle_heap(session.config)


def _settle_heap(config: pytest.Config) -> None:
    if config.getoption("idclassify_interface") == "verify":
        from pytest_idclassify._heap import settle

        settle()


@pytest.fixture(scope="session")
def idclassify_config(pytestconfig: pytest.Config) -> SuiteConfig:
    """The suite's resolved settings (command line > IDCLASSIFY_* env > ini > default); override to change them."""
    return _suite_config(pytestconfig)


@pytest.fixture(scope="session")
def idclassify_target(idclassify_config: SuiteConfig, pytestconfig: pytest.Config) -> Iterator[Target]:
    """Where contract cases go: the in-process emulator, a live service, or cassettes."""
    from pytest_idclassify.suite._target import open_target

    front = _preflight(pytestconfig)
    # An overridden idclassify_config brings its own settings; the pre-flight's client is for the resolved ones.
    client = front.client if idclassify_config is front.config else None
    with open_target(idclassify_config, client=client) as target:
        yield target


@pytest.fixture
def idclassify_client(idclassify_target: Target, request: pytest.FixtureRequest) -> Iterator[ContractClient]:
    """A client on the configured target; under @pytest.mark.idclassify_contract every answer is checked."""
    from pytest_idclassify.suite._contract_client import ContractClient

    client = ContractClient(idclassify_target)
    request.node.stash[_client_key] = client
    yield client


@pytest.fixture(scope="session")
def idclassify_emulator_settings() -> Any:
    """The settings of ``idclassify_emulator``: read as ``idclassify serve`` reads them; override to set them in code.

    ``IDCLASSIFY_EMULATOR_*`` variables and the file ``IDCLASSIFY_EMULATOR_CONFIG`` names, else the
    defaults.  A project that wants throttling, faults, stubs from a file or another project id in
    its tests overrides this fixture (``return EmulatorSettings(rate_limit=60)``) and keeps the
    fixture's per-test stub restoring.  A mistake in the variables or the file ends the run once.
    """
    from pytest_idclassify.emulator import EmulatorSettings
    from pytest_idclassify.errors import IdClassifyError

    try:
        return EmulatorSettings.load(config_file=os.environ.get("IDCLASSIFY_EMULATOR_CONFIG") or None,
                                     environ=os.environ)  # fmt: skip
    except (IdClassifyError, OSError, ValueError) as exc:
        pytest.exit(f"idclassify_emulator_settings: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def idclassify_emulator(idclassify_emulator_settings: Any) -> Iterator[Any]:
    """The reference emulator: ``.app`` for in-process use, ``.client()``, and ``.serve()`` for a real port.

    One emulator serves the whole session, with ``idclassify_emulator_settings``; its stubs are put
    back as they were when each test ends (what the test added goes, what it replaced or removed
    returns), so one test's stubs never answer another's requests and a wider-scoped fixture's stubs
    stay.  Its journal is the session's: ``idclassify_emulator.requests.clear()`` starts a test afresh.
    """
    from pytest_idclassify.suite._emulator_handle import EmulatorHandle

    handle = EmulatorHandle(idclassify_emulator_settings)
    yield handle
    handle.close()


@pytest.fixture(autouse=True)
def _idclassify_test_stubs() -> Iterator[None]:
    # Every live handle, the plugin's or one a project's own fixture made: fixtures of wider scope
    # are set up before this one, so their stubs are in the snapshot and kept.
    module = sys.modules.get("pytest_idclassify.suite._emulator_handle")
    registered: list[Any] = module.live_handles() if module is not None else []
    kept = [(handle, handle.stubs.snapshot()) for handle in registered]
    yield
    # Exactly as before the test: what it added goes, what it replaced or removed comes back.
    for handle, stubs in kept:
        handle.stubs.restore(stubs)


@pytest.fixture
def idclassify_emulator_url(idclassify_emulator: Any) -> Iterator[str]:
    """The reference emulator on a real 127.0.0.1 port, for code that needs a URL (the official SDK...)."""
    with idclassify_emulator.serve() as url:
        yield url


@pytest.fixture(scope="session")
def idclassify_validator(idclassify_config: SuiteConfig) -> Any:
    """``validate_response`` with the run's strictness and assumed-clause settings applied."""
    import functools

    from pytest_idclassify.validation import validate_response

    return functools.partial(validate_response, strict=idclassify_config.strict,
                             include_assumed=idclassify_config.assumed != "exclude")  # fmt: skip


@pytest.fixture(scope="session")
def idclassify_hypothesis_settings(idclassify_config: SuiteConfig) -> Any:
    """Hypothesis settings of the profile: gate is small and derandomised, explore large with a database."""
    from pytest_idclassify.suite._profiles import hypothesis_settings

    return hypothesis_settings(idclassify_config)


_client_key = pytest.StashKey["ContractClient"]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a marked test, fail it with every contract violation of the calls it made."""
    result = yield
    mark = item.get_closest_marker(MARKER)
    client = item.stash.get(_client_key, None)
    if mark is not None and client is not None:
        options = MarkerOptions.from_marker(mark)
        client.assert_conforms(strict=options.strict, include_assumed=options.include_assumed)
    return result


class _RecordCollector:
    """Collects contract records from test reports (this process's, or under xdist the workers').

    In the process that prints (not an xdist worker) it also shows the run's progress: cases done,
    failures so far and calls used, in place of pytest's dots for contract cases.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.progress: Any = None
        self.deselected: set[str] = set()

    @staticmethod
    def _is_case_report(report: pytest.TestReport) -> bool:
        from pytest_idclassify.report._model import PROPERTY

        phase = report.when == "call" or (report.when == "setup" and report.skipped)
        return phase and any(name == PROPERTY for name, _ in report.user_properties)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Start the progress display when this process prints to a terminal reporter, at normal verbosity."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or hasattr(self.config, "workerinput") or self.config.get_verbosity() > 0:
            return
        if preflight_key not in self.config.stash:
            return  # not a contract run from the start: an application's tests have no cases to count
        from pytest_idclassify.report._progress import Progress

        suite = _suite_config(self.config)
        live = bool(getattr(reporter, "isatty", False))
        write = (lambda line: reporter.rewrite(line, erase=True)) if live else reporter.write_line
        budget = suite.call_budget if suite.target == "live" else None
        self.progress = Progress(write, live=live, budget=budget, calls_spent=suite.calls_spent)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Know how many contract cases the run holds, for "57/147 cases"."""
        if self.progress is not None:
            self.progress.total = sum(
                1 for item in session.items if "idclassify_case" in getattr(item, "fixturenames", ())
            )

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under pytest-xdist the controller learns the cases from the first worker's collection."""
        if self.progress is not None and self.progress.total is None:
            self.progress.total = sum(1 for node_id in ids if "::test_clause[" in node_id)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """Remember the clauses of deselected cases, so the summary says why they were not exercised."""
        for item in items:
            callspec = getattr(item, "callspec", None)
            case = callspec.params.get("idclassify_case") if callspec is not None else None
            if case is not None:
                self.deselected.add(case.clause)

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        """No dot per contract case while the progress line says more."""
        if self.progress is not None and self._is_case_report(report):
            return report.outcome, "", report.outcome.upper()
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the records and metrics a contract test left in its user properties."""
        from pytest_idclassify.report._model import PROPERTY, RENDERING_PROPERTY, UNRECORDED_CALLS_PROPERTY

        for name, value in report.user_properties:
            # Left at teardown, when the cassette closes; merged, so a report seen twice counts once.
            if name == RENDERING_PROPERTY and isinstance(value, dict):
                for change, recipes in value.items():
                    self.config.stash.setdefault(rendering_key, {}).setdefault(change, set()).update(recipes)
        if not (report.when == "call" or (report.when == "setup" and report.skipped)):
            return
        for name, value in report.user_properties:
            if name == PROPERTY and isinstance(value, dict):
                self.config.stash[records_key].append(value)
                if self.progress is not None:
                    self.progress.add(value, failed=report.failed)
            elif name == METRICS_PROPERTY and isinstance(value, dict):
                self.config.stash[metrics_key] = value
            elif name == UNRECORDED_CALLS_PROPERTY and isinstance(value, int):
                self.config.stash[unrecorded_key] = self.config.stash.get(unrecorded_key, 0) + value


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail a run whose run-level clauses (one alarm threshold over every answer) fail and count."""
    config = session.config
    records = config.stash.get(records_key, [])
    if not records or hasattr(config, "workerinput") or session.exitstatus != pytest.ExitCode.OK:
        return
    from pytest_idclassify.catalogue import clause
    from pytest_idclassify.report import run_violations

    if any(_suite_config(config).counts(clause(v["clause"]).tier) for v in run_violations(records)):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the per-category scores and the failed clauses; write the JSON and HTML reports."""
    if hasattr(config, "workerinput"):
        return
    if preflight_key in config.stash:
        # Once, by the controller, in the summary's words: a warning would point at this source line.
        for notice in config.stash[preflight_key].notices:
            terminalreporter.write_line(f"NOTE: {notice}", yellow=True)
    records = config.stash.get(records_key, [])
    metrics = config.stash.get(metrics_key, None)
    stopped = config.stash.get(stopped_key, None)
    if records or metrics:
        _summarise(terminalreporter, exitstatus, config, records, metrics)
    if stopped:
        terminalreporter.write_line(f"STOPPED: {stopped}", red=True)


def _summarise(terminalreporter: Any, exitstatus: int, config: pytest.Config, records: list[dict[str, Any]],
               metrics: dict[str, Any] | None) -> None:  # fmt: skip
    """The scores, the failed clauses and the report files, from the run's records (and metrics)."""
    from pytest_idclassify.report import RunCounts, write_reports

    collector = config.pluginmanager.get_plugin(RECORDS_PLUGIN)
    if collector is not None and collector.progress is not None and collector.progress.done and terminalreporter.isatty:
        terminalreporter.write_line("")  # end the live progress line before the summary
    counts = RunCounts.from_stats(terminalreporter.stats, records, exitstatus)
    deselected = frozenset(collector.deselected) if collector is not None else frozenset()
    duration = time.monotonic() - config.stash[started_key]
    write_reports(records, _suite_config(config), terminalreporter, metrics=metrics, counts=counts,
                  deselected=deselected, duration=duration,
                  unrecorded_calls=config.stash.get(unrecorded_key, 0),
                  rendered_differently=config.stash.get(rendering_key, None))  # fmt: skip
