"""``idclassify serve``: the reference emulator on a port, with uvicorn."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import click

from pytest_idclassify.emulator._settings import (
    CONFIG_ENV,
    DEFAULT_EXPIRED_TOKEN,
    DEFAULT_SK,
    DEFAULT_TOKEN,
    EmulatorSettings,
)
from pytest_idclassify.errors import CassetteError, ConfigurationError

_FACTORY = "pytest_idclassify.emulator:app_from_env"
#: uvicorn.config.LOG_LEVELS, written out so that the CLI does not import uvicorn to list its options.
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _shown_secret(value: str, *, published: str) -> str:
    """Print a published fake as it is; mask anything a user configured."""
    if value == published:
        return value
    from pytest_idclassify.client._masking import mask_secret

    return mask_secret(value)


def describe(settings: EmulatorSettings, base_url: str) -> str:
    """The start-up banner: endpoint, project id and the fake credentials the emulator accepts."""
    lines = [
        f"endpoint:   {base_url}/v2/{settings.project_id}/ocr/auto-id-doc-classification",
        f"project id: {settings.project_id}",
    ]
    for token in settings.tokens:
        lines.append(f"token:      X-Auth-Token: {_shown_secret(token, published=DEFAULT_TOKEN)}")
    for token, expires_at in settings.expired_tokens:
        lines.append(
            f"expired:    X-Auth-Token: {_shown_secret(token, published=DEFAULT_EXPIRED_TOKEN)} (expired {expires_at})"
        )
    for ak, sk in settings.credentials:
        lines.append(f"AK/SK:      {ak} / {_shown_secret(sk, published=DEFAULT_SK)}")
    if settings.calibration:
        lines.append(f"calibrated: {settings.calibration}")
    if settings.fault:
        lines.append(f"fault:      {settings.fault} (every={settings.fault_every}, p={settings.fault_probability})")
    if settings.admin_routes:
        guard = "X-Idclassify-Admin-Token required" if settings.admin_token else "loopback clients only"
        lines.append(f"admin:      {base_url}/__idclassify/requests, /__idclassify/stubs ({guard})")
    else:
        lines.append("admin:      off (listening beyond loopback without IDCLASSIFY_EMULATOR_ADMIN_TOKEN)")
    if settings.stubs_file:
        lines.append(f"stubs:      {settings.stubs_file}")
    if settings.rate_limit:
        burst = settings.rate_burst or settings.rate_limit
        lines.append(f"throttle:   {settings.rate_limit} requests a minute per credential, burst {burst}")
    if settings.proxy_to:
        recording = f", recording into {settings.record_dir}" if settings.record_dir else ""
        lines.append(f"proxy to:   {settings.proxy_to}{recording}")
    if settings.replay_dir:
        lines.append(f"replay:     answers from the recordings in {settings.replay_dir}")
    return "\n".join(lines)


def admin_settings_for(settings: EmulatorSettings, host: str) -> EmulatorSettings:
    """``settings`` with the admin routes off when listening beyond loopback without an admin token.

    Beyond loopback anyone on the network could read the journal or plant stubs.
    """
    if settings.admin_routes and not settings.admin_token and not _is_loopback(host):
        return settings.replace(admin_routes=False)
    return settings


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _listenable(host: str, port: int) -> int:
    """The port to listen on (a free one for 0), checked by binding it once, before the banner says it listens."""
    from pytest_idclassify._serve import bound_port

    try:
        return bound_port(host, port)
    except OSError as exc:
        raise click.UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); pass a --host of this machine and a free --port"
        ) from None


#: a setting as the emulator's messages name it: ``setting proxy_to (its variable[, --flag])``.
_SETTING_NAMED = re.compile(r"(?:setting )?(\w+) \(IDCLASSIFY_EMULATOR_\w+(?:, --[\w-]+)?\)")


def _in_the_flags_words(message: str, overrides: Mapping[str, object]) -> str:
    """Name each setting the user gave as a flag by that flag: the settings' messages name their variables."""
    command = click.get_current_context().command
    flags = {param.name: param.opts[0] for param in command.params if param.opts and param.name in overrides}
    given = {name: flags[name] for name, value in overrides.items() if value is not None and name in flags}
    return _SETTING_NAMED.sub(lambda match: given.get(match[1], match[0]), message)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")  # fmt: skip
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="uvicorn worker processes.")
@click.option("--worker-timeout", default=None, type=click.FloatRange(min=0), metavar="SECONDS",
              help="With --workers 2 or more: replace a worker whose event loop is stuck this long, and stop when "
              "one has not started serving in 120 s (default 30; 0: neither, as when debugging a worker).")  # fmt: skip
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"TOML or JSON file of emulator settings (also {CONFIG_ENV}).",
)
@click.option(
    "--calibration",
    type=click.Path(dir_okay=False),
    default=None,
    help="Calibration file from 'idclassify calibrate': answer the undocumented choices as the calibrated "
    "server did (also IDCLASSIFY_EMULATOR_CALIBRATION).",
)
@click.option("--project-id", default=None, help="Project id the path must carry.")
@click.option("--alarm-threshold", default=None, type=int, help="Score at or above which an alarm is raised.")
@click.option("--fault", default=None, help="Fault for this run, e.g. 'latency=0.2' or 'error=503'.")
@click.option("--fault-every", default=None, type=int, help="Apply --fault to every Nth request only.")
@click.option("--fault-probability", default=None, type=float, help="Apply --fault with this probability.")
@click.option("--fault-seed", default=None, type=int, help="Seed of the fault probability.")
@click.option("--no-fault-header", is_flag=True, default=False, help="Ignore the X-Idclassify-Fault header.")
@click.option(
    "--recognition-concurrency",
    default=None,
    type=click.IntRange(min=1),
    help="Images decoded and analysed at once per worker (default: the CPUs available).",
)
@click.option(
    "--stubs",
    "stubs_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="JSON, TOML or YAML file of stubs: answers for given images or headers, checked against the contract.",
)
@click.option("--journal-size", default=None, type=click.IntRange(min=0), help="Requests the journal keeps (0: off).")
@click.option("--rate-limit", default=None, type=click.IntRange(min=0),
              help="Requests a minute per credential before 429 APIG.0308 (0: no throttling).")  # fmt: skip
