"""The suite's options as click options, in ``idclassify``'s words, for each command that runs cases.

``verify`` takes them all and ``calibrate`` a few; both spell them, type them and describe them the
same way (``--call-budget`` is a whole number on both), from the one table in ``_options``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

from pytest_idclassify._options import VERIFY, Option


def _click_option(option: Option) -> Callable[[Any], Any]:
    flag = VERIFY.flag(option)
    text = VERIFY.words(option.help) + f" [env {option.env}]"
    if option.flag:
        return click.option(flag, option.dest, is_flag=True, default=None, help=text)
    kind: Any = click.Choice(option.choices) if option.choices else (option.number or str)
    shown = f" [default: {option.default}]" if option.default else ""
    return click.option(flag, option.dest, type=kind, default=None, help=text + shown)


def suite_options(options: Iterable[Option]) -> Callable[[Any], Any]:
    """A decorator adding ``options`` to a click command, in their table order."""
    decorators = [_click_option(option) for option in options]

    def decorate(function: Any) -> Any:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


def given(options: Iterable[Option], values: dict[str, Any]) -> dict[str, object]:
    """The options the user passed, by name, as the pre-flight takes them (``None`` and ``False`` left out)."""
    # ``is`` rather than ``in``: a numeric 0 (``--call-budget 0``) equals False.
    return {o.name: values[o.dest] for o in options if values.get(o.dest) is not None and values[o.dest] is not False}
