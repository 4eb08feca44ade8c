"""``idclassify schemas``: write or check the generated schemas and clause reference."""

from __future__ import annotations

from pathlib import Path

import click

from pytest_idclassify._paths import checkout_root
from pytest_idclassify.errors import IdClassifyError


def _root(root: Path | None) -> Path:
    found = root or checkout_root()
    if found is None:
        raise click.UsageError(
            "generated files live in a source checkout of pytest-idclassify; run this from one or pass --root DIR"
        )
    return found


_ROOT = click.option("--root", type=click.Path(file_okay=False, path_type=Path), help="The checkout's root folder.")


@click.group()
def schemas() -> None:
    """Generate (build) or verify (check) the JSON Schemas, OpenAPI document, references and pinned sample."""


@schemas.command()
@_ROOT
def build(root: Path | None) -> None:
    """Write schemas/*.schema.json, schemas/openapi.json, docs/reference/*.md and the gate's pinned sample."""
    from pytest_idclassify._schemagen import write_generated

    base = _root(root)
    try:
        changed = write_generated(base)
    except IdClassifyError as exc:
        raise click.ClickException(str(exc)) from None
    for path in changed:
        click.echo(f"wrote {path.relative_to(base)}")
    click.echo(f"{len(changed)} file(s) changed" if changed else "all generated files are up to date")


@schemas.command()
@_ROOT
def check(root: Path | None) -> None:
    """Exit 1 with a diff when a committed generated file is missing or stale."""
    from pytest_idclassify._schemagen import stale_files

    base = _root(root)
    try:
        stale = stale_files(base)
    except IdClassifyError as exc:
        raise click.ClickException(str(exc)) from None
    if not stale:
        click.echo("generated files are up to date")
        return
    for diff in stale.values():
        click.echo(diff, nl=False)
    click.echo(
        f"\n{len(stale)} generated file(s) are stale: run `idclassify schemas build` and commit the result", err=True
    )
    raise SystemExit(1)