@click.option("--rate-burst", default=None, type=click.IntRange(min=0),
              help="Requests a credential may send at once (default: --rate-limit).")  # fmt: skip
@click.option("--proxy-to", default=None, metavar="URL",
              help="Forward each request to this endpoint (IDCLASSIFY_TOKEN or CLOUD_SDK_AK/SK sign it).")  # fmt: skip
@click.option("--record", "record_dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              help="With --proxy-to: write each exchange as a redacted cassette into DIR.")  # fmt: skip
@click.option("--replay", "replay_dir", default=None, type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Answer from the cassettes recorded into DIR (a miss is 404 APIG.0101, logged).")  # fmt: skip
@click.option("--log-level", default="warning", show_default=True, help="uvicorn log level.",
              type=click.Choice(_LOG_LEVELS, case_sensitive=False))  # fmt: skip
def serve(
    host: str,
    port: int,
    workers: int,
    worker_timeout: float | None,
    config_file: Path | None,
    calibration: str | None,
    project_id: str | None,
    alarm_threshold: int | None,
    fault: str | None,
    fault_every: int | None,
    fault_probability: float | None,
    fault_seed: int | None,
    no_fault_header: bool,
    recognition_concurrency: int | None,
    stubs_file: str | None,
    journal_size: int | None,
    rate_limit: int | None,
    rate_burst: int | None,
    proxy_to: str | None,
    record_dir: str | None,
    replay_dir: str | None,
    log_level: str,
) -> None:
    """Run the reference emulator; point a client or the official SDK at the endpoint it prints.

    Settings come from flags, then IDCLASSIFY_EMULATOR_* variables, then --config, then the
    defaults (docs/reference/emulator-settings.md).  Credentials are never flags: set them in the
    environment or the config file.
    """
    import uvicorn

    if worker_timeout is not None and workers == 1:
        raise click.UsageError(
            "--worker-timeout needs --workers 2 or more: a single worker runs in this process, with no "
            "supervisor to replace it"
        )
    if worker_timeout is not None and 0 < worker_timeout < 1:
        # The supervisor looks twice a second: a shorter timeout could not be kept, only misreported.
        raise click.UsageError(f"--worker-timeout {worker_timeout:g}: give 0 (no health check) or at least 1 second")
    overrides = {
        "calibration": str(Path(calibration).resolve()) if calibration else None,
        "project_id": project_id,
        "alarm_threshold": alarm_threshold,
        "fault": fault,
        "fault_every": fault_every,
        "fault_probability": fault_probability,
        "fault_seed": fault_seed,
        "fault_header": False if no_fault_header else None,
        "recognition_concurrency": recognition_concurrency,
        "stubs_file": stubs_file,
        "journal_size": journal_size,
        "rate_limit": rate_limit,
        "rate_burst": rate_burst,
        "proxy_to": proxy_to,
        "record_dir": record_dir,
        "replay_dir": replay_dir,
    }
    config_path = config_file if config_file is not None else (os.environ.get(CONFIG_ENV) or None)
    try:
        settings = EmulatorSettings.load(config_file=config_path, environ=os.environ, overrides=overrides)
        settings = admin_settings_for(settings, host)
        if not settings.admin_routes:
            overrides["admin_routes"] = False
        # Build the app here, so a bad stubs file, replay folder or upstream is one usage error now;
        # one process serves this very app, worker processes build their own.
        from pytest_idclassify.emulator import create_app

        app = create_app(settings)
    except ConfigurationError as exc:
        raise click.UsageError(_in_the_flags_words(str(exc), overrides)) from None
    except CassetteError as exc:  # a recording in the replay folder that cannot be read
        where = "--replay" if replay_dir else "the replay folder (IDCLASSIFY_EMULATOR_REPLAY_DIR or --config)"
        advice = "re-record it or restore it from version control"
        said = str(exc) if advice in str(exc) else f"{exc}; {advice}"  # the cassette's own words may give it
        raise click.UsageError(f"{where}: {said}") from None
    # Workers are separate processes that build their own app: every setting is handed on through
    # their environment, where app_from_env reads it (this process's own is left as it was).
    handed_on = {f"IDCLASSIFY_EMULATOR_{name.upper()}": str(value) for name, value in overrides.items()
                 if value is not None}  # fmt: skip
    if config_path is not None:
        handed_on[CONFIG_ENV] = str(Path(config_path).resolve())
    from pytest_idclassify._cores import OPENCV_THREADS_ENV, threads_per_process

    threads = settings.opencv_threads
    if workers > 1 and not threads and OPENCV_THREADS_ENV not in os.environ:
        # Each worker process recognises on its own share of the CPUs: OpenCV's default of a thread
        # per CPU in every worker would have them hand work to each other's cores.  A pool size the
        # user chose through OpenCV's own variable is theirs to keep.
        threads = threads_per_process(workers)
        handed_on["IDCLASSIFY_EMULATOR_OPENCV_THREADS"] = str(threads)
    port = _listenable(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(describe(settings, f"http://{shown_host}:{port}"))
    shown_threads = f"{threads} each" if threads else os.environ.get(OPENCV_THREADS_ENV, "OpenCV's default")
    click.echo(f"workers:    {workers} (OpenCV threads: {shown_threads})", err=False)
    from pytest_idclassify._workers import DEFAULT_START_TIMEOUT, DEFAULT_WORKER_TIMEOUT, serve_workers

    timeout = DEFAULT_WORKER_TIMEOUT if worker_timeout is None else worker_timeout
    if workers > 1:
        replaced = f"after {timeout:g} s" if timeout else "never (--worker-timeout 0)"
        click.echo(f"            a worker whose event loop is stuck is replaced {replaced}")
        # Each worker process keeps its own: a test that counts them across workers would be misled.
        click.echo("            journal, run-time stubs and throttle buckets are per worker process")
    from pytest_idclassify.emulator._serving import uvicorn_options
    from pytest_idclassify.redaction import redact_logs

    # uvicorn's access log prints query strings, vcrpy's loggers whole interactions; what clients
    # sent is redacted there but not remembered (a client could otherwise hide what it likes).
    redact_logs(learn=False)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level=log_level, **uvicorn_options(settings))
        return
    status = serve_workers(
        _FACTORY,
        workers=workers,
        host=host,
        port=port,
        environment=handed_on,
        worker_timeout=timeout,
        start_timeout=DEFAULT_START_TIMEOUT if timeout else 0,
        factory=True,
        log_level=log_level,
        **uvicorn_options(settings, in_this_process=False),
    )
    if status:
        raise SystemExit(status)
