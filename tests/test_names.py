"""One name per setting: the code, the variables page, `verify --help` and the option table agree."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

import pytest_idclassify
from pytest_idclassify._options import OPTIONS, VERIFY
from pytest_idclassify.cli import main
from pytest_idclassify.cli._verify import verify
from pytest_idclassify.suite._preflight import RENAMED_VARIABLES, known_variables

PACKAGE = Path(pytest_idclassify.__file__).parent
DOC = Path(__file__).parent.parent / "docs" / "reference" / "environment-variables.md"
NAME = re.compile(r"\b(?:IDCLASSIFY|CLOUD_SDK)_[A-Z0-9_]*[A-Z0-9]\b")
#: per-setting emulator variables are built from their field names; the page documents the prefix.
EMULATOR_PREFIX = "IDCLASSIFY_EMULATOR_"


def _read_by_the_code() -> set[str]:
    names = {o.env for o in OPTIONS} | set(known_variables())
    for source in PACKAGE.rglob("*.py"):
        names |= set(NAME.findall(source.read_text(encoding="utf-8")))
    return {n for n in names if n not in RENAMED_VARIABLES}


def _documented() -> set[str]:
    return set(NAME.findall(DOC.read_text(encoding="utf-8")))


def test_every_variable_the_code_reads_is_documented() -> None:
    missing = sorted(_read_by_the_code() - _documented())
    assert not missing, f"read by the code but not in {DOC.name}: {missing}"


def test_every_documented_variable_is_read_by_the_code() -> None:
    documented = _documented() - set(RENAMED_VARIABLES)
    unread = sorted(n for n in documented - _read_by_the_code() if not n.startswith(EMULATOR_PREFIX))
    assert not unread, f"documented in {DOC.name} but read nowhere: {unread}"


def test_no_documented_variable_is_called_unread_by_the_run() -> None:
    # The run notes an IDCLASSIFY_* variable it does not know; every documented one must be known.
    documented = _documented() - set(RENAMED_VARIABLES)
    unknown = sorted(n for n in documented - known_variables() if not n.startswith(EMULATOR_PREFIX))
    assert not unknown, f"documented in {DOC.name} but noted as unread by the pre-flight: {unknown}"


def test_the_scan_finds_what_it_should() -> None:
    # Guards the two tests above against a pattern that matches nothing.
    read = _read_by_the_code()
    assert {"IDCLASSIFY_BASE_URL", "IDCLASSIFY_EXPIRED_TOKEN", "CLOUD_SDK_AK", "IDCLASSIFY_CALL_BUDGET"} <= read
    assert "IDCLASSIFY_ENDPOINT" not in read


def test_verify_help_speaks_its_own_flags() -> None:
    result = CliRunner().invoke(main, ["verify", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "--idclassify-" not in result.output
    for option in OPTIONS:
        assert VERIFY.flag(option) in result.output and option.env in result.output


def test_every_option_has_its_verify_flag_and_numbers_are_numbers() -> None:
    params = {p.name: p for p in verify.params if isinstance(p, click.Option)}
    for option in OPTIONS:
        param = params[option.dest]
        assert VERIFY.flag(option) in param.opts
        if option.number is int:
            assert isinstance(param.type, click.types.IntParamType), option.name
        elif option.number is float:
            assert isinstance(param.type, click.types.FloatParamType), option.name
