"""``idclassify verify``: run the contract suite against a target and score it.

With no target it verifies the embedded reference emulator.  It exits 0 when every clause in scope
passes, 1 when one fails, and 2 or more for usage or internal errors (pytest's own codes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from pytest_idclassify._options import BY_NAME, OPTIONS
from pytest_idclassify.cli._suite_options import given, suite_options


def _workers(value: str | None) -> str | None:
    """``-n``'s value checked here, so a typo is refused in verify's words, not pytest.main()'s."""
    if value is None or value in ("auto", "logical") or (value.isascii() and value.isdigit()):
        return value  # what pytest-xdist takes: 0 runs without workers, as when debugging
    raise click.BadParameter(f"{value!r} is neither a number of workers nor 'auto' or 'logical'", param_hint="'-n'")


@click.command(context_settings={"max_content_width": 110})
@suite_options(OPTIONS)
@click.option("-n", "--workers", "workers", default=None, callback=lambda ctx, param, value: _workers(value),
              help="run with pytest-xdist on N workers (or 'auto')")  # fmt: skip
@click.option("-k", "keyword", default=None, help="only clauses whose id matches this pytest -k expression")
@click.option("-v", "--verbose", "verbose", count=True, help="list every case as it runs")
def verify(workers: str | None, keyword: str | None, verbose: int, **values: Any) -> None:
    """Run the contract suite and print a score per category; with no target, verify the embedded emulator.

    Examples: `idclassify verify` (the reference emulator, in-process);
    `idclassify verify --base-url http://127.0.0.1:8080` (your emulator or the live service; credentials
    come from the environment: IDCLASSIFY_TOKEN, or CLOUD_SDK_AK and CLOUD_SDK_SK).
    """
    from pytest_idclassify._heap import held_off

    with held_off():  # until the session starts: see pytest_idclassify._heap
        import pytest

        code = int(pytest.main(_pytest_args(workers, keyword, verbose, values)))
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise click.ClickException("no contract case was selected: check -k and --assumed")
    raise SystemExit(code)


def _pytest_args(workers: str | None, keyword: str | None, verbose: int, values: dict[str, Any]) -> list[str]:
    """The command line of the pytest run that ``verify`` stands for."""
    contract = Path(__file__).parent.parent / "contract"
    # The suite by its folder, not --pyargs: given a module name, pytest would also load the
    # conftest.py of the working directory's tests/ (the user's project), which is no part of this run.
    args = [str(contract), "--confcutdir", str(contract), "-c", str(contract / "pytest.ini"),
            "--rootdir", str(Path.cwd()), "-r", "fEs", "--idclassify-interface=verify",
            # The contract tests assert nothing themselves (violations are their verdicts), and rewriting
            # the assertions of every module of the package on import costs a fraction of a second a process.
            "--assert=plain",
            # The contract suite uses neither schemathesis's pytest plugin, whose import costs a second per
            # process, nor anyio's, which imports trio wherever trio is installed.
            "-p", "no:schemathesis", "-p", "no:anyio"]  # fmt: skip
    if (values.get("idclassify_profile") or os.environ.get("IDCLASSIFY_PROFILE")) != "explore":
        # Only an exploration draws with Hypothesis; its plugin would import it at the end of every run.
        args += ["-p", "no:hypothesispytest"]
    for name, value in given(OPTIONS, values).items():
        cli = BY_NAME[name].cli
        args.append(cli if value is True else f"{cli}={value}")
    if workers:
        try:
            import xdist  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise click.UsageError("-n needs pytest-xdist: pip install pytest-xdist") from None
        args += ["-n", workers]
    if keyword:
        args += ["-k", keyword]
    return args + (["-v"] * verbose or ["-q"])
