"""The resolved settings of one suite run, from the command line, environment, ini file and defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_idclassify._options import BY_NAME, OPTIONS, PYTEST, Interface, Option
from pytest_idclassify.errors import ConfigurationError
from pytest_idclassify.suite._imagehost import check_listenable, parse_image_host

if TYPE_CHECKING:
    from pytest_idclassify.catalogue._model import Tier


@dataclass(frozen=True)
class SuiteConfig:
    """Everything a contract run needs to know, resolved once per session."""

    target: str = "emulator"
    base_url: str | None = None
    project_id: str | None = None
    auth: str | None = None
    profile: str = "gate"
    assumed: str = "report"
    inferred: str = "count"
    calibration: Path | None = None
    strict: bool = False
    call_budget: int = 500
    seed: int = 0
    sample: int = 8
    report_json: Path | None = None
    report_html: Path | None = None
    report_images: bool = False
    cassette_dir: Path | None = None
    record_mode: str = "none"
    image_host: str | None = None
    public_base_url: str | None = None
    upload_hook: str | None = None
    tolerate_transient: bool = False
    metrics: str | None = None
    metrics_threshold: float | None = None
    redact_names_file: Path | None = None
    #: how many pytest-xdist workers share the run (and so its call budget); 1 without xdist.
    workers: int = 1
    #: calls the run made before its cases (the pre-flight probe); they count in the call budget.
    calls_spent: int = 0
    #: the interface whose words messages use (``pytest`` or ``idclassify verify``).
    interface: Interface = PYTEST
    #: option name -> where its value came from, in the interface's words (a flag, a variable, an ini key).
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def origin(self, name: str) -> str:
        """Where the value of option ``name`` came from, or its flag when it was not set."""
        return self.origins.get(name) or self.interface.flag(name)

    def counts(self, tier: Tier | bool) -> bool:
        """Whether a violation of a clause of ``tier`` fails the run (``True``/``False``: assumed or documented)."""
        # Here, not at the top: the pre-flight (every pytest run) reads this module but no catalogue.
        from pytest_idclassify.catalogue._model import Tier

        if isinstance(tier, bool):
            tier = Tier.ASSUMED if tier else Tier.DOCUMENTED
        if tier is Tier.ASSUMED:
            return self.assumed == "count"
        if tier is Tier.INFERRED:
            return self.inferred == "count"
        return True


def _as_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigurationError(f"{name}={value!r} is not a boolean; use true or false")


def _as_number(name: str, value: str, kind: Callable[[str], float | int]) -> float | int:
    try:
        return kind(value)
    except ValueError:
        wanted = "a whole number" if kind is int else "a number"
        raise ConfigurationError(f"{name}={value!r} is not {wanted}") from None


def _empty(interface: Interface, option: Option, *, live: bool) -> str:
    """The message for an option typed with nothing in it: often a shell variable that was not set.

    ``live``: the command or ``--target`` asks for a server, so there is no emulator to fall back on.
    """
    flag = interface.flag(option)
    if option.name == "base-url":
        example = "https://ocr.ap-southeast-1.myhuaweicloud.com"
        fallback = "" if live else f", or drop {flag} to verify the embedded emulator"
        return (f"{flag} is empty (an unset shell variable?): give the server's address, "
                f"e.g. {flag}={example}{fallback}")  # fmt: skip
    return f"{flag} is empty (an unset shell variable?): give it a value, or drop {flag}"


def resolve(
    cli: Mapping[str, object],
    ini: Mapping[str, str | None],
    environ: Mapping[str, str] | None = None,
    *,
    interface: Interface = PYTEST,
) -> SuiteConfig:
    """Resolve every option: command line > ``IDCLASSIFY_*`` environment > ini > default.

    ``cli`` and ``ini`` map option names (``base-url``) to what pytest parsed (``None``/``False``
    when absent).  Bad values raise :class:`ConfigurationError` naming where they came from, in
    the words of ``interface`` (``--base-url`` for ``idclassify verify``).
    """
    environ = os.environ if environ is None else environ
    raw: dict[str, tuple[str, str]] = {}
    explicit: set[str] = set()
    #: where each explicit setting came from: 3 the command line, 2 the environment, 1 the ini file.
    level: dict[str, int] = {}
    for option in OPTIONS:
        given = cli.get(option.name)
        # ``is`` rather than ``in``: a numeric 0 (``--idclassify-seed 0``) equals False.
        if isinstance(given, str) and not given.strip():
            raise ConfigurationError(_empty(interface, option, live=cli.get("target") == "live"))
        if given is not None and given is not False:
            raw[option.name] = (interface.flag(option), "true" if given is True else str(given))
            level[option.name] = 3
        elif environ.get(option.env):
            raw[option.name] = (option.env, environ[option.env])
            level[option.name] = 2
        elif ini.get(option.name):
            raw[option.name] = (option.ini, str(ini[option.name]))
            level[option.name] = 1
        elif option.default is not None:
            raw[option.name] = (interface.flag(option), option.default)
            continue
        else:
            continue
        explicit.add(option.name)
    values: dict[str, object] = {}
    for name, (where, text) in raw.items():
        option = BY_NAME[name]
        if option.choices and text not in option.choices:
            raise ConfigurationError(f"{where}={text!r} is not one of {', '.join(option.choices)}")
        key = option.field
        if option.flag:
            values[key] = _as_bool(where, text)
        elif option.number is not None:
            values[key] = _as_number(where, text, option.number)
        elif name in ("report-json", "report-html", "cassette-dir", "calibration"):
            values[key] = Path(text)
        elif name == "redact-names-file":
            from pytest_idclassify.redaction import rules_from_file

            rules_from_file(text, where)  # a bad file is reported now, naming the setting as typed
            values[key] = Path(text)
        elif name == "image-host":
            # A bad address is one usage error now, not an error in every test that needs the target.
            check_listenable(*parse_image_host(text, where), where=f"{where}={text!r}")
            values[key] = text.strip()
        else:
            values[key] = text
    if values.get("base_url") and values.get("target") != "live":
        # A base URL makes the target live, unless a target was chosen: then only a base URL typed on
        # the command line over a target from elsewhere (a left-over IDCLASSIFY_TARGET) still does.
        # An exported IDCLASSIFY_BASE_URL never sends a run the ini pins to replay out live; chosen
        # side by side, the two disagree.
        if "target" not in explicit or level["base-url"] == 3 > level["target"]:
            values["target"] = "live"
        elif level["base-url"] == level["target"]:
            target_at, base_at = raw["target"][0], raw["base-url"][0]
            raise ConfigurationError(
                f"{base_at} names a server to verify, but {target_at}={values['target']} does not send to one: "
                f"drop {target_at} (a base URL makes the target live) or drop {base_at}"
            )
    origins = {name: where for name, (where, _) in raw.items() if name in explicit}
    config = SuiteConfig(**values, interface=interface, origins=origins)  # type: ignore[arg-type]
    if config.target == "live" and not config.base_url:
        raise ConfigurationError(
            f"{config.origin('target')}=live needs the server's address: pass {interface.flag('base-url')}=https://... "
            "or set IDCLASSIFY_BASE_URL"
        )
    if config.target == "replay" and config.record_mode != "none":
        # Replay has nothing to record from: a miss would go out to no server, and blame its address.
        raise ConfigurationError(
            f"{config.origin('target')}=replay plays cassettes only, but {config.origin('record-mode')}="
            f"{config.record_mode} records: drop {config.origin('record-mode')} to replay, or record from a "
            f"server (the embedded emulator, or {interface.flag('base-url')}=https://...) without "
            f"{config.origin('target')}=replay"
        )
    if config.call_budget < 1:
        raise ConfigurationError(f"{config.origin('call-budget')} must be at least 1, got {config.call_budget}")
    if config.metrics_threshold is not None and not 0 <= config.metrics_threshold <= 1:
        raise ConfigurationError(
            f"{config.origin('metrics-threshold')} is {config.metrics_threshold:g}; type accuracy is a share: "
            "give a number from 0 to 1, e.g. 0.9"
        )
    if config.sample < 0:
        raise ConfigurationError(f"{config.origin('sample')} must be 0 or more, got {config.sample}")
    if config.calibration is not None:
        from pytest_idclassify.calibration import load_calibration

        try:
            load_calibration(config.calibration)  # checked once here, so a bad file is one usage error
        except ConfigurationError as exc:
            raise ConfigurationError(f"{config.origin('calibration')}: {exc}") from None
    return config
