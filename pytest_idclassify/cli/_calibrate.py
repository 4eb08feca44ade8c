"""``idclassify calibrate``: learn what a real server does where the documentation is silent.

It runs the assumed-choice cases of the gate profile against ``--base-url`` (the live service or
a vendor's server; credentials from the environment, as ``verify`` takes them) and writes the
answers as a calibration file.  ``verify --calibration FILE`` then holds a target to them, and
``serve --calibration FILE`` makes the emulator answer with them.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import click

from pytest_idclassify._options import BY_NAME, VERIFY
from pytest_idclassify.cli._suite_options import given, suite_options

#: the suite options calibrate shares with verify (same names, types and help texts).
_SHARED = tuple(BY_NAME[name] for name in
                ("project-id", "auth", "call-budget", "seed", "sample", "public-base-url", "upload-hook"))  # fmt: skip


def _target_name(base_url: str) -> str:
    # Only scheme and host: a path may carry a project id, and user info a credential.
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


@click.command("calibrate", context_settings={"max_content_width": 110})
@click.option("--base-url", required=True, help="the server to learn from: the live service or a vendor's server")
@suite_options(_SHARED)
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("calibration.toml"), show_default=True,
              help="where to write the calibration file")  # fmt: skip
def calibrate(base_url: str, output: Path, **values: object) -> None:
    """Run the assumed-choice cases against a server and write what it chose as a calibration file.

    Credentials come from the environment, as for verify: IDCLASSIFY_TOKEN (or the IAM password
    flow), or CLOUD_SDK_AK and CLOUD_SDK_SK.  Example: `idclassify calibrate --base-url
    https://ocr.ap-southeast-1.myhuaweicloud.com -o live.toml`, then `idclassify serve --calibration
    live.toml` and `idclassify verify --base-url URL --calibration live.toml`.
    """
    from pytest_idclassify.calibration import calibration_cases, observe
    from pytest_idclassify.cases import gate_cases
    from pytest_idclassify.cassettes import PROJECT_PLACEHOLDER, SecretBook
    from pytest_idclassify.errors import ConfigurationError
    from pytest_idclassify.suite import open_target, preflight
    from pytest_idclassify.suite._preflight import check_writable

    cli: dict[str, object] = {"base-url": base_url, "target": "live", **given(_SHARED, values)}
    try:
        check_writable(output, "--output", folder=False)
        # The suite's front door, as verify passes it: settings checked and the target probed once.
        front = preflight(cli, {}, os.environ, interface=VERIFY)
        for notice in front.notices:
            click.echo(f"NOTE: {notice}", err=True)
        config = front.config
        with open_target(config, client=front.client) as target:
            book = SecretBook()
            for secret in (target.config.token, target.config.secret_key, target.config.access_key):
                book.add(secret)
            book.add(target.config.project_id, PROJECT_PLACEHOLDER)
            cases = calibration_cases(gate_cases(seed=config.seed, sample=config.sample))
            click.echo(f"calibrating against {_target_name(base_url)}: {len(cases)} cases")
            calibration, missing = observe(target, cases, scrub=book.scrub, target_name=_target_name(base_url))
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from None
    if not calibration.entries:
        reasons = sorted(set(missing.values()))
        raise click.ClickException(
            f"nothing was observed, so {output} was not written: {reasons[0] if reasons else ''}"
        )
    try:
        calibration.write(output)
    except OSError as exc:
        # The calls are spent: what they found goes to standard output rather than nowhere.
        click.echo(calibration.to_toml())
        raise click.ClickException(f"{output} could not be written ({exc.strerror or exc}): the calibration is "
                                   "printed above; save it to a file by hand") from None  # fmt: skip
    for clause_id, entry in sorted(calibration.entries.items()):
        said = entry.evidence.said() if entry.evidence is not None and entry.reading in ("served", "refused") else ""
        span = f" {entry.low}..{entry.high}" if entry.low is not None else ""
        rid = f" [request id {entry.evidence.request_id}]" if entry.evidence and entry.evidence.request_id else ""
        click.echo(f"  {clause_id}: {entry.reading}{span} {said}{rid}".rstrip())
    for clause_id, reason in sorted(missing.items()):
        click.echo(f"  not observed {clause_id}: {reason}")
    click.echo(f"wrote {output}: {len(calibration.entries)} assumed clauses observed, {len(missing)} not observed")
