"""``idclassify cassettes``: lint, scrub and diff recorded cassettes (each exits non-zero for CI)."""

from __future__ import annotations

from pathlib import Path

import click

from pytest_idclassify.cassettes._diff import diff_cassettes
from pytest_idclassify.cassettes._lint import MAX_INTERACTION_BYTES, cassette_files, lint_cassettes
from pytest_idclassify.cassettes._scrub import scrub_cassette
from pytest_idclassify.errors import CassetteError, ConfigurationError
from pytest_idclassify.redaction import active_rules, use_names_file


@click.group()
@click.option("--redact-names-file", type=click.Path(path_type=Path), default=None,
              help="A file of extra secret names (word, =word or prefix* per line) to redact and flag; "
                   "default: IDCLASSIFY_REDACT_NAMES_FILE.")  # fmt: skip
def cassettes(redact_names_file: Path | None) -> None:
    """Check, redact and compare recorded cassettes."""
    # Checked once, before any file is touched, in the words of the setting the user gave.
    try:
        if redact_names_file is not None:
            use_names_file(redact_names_file, "--redact-names-file")
        else:
            active_rules()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


@cassettes.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--allow-images", is_flag=True, help="Do not report long base64 runs (images kept on purpose).")
@click.option("--max-interaction-bytes", type=click.IntRange(min=1), default=MAX_INTERACTION_BYTES, show_default=True,
              help="The largest an interaction may be in the file.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Fail on warnings (undocumented fields or codes) too.")
def lint(paths: tuple[Path, ...], allow_images: bool, max_interaction_bytes: int, strict: bool) -> None:
    """Report secrets, image bytes, oversized interactions and invalid answers in cassettes (exit 1 if any)."""
    files = len(list(cassette_files(paths)))
    if not files:
        # A CI step pointed at the wrong folder must not pass for having nothing to check.
        shown = ", ".join(str(p) for p in paths)
        raise click.ClickException(f"no cassette (*.json, *.yaml, *.yml) under {shown}: point lint at the recordings")
    findings = lint_cassettes(paths, allow_images=allow_images, max_interaction_bytes=max_interaction_bytes)
    for finding in findings:
        click.echo(str(finding))
    errors = [f for f in findings if f.severity == "error" or strict]
    warnings = len(findings) - len([f for f in findings if f.severity == "error"])
    click.echo(f"{files} cassette(s): {len(findings) - warnings} error(s), {warnings} warning(s)")
    if errors:
        raise SystemExit(1)


@cassettes.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--keep-images", is_flag=True, help="Keep each image's base64 in images/<sha256>.b64 beside it.")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a cassette would change.")
def scrub(paths: tuple[Path, ...], keep_images: bool, check: bool) -> None:
    """Redact cassettes in place (plain vcrpy ones are converted), storing images by digest."""
    changed, failed = 0, []
    for path in cassette_files(paths):
        try:
            did = scrub_cassette(path, keep_images=keep_images, check=check)
        except CassetteError as exc:
            failed.append(str(exc))
            continue
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            # A hand-made file in a shape no recorder writes: named, and the batch goes on to the next file
            # (whatever it holds: stopping here would leave the files after it unscrubbed).
            failed.append(f"{path}: cannot read it as a cassette ({type(exc).__name__}: {exc}); it was left unchanged")
            continue
        if did:
            changed += 1
            click.echo(f"{'would scrub' if check else 'scrubbed'} {path}")
    click.echo(f"{changed} cassette(s) {'to scrub' if check else 'scrubbed'}")
    for message in failed:
        click.echo(f"error: {message}", err=True)
    if failed:
        raise click.ClickException(f"{len(failed)} file(s) could not be scrubbed and still hold what they held")
    if check and changed:
        raise SystemExit(1)


@cassettes.command()
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
def diff(old: Path, new: Path) -> None:
    """Report contract drift from recording OLD to NEW (exit 1 if any), ignoring volatile values."""
    try:
        drift = diff_cassettes(old, new)
    except CassetteError as exc:
        raise click.ClickException(str(exc)) from None
    for item in drift:
        click.echo(str(item))
    click.echo(f"{len(drift)} difference(s) in the contract from {old} to {new}")
    if drift:
        raise SystemExit(1)
