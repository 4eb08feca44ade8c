"""The ``idclassify`` command.

Subcommands live in their own modules and are imported only when invoked, so ``idclassify --help``
and the pytest plugin stay cheap to load.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

#: subcommand name -> "module:attribute" of its click command.
SUBCOMMANDS: dict[str, str] = {
    "cache": "pytest_idclassify.cli._cache:cache",
    "calibrate": "pytest_idclassify.cli._calibrate:calibrate",
    "cassettes": "pytest_idclassify.cli._cassettes:cassettes",
    "image": "pytest_idclassify.cli._image:image",
    "schemas": "pytest_idclassify.cli._schemas:schemas",
    "verify": "pytest_idclassify.cli._verify:verify",
    "serve": "pytest_idclassify.cli._serve:serve",
    "specimens": "pytest_idclassify.cli._specimens:specimens",
}


class LazyGroup(click.Group):
    """A click group that imports each subcommand's module only when that subcommand runs."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        """List eager and lazy subcommands, sorted."""
        return sorted({*super().list_commands(ctx), *self._lazy})

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve as click does, suggesting the closest subcommand for a misspelt one.

        click suggests only among the commands it holds, and this group holds none until one runs.
        """
        name, names = (args[0] if args else ""), self.list_commands(ctx)
        if name and not name.startswith("-") and not ctx.resilient_parsing and name not in names:
            import difflib  # here: only a misspelt command needs it

            close = difflib.get_close_matches(name, names, n=1)
            if close:
                ctx.fail(f"No such command {name!r}. Did you mean {close[0]!r}?")
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the subcommand, importing its module on first use."""
        if cmd_name in self._lazy:
            module_name, attr = self._lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self._lazy[cmd_name]} is not a click command")
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
@click.version_option(package_name="pytest-idclassify")
def main() -> None:
    """Contract-testing toolkit for Huawei Cloud OCR's Auto ID Document Classification API."""


def run(args: Sequence[str] | None = None) -> None:
    """The ``idclassify`` program (its console script): :data:`main` in a process that ends with it."""
    from pytest_idclassify._heap import whole_program

    whole_program()
    main(args)


def program() -> list[str]:
    """The command that starts the ``idclassify`` program in a fresh interpreter of this environment.

    It runs :func:`run`, as the console script does, without depending on where the script was installed.
    """
    return [sys.executable, "-c", "from pytest_idclassify.cli import run; run()"]
